"""Midranks and the rank-sum (Mann–Whitney) ROC AUC, row-wise on matrices.

They serve the performance metrics (AUC and its bootstrap) and the drift engine's
domain classifier, whose permutation importance scores every shuffled copy at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["batch_auc", "midranks"]

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
