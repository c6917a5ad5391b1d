"""Isotonic calibration of scores, cross-fitted, and the check that decides whether to use it.

Fitting uses :func:`scipy.optimize.isotonic_regression` (pool-adjacent-violators,
vectorised in C) on the distinct score values with their counts as weights;
applying is linear interpolation between the fitted knots, clipped at the ends
(as scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``).

The check: out-of-fold (``n_folds``) isotonic probabilities are compared with the raw
scores by Brier score on the reference. If the raw scores are already calibrated,
isotonic fitting only adds noise and the out-of-fold Brier is no better, so the raw
scores are kept; otherwise the calibrator fitted on the whole reference is used.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

__all__ = ["Isotonic", "cross_fitted", "fit_isotonic"]

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
