"""Shared checks for the profile tests."""

from __future__ import annotations

import numpy as np

from modelsteward.profiles import KLLSketch


def max_cdf_error(sketch: KLLSketch, data: np.ndarray) -> float:
    """Largest |sketch cdf - exact cdf| over the retained items and 1001 data quantiles."""
    ordered = np.sort(data)
    items, _ = sketch.weighted_items()
    points = np.unique(np.concatenate([items, np.quantile(ordered, np.linspace(0, 1, 1001))]))
    exact = np.searchsorted(ordered, points, side="right") / ordered.size
    return float(np.max(np.abs(sketch.cdf(points) - exact)))


def max_quantile_error(sketch: KLLSketch, data: np.ndarray, qs: np.ndarray) -> float:
    """How far (in normalized rank) each sketch quantile's true rank range is from q."""
    ordered = np.sort(data)
    values = sketch.quantiles(qs)
    low = np.searchsorted(ordered, values, side="left") / ordered.size
    high = np.searchsorted(ordered, values, side="right") / ordered.size
    miss = np.maximum(low - qs, 0.0) + np.maximum(qs - high, 0.0)
    return float(miss.max())
