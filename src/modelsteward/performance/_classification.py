"""Classification metrics, vectorised, with row-wise batch forms used by the bootstrap.

Each metric is computed from a few per-row arrays; the ``batch_*`` functions take
those arrays stacked as ``(B, m)`` matrices (one bootstrap resample per row) and return
``B`` values, so a single evaluation is the batch of one. Undefined values (no
predicted positives for precision, one class for ROC AUC) are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import InputError, ParameterError
from modelsteward.performance._ranking import batch_auc

__all__ = [
    "accuracy",
    "average_precision",
    "batch_average_precision",
    "batch_average_precision_sorted",
    "batch_confusion",
    "batch_ece",
    "brier_score",
    "encode",
    "f1",
    "log_loss",
    "precision",
    "prf_from_confusion",
    "recall",
    "roc_auc",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
EPS = float(np.finfo(np.float64).eps)


def encode(*arrays: ArrayLike, classes: Sequence[Any] | None = None) -> tuple[Any, list[IntArray]]:
    """Map label arrays to integer codes over the sorted union of their values (or ``classes``).

    >>> classes, (a, b) = encode(["b", "a"], ["a", "c"])
    >>> classes.tolist(), a.tolist(), b.tolist()
    (['a', 'b', 'c'], [1, 0], [0, 2])
    """
    values = [np.asarray(a) for a in arrays]
    known = np.unique(np.concatenate(values)) if classes is None else np.asarray(classes)
    codes = []
    for v in values:
        idx = np.searchsorted(known, v) if classes is None else _lookup(known, v)
        codes.append(idx.astype(np.int64))
    return known, codes


def _lookup(known: NDArray[Any], values: NDArray[Any]) -> IntArray:
    order = np.argsort(known, kind="stable")
    pos = np.searchsorted(known[order], values).clip(0, known.size - 1)
    found = known[order][pos] == values
    if not np.all(found):
        bad = values[~found][0]
        raise InputError(
            f"label {bad!r} is not one of the known classes {known.tolist()}; "
            "pass the full list of classes"
        )
    return np.asarray(order[pos], dtype=np.int64)


def batch_confusion(true: IntArray, pred: IntArray, k: int) -> IntArray:
    """Confusion matrices ``(B, k, k)`` (rows: true, columns: predicted) of ``(B, m)`` codes."""
    b = true.shape[0]
    flat = (np.arange(b)[:, None] * k + true) * k + pred
    out: IntArray = np.bincount(flat.ravel(), minlength=b * k * k).reshape(b, k, k)
    return out


def prf_from_confusion(
    cm: NDArray[np.int64] | NDArray[np.float64], average: str, pos: int = 1
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Precision, recall and F1 from ``(B, k, k)`` confusion matrices.

    ``average``: ``"binary"`` (class index ``pos``; NaN when undefined), ``"macro"`` or
    ``"weighted"`` (per-class values with a zero denominator count as 0, over classes
    present among labels or predictions, as scikit-learn does).
    """
    tp = np.diagonal(cm, axis1=1, axis2=2).astype(np.float64)
    predicted = cm.sum(axis=1).astype(np.float64)
    actual = cm.sum(axis=2).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = tp / predicted
        r = tp / actual
        f = 2 * tp / (predicted + actual)
    if average == "binary":
        return p[:, pos], r[:, pos], f[:, pos]
    p, r, f = (np.nan_to_num(x, nan=0.0) for x in (p, r, f))
    if average == "macro":
        present = ((predicted + actual) > 0).astype(np.float64)
        weights = present / np.maximum(present.sum(axis=1, keepdims=True), 1)
    elif average == "weighted":
        weights = actual / np.maximum(actual.sum(axis=1, keepdims=True), 1)
    else:
        raise ParameterError(f"average must be 'binary', 'macro' or 'weighted'. Got {average!r}.")
    return (p * weights).sum(1), (r * weights).sum(1), (f * weights).sum(1)


def batch_average_precision(positive: NDArray[np.bool_], scores: FloatArray) -> FloatArray:
    """Average precision (PR AUC, step-wise as scikit-learn) of each row; NaN without positives."""
    order = np.argsort(-scores, axis=-1, kind="stable")
    return batch_average_precision_sorted(
        np.take_along_axis(positive, order, axis=-1), np.take_along_axis(scores, order, axis=-1)
    )


