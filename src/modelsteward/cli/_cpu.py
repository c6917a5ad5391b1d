"""CPU settings the ``steward`` process makes for numpy before numpy loads.

**numpy's sort on AMD Zen 4.** Keep numpy off its AVX-512 sort there, where that sort
is six times slower.

numpy sorts with x86-simd-sort. Its AVX-512 kernels write every partition with a
compress-store to memory (``vpcompressq``), which Zen 4 (AMD family 19h, the first AMD
cores with AVX-512) runs in microcode at over a hundred cycles; Zen 5 fixed it and
Intel never had it. numpy still picks the AVX-512 kernel there, and OpenJDK turned its
own AVX-512 sort off on the same CPUs for the same reason (JDK-8317976). On this
project's 2-core Zen 4 machine, ``np.sort`` of 1M float64 takes 52 ms with AVX-512 and
8.7 ms with numpy's AVX2 kernel; with the AVX-512 one, a default 1M x 50
``steward drift`` spent about three quarters of its compute sorting (``cProfile``).

numpy reads ``NPY_DISABLE_CPU_FEATURES`` once, when it is first imported, so this is
done by the ``steward`` process before anything imports numpy; the library never
changes the environment of the program that imports it, and training runs started by
steward get the user's own environment (:mod:`modelsteward.process_env`). It turns
off every AVX-512 numpy kernel, not only the sort; Zen 4 executes 512-bit instructions
as two 256-bit halves, and the one other path measured with and without it, ingest
through ``steward serve``, ran at the same speed (173,700 against 173,600 Arrow rows/s,
``python -m bench.ingest``). A setting of the user's (``NPY_DISABLE_CPU_FEATURES`` or
``NPY_ENABLE_CPU_FEATURES``) is left exactly as it is.

**OpenBLAS's idle threads.** numpy and scipy each bring their own OpenBLAS, and each
starts a thread per core that spins for 2^28 cycles (OpenBLAS's default) every time it
runs out of work before it sleeps. A drift run makes few, small BLAS calls (the PCA
view, under a one-thread limit), so that spinning was pure waste: about 0.17 s of CPU
in a default 1M x 50 run (``perf record``: ``blas_thread_server``).
``OPENBLAS_THREAD_TIMEOUT=4`` makes idle threads sleep after 2^4 cycles; BLAS still
uses every core when it has work.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from modelsteward.process_env import record_own_settings

__all__ = ["avoid_slow_avx512_sort", "is_zen4", "let_idle_blas_threads_sleep"]

_VARIABLE = "NPY_DISABLE_CPU_FEATURES"
_BLAS_TIMEOUT = "OPENBLAS_THREAD_TIMEOUT"
#: OpenBLAS's smallest accepted value: idle threads spin 2^4 cycles, then sleep.
_BLAS_TIMEOUT_SHORTEST = "4"
_AMD_FAMILY_19H = 25
#: numpy 2.4 groups x86 features by microarchitecture level; earlier releases name them.
_FEATURES_LEVELS = "X86_V4 AVX512_ICL"
_FEATURES_NAMED = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"


def avoid_slow_avx512_sort(
    environ: MutableMapping[str, str] | None = None,
    cpuinfo: Path = Path("/proc/cpuinfo"),
) -> bool:
    """Set ``NPY_DISABLE_CPU_FEATURES`` on Zen 4 before numpy loads; True when it was set.

    Does nothing when numpy is already imported (the setting would not take effect),
    when the variable or ``NPY_ENABLE_CPU_FEATURES`` is already set, or on any other CPU.

    >>> avoid_slow_avx512_sort(environ={}, cpuinfo=Path("/nonexistent"))
    False
    """
    environ = os.environ if environ is None else environ
    # numpy refuses to load when both its ENABLE and DISABLE variables are set.
    chosen = _VARIABLE in environ or bool(environ.get("NPY_ENABLE_CPU_FEATURES"))
    if "numpy" in sys.modules or chosen or not is_zen4(cpuinfo):
        return False
    environ[_VARIABLE] = _FEATURES_LEVELS if _numpy_names_levels() else _FEATURES_NAMED
    record_own_settings(environ, [_VARIABLE])
    return True


def let_idle_blas_threads_sleep(environ: MutableMapping[str, str] | None = None) -> bool:
    """Set ``OPENBLAS_THREAD_TIMEOUT`` before numpy loads; True when it was set.

    Does nothing when numpy is already imported or the variable is already set.

    >>> let_idle_blas_threads_sleep({"OPENBLAS_THREAD_TIMEOUT": "10"})
    False
    """
    environ = os.environ if environ is None else environ
    if "numpy" in sys.modules or _BLAS_TIMEOUT in environ:
        return False
    environ[_BLAS_TIMEOUT] = _BLAS_TIMEOUT_SHORTEST
    record_own_settings(environ, [_BLAS_TIMEOUT])
    return True


def is_zen4(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the first CPU in a Linux ``/proc/cpuinfo`` is an AVX-512 AMD family 19h core.

    >>> is_zen4(Path("/nonexistent"))
    False
    """
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:  # not Linux, or no procfs: nothing to decide on
        return False
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor's block is enough: all cores are alike
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (
        fields.get("vendor_id") == "AuthenticAMD"
        and fields.get("cpu family", "").isdigit()
        and int(fields["cpu family"]) == _AMD_FAMILY_19H
        and "avx512f" in fields.get("flags", "").split()
    )


def _numpy_names_levels() -> bool:
    """Whether the installed numpy (2.4 or later) names x86 features by level (X86_V4)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(part) for part in version("numpy").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return True
    return (major, minor) >= (2, 4)
