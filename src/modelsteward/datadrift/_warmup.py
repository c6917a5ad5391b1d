"""Import the heavy modules a drift run will need on a background thread.

``scipy.stats`` (about 0.7 s) and scikit-learn (about 0.35 s) are imported lazily, so
that ``import modelsteward`` and ``steward --help`` stay fast. A run over tables then
needs them part-way through; importing them up front on a thread overlaps that second
with reading Parquet and sorting, which release the GIL. Python's import lock makes a
concurrent import by a worker wait for this one rather than run twice.
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["warm_imports"]

_ALWAYS = ("scipy.special", "scipy.stats")
_MULTIVARIATE = (
    "sklearn.ensemble",
    "sklearn.model_selection",
    "threadpoolctl",
)


def warm_imports(*, multivariate: bool) -> threading.Thread:
    """Start importing on a daemon thread and return it (callers need not join it).

    >>> warm_imports(multivariate=False).join()
    """
    names = _ALWAYS + (_MULTIVARIATE if multivariate else ())
    thread = threading.Thread(target=_import_all, args=(names,), name="steward-warmup", daemon=True)
    thread.start()
    return thread


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            # An optional engine that is not installed: the code that needs it says so.
            continue
