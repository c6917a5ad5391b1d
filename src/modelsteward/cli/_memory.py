"""Keep freed large blocks in the process during a data-heavy command (glibc only).

A drift or profile run allocates and frees a few hundred column-sized (about 8 MB)
buffers. glibc hands blocks that large back to the kernel on ``free`` and maps fresh
zeroed pages for the next one, so every column pays its page faults again. Raising the
mmap and trim thresholds keeps those blocks for reuse; the peak resident size is set by
the largest working set either way (``python -m bench.drift_breakdown``: 143,673 ->
81,738 page faults in a default 1M x 50 run).

This changes the allocator of the CLI process only; the library never calls it.

The same commands pause Python's cyclic garbage collector while they run
(:func:`cycle_collector_paused`). The imports they trigger part-way through
(scipy.stats and scikit-learn: hundreds of thousands of objects that live to the end)
set off collection after collection over that growing graph: 376 in a plain ``drift()``
of the 1M x 50 bench tables, two of them full, against 134 and one through
``steward drift`` (``python -m bench.drift_breakdown``). What the block allocated is
walked once more by the next collection after it; for the ``steward`` command that is
avoided too, as it freezes its objects before exiting (see :func:`modelsteward.cli.run`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator

__all__ = ["cycle_collector_paused", "keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 64 << 20
_TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed large blocks; False where that is not possible.

    >>> keep_freed_memory() in (True, False)
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt  # glibc; musl and others have no such function
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector off; restore it after.

    >>> with cycle_collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
