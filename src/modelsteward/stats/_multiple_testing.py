"""Adjusting a family of p-values for multiple testing (one per drift column)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from modelsteward.errors import ParameterError
from modelsteward.stats._validation import FloatArray, as_float_array

__all__ = ["benjamini_hochberg", "holm"]


def _p_values(p_values: ArrayLike, func: str) -> FloatArray:
    p = as_float_array(p_values, "p_values", func)
    if p.size == 0:
        raise ParameterError(
            f"The 'p_values' parameter of {func} must hold at least one p-value. "
            "Got an empty array instead."
        )
    valid = (p >= 0.0) & (p <= 1.0)  # also False for NaN
    if not valid.all():
        raise ParameterError(
            f"The 'p_values' parameter of {func} must hold values in [0, 1]. "
            f"Got {float(p[~valid][0])!r} instead."
        )
    return p


def holm(p_values: ArrayLike) -> FloatArray:
    """Holm–Bonferroni adjusted p-values, in the input order.

    With the p-values sorted ascending, ``p_(i)`` becomes
    ``max_{j <= i} min(1, (m - j + 1) * p_(j))``: each adjusted value is at
    least the raw one, the adjusted values keep the raw order, and none exceeds
    1. Reject where the adjusted value is below the family-wise level.

    >>> holm([0.01, 0.04, 0.03, 0.5]).round(4).tolist()
    [0.04, 0.09, 0.09, 0.5]
    """
    p = _p_values(p_values, "holm")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out: FloatArray = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order.

    With the p-values sorted ascending, ``p_(i)`` becomes
    ``min_{j >= i} min(1, m / j * p_(j))``; equal to
    ``scipy.stats.false_discovery_control(p_values)``.

    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    p = _p_values(p_values, "benjamini_hochberg")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    scaled = ranked * m / np.arange(1, m + 1)
    # ``p * m / m`` can round below ``p``; adjusted values are never below the raw ones.
    adjusted = np.clip(np.minimum.accumulate(scaled[::-1])[::-1], ranked, 1.0)
    out: FloatArray = np.empty(m)
    out[order] = adjusted
    return out
