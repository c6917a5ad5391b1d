"""Argument checks shared by the statistics; every failure is a ParameterError.

Messages follow scikit-learn: they name the parameter and the function and echo
the bad value, e.g. "The 'bins' parameter of psi_numeric must be an int >= 2.
Got 1 instead."
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError

FloatArray = NDArray[np.float64]


def _describe(array: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(array.item())
    if array.ndim != 1:
        return f"an array of shape {array.shape}"
    if array.size == 0:
        return "an empty array"
    return f"an array of length {array.size}"


def as_float_array(values: ArrayLike, name: str, func: str) -> FloatArray:
    """Convert to a 1-D float64 array (no copy when it already is one)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a 1-D array of numbers. "
            f"Got {type(values).__name__} that cannot be read as numbers instead."
        ) from exc
    if array.ndim != 1:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a 1-D array of numbers. "
            f"Got {_describe(array)} instead."
        )
    return array


def sample(
    values: ArrayLike,
    name: str,
    func: str,
    *,
    min_size: int = 1,
    assume_sorted: bool = False,
) -> FloatArray:
    """A 1-D float64 sample of finite values with at least ``min_size`` of them.

    With ``assume_sorted`` the sample must already be sorted ascending; the
    check is one vectorised comparison (well under a millisecond per million).
    """
    array = as_float_array(values, name, func)
    if array.size < min_size:
        need = "a non-empty sample" if min_size == 1 else f"at least {min_size} values"
        raise ParameterError(
            f"The {name!r} parameter of {func} must hold {need}. Got {_describe(array)} instead."
        )
    if assume_sorted and array.size > 1:
        # One pass instead of two: a sorted array is finite when its ends are, and
        # ``>=`` is False next to a NaN, so NaN anywhere fails the order check too.
        in_order = bool((array[1:] >= array[:-1]).all())
        if in_order and np.isfinite(array[0]) and np.isfinite(array[-1]):
            return array
    if not np.isfinite(array).all():
        raise ParameterError(
            f"The {name!r} parameter of {func} must hold finite values only "
            f"(drop NaN and infinity first). Got {int((~np.isfinite(array)).sum())} "
            "non-finite values instead."
        )
    if assume_sorted and array.size > 1:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be sorted ascending when "
            "assume_sorted=True. Got an unsorted array instead; pass assume_sorted=False."
        )
    return array


def counts(
    reference_counts: ArrayLike, current_counts: ArrayLike, func: str
) -> tuple[FloatArray, FloatArray]:
    """Two aligned, non-negative, finite count vectors, each with a positive total."""
    ref = as_float_array(reference_counts, "reference_counts", func)
    cur = as_float_array(current_counts, "current_counts", func)
    if ref.size == 0:
        raise ParameterError(
            f"The 'reference_counts' parameter of {func} must hold at least one bin. "
            "Got an empty array instead."
        )
    if cur.size != ref.size:
        raise ParameterError(
            f"The 'current_counts' parameter of {func} must have the same length as "
            f"'reference_counts' ({ref.size}). Got length {cur.size} instead."
        )
    for name, array in (("reference_counts", ref), ("current_counts", cur)):
        if not np.isfinite(array).all() or bool((array < 0).any()):
            bad = array[~(np.isfinite(array) & (array >= 0))][0]
            raise ParameterError(
                f"The {name!r} parameter of {func} must hold finite counts >= 0. "
                f"Got {float(bad)!r} instead."
            )
        if not array.sum() > 0:
            raise ParameterError(
                f"The {name!r} parameter of {func} must have a positive total. "
                "Got all zeros instead."
            )
    return ref, cur


def int_at_least(value: object, name: str, func: str, minimum: int) -> int:
    """An int (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be an int >= {minimum}. Got {value!r} instead."
        )
    return int(value)


def float_in_open_unit(value: object, name: str, func: str) -> float:
    """A real number in (0, 1)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 < float(value) < 1.0
    ):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a float in (0, 1). Got {value!r} instead."
        )
    return float(value)
