"""Regression metrics on whole arrays, with row-wise ``(B, m)`` batch forms for the bootstrap.

MAPE and zeros: a true value of 0 makes the percentage error infinite. We follow
scikit-learn: the denominator is ``max(|y|, eps)`` (machine epsilon), so a zero target
with a non-zero prediction gives a huge error rather than ``inf``. Pass
``zeros="exclude"`` to leave rows with ``y == 0`` out instead (NaN if nothing remains).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError

__all__ = ["batch_r2", "mae", "mape", "mape_rows", "pinball_rows", "quantile_loss", "r2", "rmse"]

FloatArray = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error.

    >>> mae([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    0.5
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error.

    >>> rmse([0.0, 0.0], [3.0, 4.0])
    3.5355339059327378
    """
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mape_rows(t: FloatArray, p: FloatArray, zeros: str = "epsilon") -> FloatArray:
    """Per-row absolute percentage error (a fraction); NaN marks rows left out."""
    if zeros == "epsilon":
        return np.abs(t - p) / np.maximum(np.abs(t), EPS)
    if zeros == "exclude":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t == 0, np.nan, np.abs(t - p) / np.abs(t))
    raise ParameterError(f"zeros must be 'epsilon' or 'exclude'. Got {zeros!r}.")


def mape(y_true: ArrayLike, y_pred: ArrayLike, *, zeros: str = "epsilon") -> float:
    """Mean absolute percentage error as a fraction (0.1 is 10 %); see the module note on zeros.

    >>> mape([1.0, 2.0, 0.0], [1.1, 2.0, 0.0])
    0.0333...
    >>> mape([1.0, 0.0], [1.1, 5.0], zeros="exclude")
    0.1000...
    """
    rows = mape_rows(*_pair(y_true, y_pred), zeros=zeros)
    return float(np.nanmean(rows)) if np.any(~np.isnan(rows)) else float("nan")


def batch_r2(t: FloatArray, p: FloatArray) -> FloatArray:
    """R² of each row of ``(B, m)`` matrices; NaN when the targets are constant."""
    ss_res = ((t - p) ** 2).sum(axis=-1)
    ss_tot = ((t - t.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination; NaN when the targets are constant.

    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 2.0])
    0.5
    """
    t, p = _pair(y_true, y_pred)
    return float(batch_r2(t[None], p[None])[0])


def pinball_rows(t: FloatArray, p: FloatArray, quantile: float) -> FloatArray:
    """Per-row pinball loss of predicting the ``quantile`` of ``t`` by ``p``."""
    if not 0.0 < quantile < 1.0:
        raise ParameterError(f"quantile must be in (0, 1). Got {quantile!r} instead.")
    diff = t - p
    return np.maximum(quantile * diff, (quantile - 1.0) * diff)


def quantile_loss(y_true: ArrayLike, y_pred: ArrayLike, *, quantile: float = 0.5) -> float:
    """Mean pinball loss at ``quantile`` (0.5 gives half the MAE).

    >>> quantile_loss([1.0, 2.0], [2.0, 2.0], quantile=0.9)
    0.05
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(pinball_rows(t, p, quantile)))
