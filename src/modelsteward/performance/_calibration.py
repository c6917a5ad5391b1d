"""Isotonic calibration of scores, cross-fitted, and the check that decides whether to use it.

The calibrator is bagged (:func:`bagged_isotonic`). Fitting uses
:func:`scipy.optimize.isotonic_regression` (pool-adjacent-violators,
vectorised in C) on the distinct score values with their counts as weights;
applying is linear interpolation between the fitted knots, clipped at the ends
(as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``).

The check (``calibration="auto"`` of CBPE) calibrates only when both hold on the reference:

1. the raw scores are miscalibrated beyond chance: their expected calibration error
   (10 equal-count bins) exceeds what labels drawn from the scores themselves give,
   at ``p < 0.1`` (a Hosmer–Lemeshow-style test, by 500 vectorised simulations);
2. out-of-fold isotonic probabilities (``n_folds`` cross-fitting) have a lower ECE than
   the raw scores, i.e. the correction generalises beyond the rows it was fitted on.

Why both: recalibrating scores that are calibrated up to noise only adds noise, and
under covariate shift a map learned from the reference's noise can make estimates worse
(measured in ``bench/estimation.py``); scores that are clearly off are corrected.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

__all__ = [
    "Isotonic",
    "apply_isotonic",
    "bagged_isotonic",
    "cross_fitted",
    "equal_count_ece",
    "fit_isotonic",
    "miscalibration_p_value",
]

FloatArray = NDArray[np.float64]
Isotonic = tuple[FloatArray, FloatArray]


def fit_isotonic(scores: FloatArray, outcome: FloatArray) -> Isotonic:
    """Knots ``(x, y)`` of the non-decreasing fit of ``outcome`` on ``scores``.

    >>> x, y = fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    >>> y.tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    ux, inverse = np.unique(scores, return_inverse=True)
    weights = np.bincount(inverse).astype(np.float64)
    means = np.bincount(inverse, weights=outcome) / weights
    fitted = optimize.isotonic_regression(means, weights=weights, increasing=True).x
    return ux, np.asarray(fitted, dtype=np.float64)


def bagged_isotonic(
    scores: FloatArray, outcome: FloatArray, *, n_bags: int = 20, seed: int = 0
) -> Isotonic:
    """The mean of isotonic fits on ``n_bags`` bootstrap resamples, as knots on the distinct
    scores: still non-decreasing, with smaller steps than one fit (less variance where the
    reference is thin, which is where shifted data lands).

    >>> x, y = bagged_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    >>> bool(np.all(np.diff(y) >= 0)), x.tolist()
    (True, [0.1, 0.2, 0.3, 0.4])
    """
    rng = np.random.default_rng(seed)
    grid = np.unique(scores)
    total = np.zeros(grid.size)
    for _ in range(n_bags):
        rows = rng.integers(0, scores.size, scores.size)
        total += apply_isotonic(fit_isotonic(scores[rows], outcome[rows]), grid)
    return grid, total / n_bags


def apply_isotonic(knots: Isotonic, scores: FloatArray) -> FloatArray:
    """Calibrated probabilities for ``scores`` (clipped to the fitted range)."""
    return np.interp(scores, knots[0], knots[1])


def cross_fitted(
    scores: FloatArray, outcome: FloatArray, *, n_folds: int = 5, seed: int = 0
) -> FloatArray:
    """Out-of-fold isotonic probabilities: each row calibrated by a fit that never saw it."""
    n = scores.size
    folds = np.random.default_rng(seed).permutation(n) % max(2, min(n_folds, n))
    out = np.empty(n)
    for f in np.unique(folds):
        test = folds == f
        out[test] = apply_isotonic(fit_isotonic(scores[~test], outcome[~test]), scores[test])
    return out


def equal_count_ece(outcome: FloatArray, scores: FloatArray, n_bins: int = 10) -> FloatArray:
    """ECE over ``n_bins`` equal-count bins of ``scores``, for each row of ``outcome``.

    ``outcome`` is ``(n,)`` or ``(B, n)``; rows share the binning of ``scores``.

    >>> float(equal_count_ece(np.array([0.0, 1.0, 0.0, 1.0]), np.array([.1, .2, .8, .9]), 2)[0])
    0.35
    """
    order = np.argsort(scores, kind="stable")
    p = scores[order]
    y = np.atleast_2d(outcome)[:, order]
    bins = np.minimum((np.arange(p.size) * n_bins) // max(p.size, 1), n_bins - 1)
    mean_p = np.bincount(bins, weights=p, minlength=n_bins)
    b = y.shape[0]
    flat = (np.arange(b)[:, None] * n_bins + bins).ravel()
    sum_y = np.bincount(flat, weights=y.ravel(), minlength=b * n_bins).reshape(b, n_bins)
    gap = np.abs(mean_p - sum_y)
    return np.asarray(gap.sum(axis=1) / max(p.size, 1), dtype=np.float64)


def miscalibration_p_value(
    outcome: FloatArray,
    scores: FloatArray,
    *,
    n_bins: int = 10,
    n_sim: int = 500,
    seed: int = 0,
    max_rows: int = 50_000,
) -> float:
    """P-value of the scores' ECE under the hypothesis that they are calibrated.

    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=5000)
    >>> miscalibration_p_value((rng.uniform(size=5000) < p) * 1.0, p) > 0.05
    True
    >>> miscalibration_p_value((rng.uniform(size=5000) < p**2) * 1.0, p) < 0.01
    True
    """
    rng = np.random.default_rng(seed)
    if scores.size > max_rows:
        keep = rng.choice(scores.size, max_rows, replace=False)
        scores, outcome = scores[keep], outcome[keep]
    observed = float(equal_count_ece(outcome, scores, n_bins)[0])
    chunk = max(1, 4_000_000 // max(scores.size, 1))
    exceed = 0
    for start in range(0, n_sim, chunk):
        b = min(chunk, n_sim - start)
        simulated = (rng.uniform(size=(b, scores.size)) < scores).astype(np.float64)
        exceed += int(np.sum(equal_count_ece(simulated, scores, n_bins) >= observed))
    return (1 + exceed) / (1 + n_sim)
