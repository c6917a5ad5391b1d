"""Import the heavy modules a drift run will need on a background thread.

scipy and scikit-learn are imported lazily, so that ``import modelsteward`` and
``steward --help`` stay fast. A run over tables then needs some of them part-way
through; importing them up front on a thread overlaps that time with reading Parquet
and sorting, which release the GIL. Python's import lock makes a concurrent import by a
worker wait for this one rather than run twice.

``scipy.stats`` (about 0.7 s) is warmed only when the tables are small enough for a
test that needs it (scipy's exact KS p-value, Durbin's matrix in ``kstwo``, Fisher's
exact test) or when a method is chosen by name: on large tables the default tests
need only ``scipy.special`` (see :mod:`modelsteward.stats._kstwo`).
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["MULTIVARIATE", "SPECIAL", "STATS", "STATS_ROWS", "warm_imports"]

#: Below this many rows on a side, a default run may need ``scipy.stats``.
STATS_ROWS = 200_000

SPECIAL = ("scipy.special",)
STATS = ("scipy.stats",)
MULTIVARIATE = ("sklearn.ensemble", "sklearn.model_selection", "threadpoolctl")


def warm_imports(*modules: str) -> threading.Thread:
    """Start importing ``modules`` on a daemon thread and return it (callers need not join it).

    >>> warm_imports(*SPECIAL).join()
    """
    thread = threading.Thread(
        target=_import_all, args=(modules,), name="steward-warmup", daemon=True
    )
    thread.start()
    return thread


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            # An optional engine that is not installed: the code that needs it says so.
            continue
