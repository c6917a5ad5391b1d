"""Confidence intervals and tests of change between a current sample and a reference.

- proportions (accuracy, binary precision and recall): Wilson score interval; change by
  the two-proportion z-test;
- ROC AUC (binary): DeLong's variance; change by the z-test for two independent AUCs;
- everything else: the percentile bootstrap, seeded and vectorised (all resamples of a
  window in one ``(B, m)`` matrix); change by the bootstrap distribution of the
  difference of two independent resamplings.

Large samples: resampling ``n`` rows ``B`` times costs ``B × n``; above ``max_rows``
we draw ``m = max_rows`` rows per resample and shrink the deviations from the
full-sample value by ``sqrt(m / n)`` (the m-out-of-n bootstrap, valid for the
root-n-consistent metrics here), which keeps intervals of big windows cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = [
    "Change",
    "auc_change",
    "bootstrap_change",
    "bootstrap_draws",
    "normal_interval",
    "percentile_interval",
    "proportion_change",
    "wilson_interval",
]

FloatArray = NDArray[np.float64]
BatchStat = Callable[[Sequence[NDArray[np.generic]]], FloatArray]


@dataclass(frozen=True)
class Change:
    """Current minus reference, with its interval, a two-sided p-value and the verdict."""

    difference: float
    lower: float
    upper: float
    p_value: float
    test: str
    degraded: bool


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n``.

    >>> [round(v, 4) for v in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return float("nan"), float("nan")
    z = _z(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def normal_interval(
    value: float,
    variance: float,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> tuple[float, float]:
    """``value ± z·sqrt(variance)``, clipped to ``bounds`` (DeLong intervals for ROC AUC).

    >>> normal_interval(0.8, 0.0025)
    (0.702..., 0.897...)
    """
    if not np.isfinite(variance):
        return float("nan"), float("nan")
    half = _z(confidence) * float(np.sqrt(max(variance, 0.0)))
    return max(bounds[0], value - half), min(bounds[1], value + half)


def bootstrap_draws(
    statistic: BatchStat,
    arrays: Sequence[NDArray[np.generic]],
    full_value: float,
    *,
    n_boot: int = 200,
    seed: int | Sequence[int] = 0,
    max_rows: int = 20_000,
    sort_indices: bool = False,
    indices: NDArray[np.int64] | None = None,
) -> FloatArray:
    """``n_boot`` bootstrap replicates of ``statistic`` over rows of ``arrays``.

    ``statistic`` takes the arrays gathered as ``(B, m)`` matrices and returns ``B``
    values. Above ``max_rows`` rows the m-out-of-n rescaling of the module note applies.
    ``sort_indices`` keeps each resample in the original row order (for rank metrics on
    rows sorted once by score, which then never sort again).

    >>> x = np.arange(100.0)
    >>> draws = bootstrap_draws(lambda a: a[0].mean(axis=1), [x], float(x.mean()), seed=1)
    >>> draws.shape, 45 < float(draws.mean()) < 54
    ((200,), True)
    """
    n = int(arrays[0].shape[0])
    if indices is not None:
        n_boot, m = indices.shape
    else:
        m = min(n, max_rows)
        rng = np.random.default_rng(seed)
    chunk = max(1, 4_000_000 // max(m, 1))
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        if indices is not None:
            idx = indices[start : start + b]
        else:
            idx = rng.integers(0, n, size=(b, m))
            if sort_indices:
                idx.sort(axis=1)
        out[start : start + b] = statistic([a[idx] for a in arrays])
    if m < n:
        out = full_value + (out - full_value) * np.sqrt(m / n)
    return out


def percentile_interval(draws: FloatArray, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates (NaN replicates ignored)."""
    finite = draws[np.isfinite(draws)]
    if finite.size < 10:
        return float("nan"), float("nan")
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _verdict(difference: float, p_value: float, alpha: float, higher_is_better: bool) -> bool:
    worse = difference < 0 if higher_is_better else difference > 0
    return bool(worse and p_value < alpha)


def _p_two_sided(z: float) -> float:
    return float(2.0 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")


def _z_change(
    diff: float,
    se_test: float,
    se_interval: float,
    confidence: float,
    alpha: float,
    higher_is_better: bool,
    method: str,
) -> Change:
    """A z-test of ``diff`` (standard error ``se_test``) with a Wald interval (``se_interval``).

    A zero standard error gives p = 1 when nothing changed and 0 otherwise.
    """
    p_value = _p_two_sided(diff / se_test) if se_test > 0 else (1.0 if diff == 0 else 0.0)
    half = _z(confidence) * se_interval
    return Change(
        diff,
        diff - half,
        diff + half,
        p_value,
        method,
        _verdict(diff, p_value, alpha, higher_is_better),
    )


def proportion_change(
    current: tuple[float, float],
    reference: tuple[float, float],
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
    higher_is_better: bool = True,
) -> Change:
    """Two-proportion z-test of ``(successes, n)`` current vs reference (pooled variance for the
    p-value, unpooled Wald interval for the difference).

    >>> c = proportion_change((70, 100), (90, 100))
    >>> round(c.difference, 2), c.degraded
    (-0.2, True)
    """
    (x1, n1), (x2, n2) = current, reference
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return _z_change(p1 - p2, se0, se, confidence, alpha, higher_is_better, "two-proportion z")


def auc_change(
    current: tuple[float, float],
    reference: tuple[float, float],
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> Change:
    """z-test for two independent ROC AUCs given ``(auc, DeLong variance)`` of each.

    >>> round(auc_change((0.70, 0.0004), (0.80, 0.0004)).p_value, 6)
    0.000407
    """
    diff = current[0] - reference[0]
    se = float(np.sqrt(current[1] + reference[1]))
    return _z_change(diff, se, se, confidence, alpha, True, "DeLong (independent AUCs)")


def bootstrap_change(
    current: tuple[float, FloatArray],
    reference: tuple[float, FloatArray],
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
    higher_is_better: bool = True,
) -> Change:
    """Change from independent bootstrap replicates: percentile interval of the replicate
    differences; p-value from the normal approximation with their standard deviation.

    >>> rng = np.random.default_rng(0)
    >>> c = bootstrap_change((1.2, rng.normal(1.2, .05, 200)), (1.0, rng.normal(1.0, .05, 200)),
    ...                      higher_is_better=False)
    >>> c.degraded, c.lower > 0
    (True, True)
    """
    diff = current[0] - reference[0]
    d = current[1] - reference[1]
    d = d[np.isfinite(d)]
    lo, hi = percentile_interval(d, confidence) if d.size else (float("nan"), float("nan"))
    se = float(np.std(d, ddof=1)) if d.size > 1 else float("nan")
    p_value = _p_two_sided(diff / se) if se > 0 else (1.0 if diff == 0 else float("nan"))
    return Change(
        diff,
        lo,
        hi,
        p_value,
        "bootstrap difference",
        _verdict(diff, p_value, alpha, higher_is_better),
    )
