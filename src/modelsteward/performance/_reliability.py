"""Expected calibration error and the reliability curve behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError
from modelsteward.performance._classification import _score_matrix

__all__ = ["ReliabilityCurve", "confidence_rows", "expected_calibration_error", "reliability_curve"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per-bin counts, mean predicted probability and observed frequency; empty bins are dropped.

    ``edges`` are the ``n_bins + 1`` uniform edges on [0, 1]; ``bins`` the indices of the
    non-empty ones; ``ece`` the count-weighted mean gap between prediction and outcome.
    """

    edges: list[float]
    bins: list[int]
    mean_predicted: list[float]
    observed: list[float]
    counts: list[int]
    ece: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "edges": self.edges,
            "bins": self.bins,
            "mean_predicted": self.mean_predicted,
            "observed": self.observed,
            "counts": self.counts,
            "ece": self.ece,
        }


def bin_index(confidence: FloatArray, n_bins: int) -> NDArray[np.int64]:
    """Uniform bins on [0, 1], right edges inclusive (as scikit-learn's ``calibration_curve``)."""
    if n_bins < 1:
        raise ParameterError(f"n_bins must be a positive integer. Got {n_bins!r} instead.")
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return np.searchsorted(inner, confidence).astype(np.int64)


def confidence_rows(
    true: NDArray[np.int64], proba: FloatArray, binary: bool
) -> tuple[FloatArray, FloatArray]:
    """Confidence and 0/1 outcome per row: p(positive) and the label for binary tasks,
    the top probability and whether it was right (top-label calibration) for multiclass."""
    if binary:
        return proba[:, 1], (true == 1).astype(np.float64)
    top = np.argmax(proba, axis=1)
    return proba[np.arange(true.size), top], (top == true).astype(np.float64)


def reliability_from_rows(
    confidence: FloatArray, outcome: FloatArray, n_bins: int
) -> ReliabilityCurve:
    """Build the curve from per-row confidence and outcome."""
    bins = bin_index(confidence, n_bins)
    counts = np.bincount(bins, minlength=n_bins)
    sum_p = np.bincount(bins, weights=confidence, minlength=n_bins)
    sum_y = np.bincount(bins, weights=outcome, minlength=n_bins)
    keep = np.flatnonzero(counts)
    n = max(int(counts.sum()), 1)
    ece = float(np.abs(sum_p - sum_y).sum() / n)
    return ReliabilityCurve(
        edges=np.linspace(0.0, 1.0, n_bins + 1).tolist(),
        bins=keep.tolist(),
        mean_predicted=(sum_p[keep] / counts[keep]).tolist(),
        observed=(sum_y[keep] / counts[keep]).tolist(),
        counts=counts[keep].tolist(),
        ece=ece,
    )


def reliability_curve(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    n_bins: int = 10,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> ReliabilityCurve:
    """Reliability curve and ECE (binary on p(``pos_label``); multiclass on the top label).

    >>> curve = reliability_curve([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3], n_bins=2)
    >>> curve.counts, curve.observed, round(curve.ece, 3)
    ([2, 2], [0.0, 1.0], 0.175)
    """
    t, s, pos = _score_matrix(y_true, y_proba, pos_label, classes)
    return reliability_from_rows(*confidence_rows(t, s, pos is not None), n_bins)


def expected_calibration_error(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    n_bins: int = 10,
    pos_label: Any = 1,
    classes: Sequence[Any] | None = None,
) -> float:
    """Expected calibration error over ``n_bins`` uniform bins.

    >>> round(expected_calibration_error([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3], n_bins=2), 3)
    0.175
    """
    return reliability_curve(
        y_true, y_proba, n_bins=n_bins, pos_label=pos_label, classes=classes
    ).ece
