"""Checks on probabilities and classes shared by ``evaluate`` and ``CBPE``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelsteward.errors import InputError

__all__ = ["ROW_SUM_TOLERANCE", "check_known_classes", "check_probabilities"]

#: How far a row of class probabilities may sum from 1.
ROW_SUM_TOLERANCE = 1e-6


def check_probabilities(proba: NDArray[np.float64], where: str, *, rows_sum_to_one: bool) -> None:
    """Raise :class:`InputError` for NaN, values outside [0, 1] or rows not summing to 1.

    >>> check_probabilities(np.array([0.2, 1.3]), "scores", rows_sum_to_one=False)
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: scores: probability 1.3 in row 1 is outside [0, 1]; ...
    """
    bad_nan = np.isnan(proba)
    if bad_nan.any():
        row = int(np.argwhere(bad_nan)[0][0])
        raise InputError(
            f"{where}: missing or NaN probability in row {row}; fill or drop rows without a score"
        )
    bad = (proba < 0.0) | (proba > 1.0)
    if bad.any():
        at = tuple(np.argwhere(bad)[0])
        raise InputError(
            f"{where}: probability {float(proba[at]):g} in row {int(at[0])} is outside [0, 1]; "
            "pass probabilities (apply a sigmoid/softmax to raw scores or logits)"
        )
    if rows_sum_to_one and proba.ndim == 2:
        sums = proba.sum(axis=1)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise InputError(
                f"{where}: class probabilities in row {row} sum to {float(sums[row]):.6g}, not 1 "
                f"(tolerance {ROW_SUM_TOLERANCE:g}); pass one column per class, normalised"
            )


def check_known_classes(
    values: NDArray[Any], known: Sequence[Any] | NDArray[Any], where: str
) -> None:
    """Raise :class:`InputError` when ``values`` holds a class absent from ``known``.

    >>> check_known_classes(np.array(["a", "c"]), ["a", "b"], "current labels")
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: current labels: class 'c' never appears in the reference ...
    """
    seen = np.unique(values)
    unseen = seen[~np.isin(seen, np.asarray(known))]
    if unseen.size:
        cls = unseen[0].item() if hasattr(unseen[0], "item") else unseen[0]
        raise InputError(
            f"{where}: class {cls!r} never appears in the reference (reference classes: "
            f"{[k.item() if hasattr(k, 'item') else k for k in known]}); add examples of it "
            "to the reference or map it to a known class"
        )
