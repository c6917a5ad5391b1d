"""Divergences between two binned distributions.

The count-based functions take aligned count vectors (categories of a
categorical column, bins of a numeric histogram, or the counts kept in a
profile); each side is normalised to proportions. The ``*_numeric`` variants
bin raw numeric samples first, on the reference quantile edges of
:func:`quantile_edges` (open outer bins, see :mod:`._histogram`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from modelsteward.stats._histogram import IntArray, counts_of, edges_of
from modelsteward.stats._result import TestResult
from modelsteward.stats._validation import (
    FloatArray,
    counts,
    float_in_open_unit,
    int_at_least,
    sample,
)

__all__ = [
    "hellinger",
    "hellinger_numeric",
    "jensenshannon",
    "jensenshannon_numeric",
    "psi",
    "psi_numeric",
    "total_variation",
]


def _proportions(
    reference_counts: ArrayLike, current_counts: ArrayLike, func: str
) -> tuple[FloatArray, FloatArray]:
    ref, cur = counts(reference_counts, current_counts, func)
    return ref / ref.sum(), cur / cur.sum()


def psi(
    reference_counts: ArrayLike, current_counts: ArrayLike, *, smoothing: float = 1e-4
) -> TestResult:
    """Population Stability Index: ``sum((c - r) * ln(c / r))`` over bin proportions.

    Proportions below ``smoothing`` are raised to it first, so a bin empty on
    one side adds a large but finite term instead of infinity (the usual
    convention; 1e-4 keeps one empty bin's contribution near ``p * ln(p/1e-4)``).
    Every term is >= 0, so PSI >= 0, and it is 0 on identical proportions.
    ``p_value`` is ``None``.

    >>> round(psi([50, 30, 20], [30, 30, 40]).statistic, 4)
    0.2408
    >>> psi([5, 5], [10, 10]).statistic
    0.0
    """
    smoothing = float_in_open_unit(smoothing, "smoothing", "psi")
    p, q = _proportions(reference_counts, current_counts, "psi")
    p, q = np.maximum(p, smoothing), np.maximum(q, smoothing)
    value = float(np.sum((q - p) * np.log(q / p)))
    return TestResult(max(value, 0.0), None)


def jensenshannon(reference_counts: ArrayLike, current_counts: ArrayLike) -> TestResult:
    """Jensen–Shannon distance (base 2, so in [0, 1]) between the two proportions.

    Equals ``scipy.spatial.distance.jensenshannon(p, q, base=2)``; the square
    root of the JS divergence, clipped into [0, 1] against rounding.
    ``p_value`` is ``None``.

    >>> round(jensenshannon([50, 30, 20], [30, 30, 40]).statistic, 4)
    0.2067
    """
    p, q = _proportions(reference_counts, current_counts, "jensenshannon")
    mid = (p + q) / 2.0
    from scipy.special import rel_entr  # lazily, as every scipy import here

    divergence = (float(np.sum(rel_entr(p, mid))) + float(np.sum(rel_entr(q, mid)))) / math.log(2)
    return TestResult(min(math.sqrt(max(divergence / 2.0, 0.0)), 1.0), None)


def hellinger(reference_counts: ArrayLike, current_counts: ArrayLike) -> TestResult:
    """Hellinger distance ``sqrt(1 - sum(sqrt(p * q)))`` between the proportions, in [0, 1].

    Computed in the equal Euclidean form ``sqrt(0.5 * sum((sqrt(p) - sqrt(q))**2))``,
    which is exactly 0 on identical proportions (``1 - sum(sqrt(p*q))`` leaves a
    rounding residue of about 1e-16 that the square root turns into 1e-8).
    ``p_value`` is ``None``.

    >>> round(hellinger([50, 30, 20], [30, 30, 40]).statistic, 4)
    0.1728
    >>> hellinger([1, 0], [0, 1]).statistic
    1.0
    """
    p, q = _proportions(reference_counts, current_counts, "hellinger")
    gaps = np.sqrt(p) - np.sqrt(q)
    return TestResult(min(math.sqrt(0.5 * float(np.einsum("i,i->", gaps, gaps))), 1.0), None)


def total_variation(reference_counts: ArrayLike, current_counts: ArrayLike) -> TestResult:
    """Total variation distance ``0.5 * sum(|p - q|)`` between the proportions, in [0, 1].

    >>> round(total_variation([50, 30, 20], [30, 30, 40]).statistic, 4)
    0.2
    """
    p, q = _proportions(reference_counts, current_counts, "total_variation")
    return TestResult(min(0.5 * float(np.sum(np.abs(p - q))), 1.0), None)


def _binned_counts(
    reference: ArrayLike, current: ArrayLike, bins: int, assume_sorted: bool, func: str
) -> tuple[IntArray, IntArray]:
    bins = int_at_least(bins, "bins", func, 2)
    ref = sample(reference, "reference", func, assume_sorted=assume_sorted)
    cur = sample(current, "current", func, assume_sorted=assume_sorted)
    edges = edges_of(ref, bins, assume_sorted=assume_sorted)
    return (
        counts_of(ref, edges, assume_sorted=assume_sorted),
        counts_of(cur, edges, assume_sorted=assume_sorted),
    )


def psi_numeric(
    reference: ArrayLike,
    current: ArrayLike,
    *,
    bins: int = 10,
    smoothing: float = 1e-4,
    assume_sorted: bool = False,
) -> TestResult:
    """PSI of two numeric samples binned on reference quantile edges.

    The same as ``psi(histogram_counts(reference, e), histogram_counts(current, e))``
    with ``e = quantile_edges(reference, bins)``. With ``assume_sorted`` the
    binning costs O(bins log n).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(psi_numeric(rng.normal(size=5000), rng.normal(0.5, size=5000)).statistic, 4)
    0.2661
    """
    ref, cur = _binned_counts(reference, current, bins, assume_sorted, "psi_numeric")
    return psi(ref, cur, smoothing=smoothing)


def jensenshannon_numeric(
    reference: ArrayLike, current: ArrayLike, *, bins: int = 10, assume_sorted: bool = False
) -> TestResult:
    """Jensen–Shannon distance of two numeric samples binned on reference quantile edges.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> res = jensenshannon_numeric(rng.normal(size=5000), rng.normal(0.5, size=5000))
    >>> round(res.statistic, 4)
    0.2165
    """
    ref, cur = _binned_counts(reference, current, bins, assume_sorted, "jensenshannon_numeric")
    return jensenshannon(ref, cur)


def hellinger_numeric(
    reference: ArrayLike, current: ArrayLike, *, bins: int = 10, assume_sorted: bool = False
) -> TestResult:
    """Hellinger distance of two numeric samples binned on reference quantile edges.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(hellinger_numeric(rng.normal(size=5000), rng.normal(0.5, size=5000)).statistic, 4)
    0.1813
    """
    ref, cur = _binned_counts(reference, current, bins, assume_sorted, "hellinger_numeric")
    return hellinger(ref, cur)
