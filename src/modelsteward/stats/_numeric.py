"""Two-sample statistics on raw numeric values.

Inputs are 1-D arrays of finite numbers (callers drop NaN and infinity first).
``assume_sorted=True`` promises both samples are already sorted ascending, as
the drift engine sorts each column once and reuses it; the promise is checked
(one vectorised comparison), not trusted blindly.

The CDF-based statistics (KS, Wasserstein, energy) work on the sorted samples
with the linear-time kernels of :mod:`._cdf`; sorting, when the caller has not
done it, is the only O(n log n) step and nothing is quadratic.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import ArrayLike

from modelsteward.errors import ParameterError
from modelsteward.stats._cdf import cdf_gaps, ks_statistic, wasserstein1
from modelsteward.stats._kstwo import kstwo_sf
from modelsteward.stats._result import TestResult
from modelsteward.stats._validation import FloatArray, int_at_least, sample

__all__ = [
    "anderson_ksamp",
    "cramer_von_mises",
    "energy_normed",
    "ks_p_value",
    "ks_test",
    "wasserstein_normed",
]

# scipy.stats.ks_2samp(method="auto") is exact when both sizes are at most this.
_KS_MAX_EXACT_N = 10_000


def _sorted_pair(
    reference: ArrayLike, current: ArrayLike, func: str, *, assume_sorted: bool, min_ref: int = 1
) -> tuple[FloatArray, FloatArray]:
    ref = sample(reference, "reference", func, min_size=min_ref, assume_sorted=assume_sorted)
    cur = sample(current, "current", func, assume_sorted=assume_sorted)
    if not assume_sorted:
        ref, cur = np.sort(ref), np.sort(cur)
    return ref, cur


def _reference_scale(ref: FloatArray) -> float:
    scale = float(np.std(ref, ddof=1))
    return scale if scale > 0.0 else 1.0


def ks_test(reference: ArrayLike, current: ArrayLike, *, assume_sorted: bool = False) -> TestResult:
    """Two-sample Kolmogorov–Smirnov test (two-sided).

    Statistic and p-value equal ``scipy.stats.ks_2samp(reference, current)``
    with its defaults. The statistic is the largest gap between the two
    empirical CDFs, found in linear time on the sorted samples (see
    :mod:`._cdf`); the p-value is scipy's exact one when both samples hold at
    most 10 000 values (``method='auto'``, which also snaps the statistic to
    the lattice ``h / lcm(n, m)``, and falls back to the asymptotic value where
    scipy does) and otherwise :func:`ks_p_value`, i.e.
    ``scipy.stats.kstwo.sf(d, round(m*n/(m+n)))``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> res = ks_test(rng.normal(size=200), rng.normal(0.5, size=300))
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (0.1683, 0.002)
    """
    ref, cur = _sorted_pair(reference, current, "ks_test", assume_sorted=assume_sorted)
    n, m = ref.size, cur.size
    d = ks_statistic(ref, cur)

    if max(n, m) <= _KS_MAX_EXACT_N:
        # scipy's exact mode reports d snapped to the lattice h / lcm(n, m).
        lcm = (n // math.gcd(n, m)) * m
        d = round(d * lcm) / lcm
        # scipy's exact path (pythran kernels); it warns when it falls back to
        # the asymptotic value, which is what we want silently.
        import scipy.stats  # lazily, as every scipy import here

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(scipy.stats.ks_2samp(ref, cur).pvalue)
    else:
        p = ks_p_value(d, n, m)
    return TestResult(d, p)


def ks_p_value(statistic: float, n_reference: int, n_current: int) -> float:
    """Asymptotic two-sided p-value of a two-sample KS statistic (scipy's large-sample path).

    ``scipy.stats.kstwo.sf(d, round(n*m/(n+m)))``; used by :func:`ks_test` on large
    samples and for statistics estimated from sketches, where no raw values exist.
    scipy's slow branch (``2.2 <= N d² < 370``, seconds per call at N ≈ 500 000)
    is evaluated vectorised to about 1e-13 relative accuracy (see :mod:`._kstwo`).

    >>> round(ks_p_value(0.02, 10_000, 10_000), 4)
    0.0361
    """
    n_reference = int_at_least(n_reference, "n_reference", "ks_p_value", 1)
    n_current = int_at_least(n_current, "n_current", "ks_p_value", 1)
    if not 0.0 <= statistic <= 1.0:
        raise ParameterError(
            "The 'statistic' parameter of ks_p_value must be a float in [0, 1]. "
            f"Got {statistic!r} instead."
        )
    big, small = (
        (float(n_reference), float(n_current))
        if n_reference >= n_current
        else (float(n_current), float(n_reference))
    )
    en = big * small / (big + small)
    return kstwo_sf(statistic, round(en))


def wasserstein_normed(
    reference: ArrayLike, current: ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Wasserstein-1 distance divided by the reference standard deviation.

    Equals ``scipy.stats.wasserstein_distance(reference, current) /
    np.std(reference, ddof=1)``, computed as the integral of the absolute gap
    between the two empirical CDFs over one merge of the sorted samples. The
    result is scale invariant. A constant reference (standard deviation 0) is
    divided by 1 instead, so the score is then the raw distance. ``reference``
    needs at least two values; ``p_value`` is ``None``.

    >>> res = wasserstein_normed([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(res.statistic, 4), res.p_value
    (0.7746, None)
    """
    ref, cur = _sorted_pair(
        reference, current, "wasserstein_normed", assume_sorted=assume_sorted, min_ref=2
    )
    return TestResult(wasserstein1(ref, cur) / _reference_scale(ref), None)


def energy_normed(
    reference: ArrayLike, current: ArrayLike, *, assume_sorted: bool = False
) -> TestResult:
    """Energy distance between the samples scaled by the reference standard deviation.

    Energy distance is ``sqrt(2)`` times the L2 distance between the two
    empirical CDFs (``scipy.stats.energy_distance``), computed here on one merge
    of the sorted samples in O(n log n). Like :func:`wasserstein_normed` it is
    the distance between ``reference / s`` and ``current / s`` with
    ``s = np.std(reference, ddof=1)`` (1 when the reference is constant). Energy
    distance scales with the square root of the data's scale, so this equals
    ``energy_distance(reference, current) / sqrt(s)`` and is scale invariant.
    ``reference`` needs at least two values; ``p_value`` is ``None``.

    >>> res = energy_normed([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(res.statistic, 4), res.p_value
    (0.6223, None)
    """
    ref, cur = _sorted_pair(
        reference, current, "energy_normed", assume_sorted=assume_sorted, min_ref=2
    )
    gaps, widths = cdf_gaps(ref, cur)
    distance = math.sqrt(2.0) * math.sqrt(float(np.einsum("i,i,i->", gaps, gaps, widths)))
    return TestResult(distance / math.sqrt(_reference_scale(ref)), None)


def anderson_ksamp(reference: ArrayLike, current: ArrayLike) -> TestResult:
    """k-sample Anderson–Darling test (midrank variant) on the two samples.

    Equals ``scipy.stats.anderson_ksamp([reference, current])``: the statistic
    is the normalised A-D statistic, the p-value is interpolated from
    tabulated critical values and therefore floored at 0.001 and capped at
    0.25. scipy's warnings about that cap and floor are suppressed here. The
    two samples together need at least 4 values, two of them distinct
    (scipy divides by zero below 4).

    >>> res = anderson_ksamp([1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (4.726, 0.0044)
    """
    import scipy.stats  # lazily, as every scipy import here

    ref = sample(reference, "reference", "anderson_ksamp")
    cur = sample(current, "current", "anderson_ksamp")
    if ref.size + cur.size < 4:
        raise ParameterError(
            "The 'reference' and 'current' parameters of anderson_ksamp must hold at "
            f"least 4 values between them. Got {ref.size + cur.size} instead."
        )
    lowest, highest = min(ref.min(), cur.min()), max(ref.max(), cur.max())
    if lowest == highest:
        raise ParameterError(
            "The 'reference' and 'current' parameters of anderson_ksamp must hold at "
            f"least two distinct values between them. Got only {float(lowest)!r} instead."
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="p-value (capped|floored)", category=UserWarning)
        res = scipy.stats.anderson_ksamp([ref, cur], variant="midrank")
    return TestResult(float(res.statistic), float(res.pvalue))


def cramer_von_mises(reference: ArrayLike, current: ArrayLike) -> TestResult:
    """Two-sample Cramér–von Mises test.

    Equals ``scipy.stats.cramervonmises_2samp(reference, current)``
    (``method='auto'``: exact p-value for small samples, asymptotic
    otherwise). Each sample needs at least two values.

    >>> res = cramer_von_mises([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0])
    >>> round(res.statistic, 4), round(res.p_value, 4)
    (0.6875, 0.0286)
    """
    import scipy.stats  # lazily, as every scipy import here

    ref = sample(reference, "reference", "cramer_von_mises", min_size=2)
    cur = sample(current, "current", "cramer_von_mises", min_size=2)
    res = scipy.stats.cramervonmises_2samp(ref, cur)
    return TestResult(float(res.statistic), float(np.clip(res.pvalue, 0.0, 1.0)))