def batch_average_precision_sorted(positive: NDArray[np.bool_], scores: FloatArray) -> FloatArray:
    """:func:`batch_average_precision` of rows already sorted by descending score.

    Each positive contributes the precision at the end of its run of tied scores (the
    threshold that admits it), so the sum over positives divided by their number is the
    step-wise area of scikit-learn's ``average_precision_score``.
    """
    y = positive.astype(np.float64)
    m = y.shape[-1]
    tps = np.cumsum(y, axis=-1)
    precision_at = tps / np.arange(1, m + 1, dtype=np.float64)
    end = np.concatenate(
        [scores[..., 1:] != scores[..., :-1], np.ones((*y.shape[:-1], 1), bool)], -1
    )
    idx = np.where(end, np.arange(m), m - 1)
    run_end = np.flip(np.minimum.accumulate(np.flip(idx, axis=-1), axis=-1), axis=-1)
    total = tps[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ap = (y * np.take_along_axis(precision_at, run_end, axis=-1)).sum(axis=-1) / total
    return np.where(total > 0, ap, np.nan)


def batch_ece(
    bins: IntArray, confidence: FloatArray, outcome: FloatArray, n_bins: int
) -> FloatArray:
    """Expected calibration error of each row: sum over bins of share × |confidence − frequency|."""
    b, m = bins.shape
    flat = (np.arange(b)[:, None] * n_bins + bins).ravel()
    gap = np.bincount(flat, weights=(confidence - outcome).ravel(), minlength=b * n_bins)
    out: FloatArray = np.abs(gap.reshape(b, n_bins)).sum(axis=1) / m
    return out


def _codes(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[Any, IntArray, IntArray]:
    classes, (t, p) = encode(y_true, y_pred)
    return classes, t, p


def _pos_index(classes: Any, pos_label: Any) -> int:
    hits = np.flatnonzero(classes == pos_label)
    if hits.size == 0:
        raise ParameterError(f"pos_label {pos_label!r} is not among the labels {classes.tolist()}")
    return int(hits[0])


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of correct predictions.

    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _prf(y_true: ArrayLike, y_pred: ArrayLike, average: str, pos_label: Any, which: int) -> float:
    classes, t, p = _codes(y_true, y_pred)
    pos = _pos_index(classes, pos_label) if average == "binary" else 0
    cm = batch_confusion(t[None], p[None], classes.size)
    return float(prf_from_confusion(cm, average, pos)[which][0])


def precision(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: str = "binary", pos_label: Any = 1
) -> float:
    """Precision; ``average`` is ``"binary"``, ``"macro"`` or ``"weighted"``.

    >>> precision([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _prf(y_true, y_pred, average, pos_label, 0)


def recall(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: str = "binary", pos_label: Any = 1
) -> float:
    """Recall; ``average`` is ``"binary"``, ``"macro"`` or ``"weighted"``.

    >>> recall([0, 1, 1, 1], [1, 1, 0, 1])
    0.6666666666666666
    """
    return _prf(y_true, y_pred, average, pos_label, 1)


def f1(
    y_true: ArrayLike, y_pred: ArrayLike, *, average: str = "binary", pos_label: Any = 1
) -> float:
    """F1 score; ``average`` is ``"binary"``, ``"macro"`` or ``"weighted"``.

    >>> f1(["a", "b", "b"], ["a", "b", "a"], average="macro")
    0.6666666666666666
    """
    return _prf(y_true, y_pred, average, pos_label, 2)


def _score_matrix(
    y_true: ArrayLike, y_score: ArrayLike, pos_label: Any, classes: Sequence[Any] | None
) -> tuple[IntArray, FloatArray, int | None]:
    """Codes of ``y_true`` and an ``(n, k)`` score matrix; the positive index for 1-d scores."""
    scores = np.asarray(y_score, dtype=np.float64)
    if scores.ndim == 1:
        t = (np.asarray(y_true) == pos_label).astype(np.int64)
        return t, np.column_stack([1.0 - scores, scores]), 1
    known, (t,) = encode(
        y_true, classes=classes if classes is not None else list(np.unique(y_true))
    )
    if scores.shape[1] != known.size:
        raise InputError(f"y_score has {scores.shape[1]} columns for {known.size} classes")
    return t, scores, None


def roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> float:
    """ROC AUC: binary for 1-d scores (of ``pos_label``), one-vs-rest macro for ``(n, k)`` scores.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    t, s, pos = _score_matrix(y_true, y_score, pos_label, classes)
    cols = [1] if pos is not None else range(s.shape[1])
    return float(np.mean([batch_auc((t == j)[None], s[None, :, j])[0] for j in cols]))


def average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> float:
    """PR AUC as average precision; one-vs-rest macro for an ``(n, k)`` score matrix.

    >>> average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """
    t, s, pos = _score_matrix(y_true, y_score, pos_label, classes)
    cols = [1] if pos is not None else range(s.shape[1])
    return float(np.mean([batch_average_precision((t == j)[None], s[None, :, j])[0] for j in cols]))


def log_loss_rows(true: IntArray, proba: FloatArray) -> FloatArray:
    """Per-row cross-entropy ``-log p[true]`` with probabilities clipped to ``[eps, 1 - eps]``."""
    picked = np.take_along_axis(proba, true[:, None], axis=1)[:, 0]
    return -np.log(np.clip(picked, EPS, 1 - EPS))


def brier_rows(true: IntArray, proba: FloatArray, binary: bool) -> FloatArray:
    """Per-row Brier loss: ``(p - y)^2`` for binary, the sum over classes for multiclass."""
    onehot = np.zeros_like(proba)
    onehot[np.arange(true.size), true] = 1.0
    if binary:
        return np.asarray((proba[:, 1] - onehot[:, 1]) ** 2, dtype=np.float64)
    return np.asarray(((proba - onehot) ** 2).sum(axis=1), dtype=np.float64)


def log_loss(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> float:
    """Mean cross-entropy of probabilities (1-d: of ``pos_label``).

    >>> round(log_loss([0, 1], [0.2, 0.9]), 4)
    0.1643
    """
    t, s, _ = _score_matrix(y_true, y_proba, pos_label, classes)
    return float(np.mean(log_loss_rows(t, s)))


def brier_score(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> float:
    """Brier score: mean ``(p - y)^2`` (binary) or mean squared distance to the one-hot label.

    >>> round(brier_score([0, 1], [0.2, 0.9]), 4)
    0.025
    """
    t, s, pos = _score_matrix(y_true, y_proba, pos_label, classes)
    return float(np.mean(brier_rows(t, s, binary=pos is not None)))
