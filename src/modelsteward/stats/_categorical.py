"""Hypothesis tests on two aligned category-count vectors.

Each function takes ``reference_counts`` and ``current_counts`` (counts per
category, aligned) and tests whether both come from the same categorical
distribution. Categories empty on both sides carry no information and are
dropped first.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError
from modelsteward.stats._result import TestResult
from modelsteward.stats._validation import FloatArray, counts, int_at_least

__all__ = ["chi_square", "fisher_exact", "z_test_proportions"]


def _seen(ref: FloatArray, cur: FloatArray) -> tuple[FloatArray, FloatArray]:
    keep = (ref + cur) > 0
    return ref[keep], cur[keep]


def chi_square(reference_counts: ArrayLike, current_counts: ArrayLike) -> TestResult:
    """Pearson chi-square test of homogeneity on the 2 x k table ``[reference; current]``.

    Categories seen on one side only are fine; categories empty on both sides
    are dropped. Equal to ``scipy.stats.chi2_contingency(table,
    correction=False)`` (statistic and p-value, ``k - 1`` degrees of freedom).
    With a single category left the statistic is 0 and the p-value 1.

    >>> res = chi_square([50, 30, 20], [30, 30, 40])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (11.6667, 0.0029)
    """
    ref, cur = _seen(*counts(reference_counts, current_counts, "chi_square"))
    if ref.size < 2:
        return TestResult(0.0, 1.0)
    table = np.vstack((ref, cur))
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    import scipy.special  # lazily, as every scipy import here

    p_value = float(scipy.special.chdtrc(ref.size - 1, statistic))  # = chi2.sf
    return TestResult(statistic, p_value)


def z_test_proportions(reference_counts: ArrayLike, current_counts: ArrayLike) -> TestResult:
    """Two-proportion pooled z-test on the share of the first category.

    The first entry of each count vector is the category under test (for a
    binary column pass ``[positives, negatives]``); every other category counts
    as "the rest". ``statistic`` is the signed
    ``z = (p_cur - p_ref) / sqrt(p (1 - p) (1/n_ref + 1/n_cur))`` with the pooled
    share ``p``; the p-value is two-sided. When the pooled share is 0 or 1 there
    is no variation: ``z = 0``, p-value 1. On a 2-category table ``z**2`` equals
    the uncorrected :func:`chi_square` statistic.

    >>> res = z_test_proportions([50, 50], [65, 35])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (2.1456, 0.0319)
    """
    ref, cur = counts(reference_counts, current_counts, "z_test_proportions")
    n_ref, n_cur = float(ref.sum()), float(cur.sum())
    hit_ref, hit_cur = float(ref[0]), float(cur[0])
    pooled = (hit_ref + hit_cur) / (n_ref + n_cur)
    variance = pooled * (1.0 - pooled) * (1.0 / n_ref + 1.0 / n_cur)
    if not variance > 0.0:
        return TestResult(0.0, 1.0)
    z = (hit_cur / n_cur - hit_ref / n_ref) / math.sqrt(variance)
    import scipy.special  # lazily, as every scipy import here

    return TestResult(z, float(2.0 * scipy.special.ndtr(-abs(z))))  # = 2 norm.sf(|z|)


def fisher_exact(
    reference_counts: ArrayLike,
    current_counts: ArrayLike,
    *,
    n_resamples: int = 9999,
    seed: int = 0,
) -> TestResult:
    """Fisher's exact test of homogeneity; meant for tiny samples.

    Counts must be whole numbers. After dropping categories empty on both
    sides:

    - two categories: ``scipy.stats.fisher_exact`` on the 2 x 2 table
      ``[reference; current]``, two-sided; ``statistic`` is the sample odds
      ratio (0 or ``inf`` when a cell is 0);
    - more than two: scipy 1.17 has no exact r x c test; its alternative,
      ``fisher_exact(table, method=MonteCarloMethod(...))``, estimates the
      p-value from ``n_resamples`` random tables with the observed margins. This
      function reproduces that computation (same draws, same p-value) seeded by
      ``seed`` so results are reproducible; ``statistic`` is then the
      probability of the observed table under independence;
    - one category: nothing to compare, ``TestResult(1.0, 1.0)``.

    >>> res = fisher_exact([8, 2], [1, 5])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (20.0, 0.035)
    """
    import scipy.stats  # lazily, as every scipy import here

    n_resamples = int_at_least(n_resamples, "n_resamples", "fisher_exact", 1)
    ref, cur = counts(reference_counts, current_counts, "fisher_exact")
    for name, array in (("reference_counts", ref), ("current_counts", cur)):
        fractional = array != np.round(array)
        if fractional.any():
            raise ParameterError(
                f"The {name!r} parameter of fisher_exact must hold whole-number counts. "
                f"Got {float(array[fractional][0])!r} instead."
            )
    ref, cur = _seen(ref, cur)
    if ref.size < 2:
        return TestResult(1.0, 1.0)
    table = np.vstack((ref, cur)).astype(np.int64)
    if ref.size == 2:
        res = scipy.stats.fisher_exact(table)
        return TestResult(float(res.statistic), float(res.pvalue))
    return _fisher_monte_carlo(table, n_resamples, seed)


def _fisher_monte_carlo(table: NDArray[np.int64], n_resamples: int, seed: int) -> TestResult:
    """scipy's r x c Fisher test with ``MonteCarloMethod``, in log space.

    Same draws and same p-value ``(1 + #{null tables no more probable}) /
    (n_resamples + 1)`` as ``scipy.stats.fisher_exact(table,
    method=MonteCarloMethod(n_resamples, rng))``, but done here because scipy
    1.17 mis-shapes its batches once the table total exceeds the batch size,
    and because comparing log-probabilities avoids underflow on large tables.
    """
    import scipy.stats  # lazily, as every scipy import here

    null = scipy.stats.random_table(
        table.sum(axis=1), table.sum(axis=0), seed=np.random.default_rng(seed)
    )
    observed = float(null.logpmf(table))
    simulated = null.logpmf(null.rvs(size=n_resamples))
    tolerance = 1e-12 * max(1.0, abs(observed))
    as_extreme = int(np.count_nonzero(simulated <= observed + tolerance))
    return TestResult(math.exp(observed), (as_extreme + 1) / (n_resamples + 1))
