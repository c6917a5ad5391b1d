"""Rank-based building blocks: midranks, (weighted) ROC AUC and DeLong's variance.

Everything works on whole arrays; :func:`midranks` and :func:`batch_auc` also work
row-wise on a ``(B, n)`` matrix, which is how bootstrap resamples are evaluated.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from modelsteward.stats import batch_auc, midranks

# midranks and batch_auc live in the numeric core (modelsteward.stats); re-exported here.
__all__ = ["batch_auc", "delong", "midranks", "weighted_auc"]

FloatArray = NDArray[np.float64]


def weighted_auc(
    scores: FloatArray, w_pos: FloatArray, w_neg: FloatArray, *, exclude_self: bool = False
) -> float:
    """ROC AUC where row ``i`` counts as ``w_pos[i]`` of a positive and ``w_neg[i]`` of a negative.

    With 0/1 labels (``w_pos = y``, ``w_neg = 1 - y``) this is the usual AUC. With
    calibrated probabilities (``w_pos = p``, ``w_neg = 1 - p``) it is the AUC expected
    without labels; ``exclude_self`` drops the pairing of a row with itself. NaN when
    either weight sums to zero. Ties count one half. O(n log n).

    >>> y = np.array([0, 0, 1, 1.0])
    >>> weighted_auc(np.array([0.1, 0.4, 0.35, 0.8]), y, 1 - y)
    0.75
    """
    uniq, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=w_pos, minlength=uniq.size)
    neg = np.bincount(inverse, weights=w_neg, minlength=uniq.size)
    below = np.cumsum(neg) - neg
    numerator = float(np.dot(pos, below + 0.5 * neg))
    denominator = float(pos.sum() * neg.sum())
    if exclude_self:
        own = float(np.dot(w_pos, w_neg))
        numerator -= 0.5 * own
        denominator -= own
    return numerator / denominator if denominator > 0 else float("nan")


def delong(positive: NDArray[np.bool_], scores: FloatArray) -> tuple[float, float]:
    """ROC AUC and its DeLong variance, by the O(n log n) midrank algorithm of Sun & Xu (2014).

    Returns ``(nan, nan)`` when only one class is present.

    >>> auc, var = delong(np.array([0, 0, 1, 1, 0, 1], bool), np.array([.1, .4, .35, .8, .2, .9]))
    >>> round(auc, 4), round(var, 4)
    (0.8889, 0.0247)
    """
    pos_scores = scores[positive]
    neg_scores = scores[~positive]
    m, n = pos_scores.size, neg_scores.size
    if m == 0 or n == 0:
        return float("nan"), float("nan")
    tz = midranks(np.concatenate([pos_scores, neg_scores]))
    tx = midranks(pos_scores)
    ty = midranks(neg_scores)
    auc = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    return float(auc), s10 / m + s01 / n
