"""Rank-based building blocks: midranks, (weighted) ROC AUC and DeLong's variance.

Everything works on whole arrays; :func:`midranks` and :func:`batch_auc` also work
row-wise on a ``(B, n)`` matrix, which is how bootstrap resamples are evaluated.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["batch_auc", "delong", "midranks", "weighted_auc"]

FloatArray = NDArray[np.float64]


def midranks(values: NDArray[np.generic]) -> FloatArray:
    """Ranks (1-based) along the last axis, ties sharing the mean of their ranks.

    >>> midranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
    [3.5, 1.0, 3.5, 2.0]
    """
    x = np.asarray(values)
    order = np.argsort(x, axis=-1, kind="stable")
    s = np.take_along_axis(x, order, axis=-1)
    m = s.shape[-1]
    idx = np.broadcast_to(np.arange(m), s.shape)
    change = s[..., 1:] != s[..., :-1]
    start = np.concatenate([np.ones((*s.shape[:-1], 1), bool), change], axis=-1)
    end = np.concatenate([change, np.ones((*s.shape[:-1], 1), bool)], axis=-1)
    first = np.maximum.accumulate(np.where(start, idx, 0), axis=-1)
    last_rev = np.minimum.accumulate(np.flip(np.where(end, idx, m - 1), axis=-1), axis=-1)
    last = np.flip(last_rev, axis=-1)
    ranked = (first + last) / 2.0 + 1.0
    out = np.empty(s.shape, dtype=np.float64)
    np.put_along_axis(out, order, ranked, axis=-1)
    return out


def batch_auc(positive: NDArray[np.bool_], scores: FloatArray) -> FloatArray:
    """ROC AUC of each row of ``scores`` against the 0/1 labels ``positive`` (same shape).

    Rows with a single class give NaN.

    >>> batch_auc(np.array([[0, 0, 1, 1]], bool), np.array([[0.1, 0.4, 0.35, 0.8]]))
    array([0.75])
    """
    ranks = midranks(scores)
    pos = positive.astype(np.float64)
    n1 = pos.sum(axis=-1)
    n0 = pos.shape[-1] - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((ranks * pos).sum(axis=-1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)


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
