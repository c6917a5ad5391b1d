"""Small training functions for examples, doctests and the CLI's smoke runs.

A training function takes the training table (pandas or Arrow) and ``params`` (which always
hold ``"label"``, the label column) and returns a fitted model with ``predict``.

>>> import pandas as pd
>>> train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
>>> model = threshold(train, {"label": "y", "at": 1.5})
>>> model.predict(train[["x"]]).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["ThresholdModel", "threshold"]


class ThresholdModel:
    """Predicts 1 where ``feature`` is above ``at``, else 0."""

    def __init__(self, feature: str, at: float) -> None:
        self.feature = feature
        self.at = at

    def predict(self, features: Any) -> np.ndarray:
        column = features[self.feature]
        values = column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)
        return (np.asarray(values, dtype=float) > self.at).astype(np.int64)


def threshold(train: Any, params: Mapping[str, Any]) -> ThresholdModel:
    """A :class:`ThresholdModel` on ``params["feature"]`` (default: the first column that is
    not the label) at ``params["at"]`` (default: the median of that column)."""
    label = params["label"]
    columns = [c for c in train.columns if c != label] if hasattr(train, "columns") else []
    feature = str(params.get("feature", columns[0]))
    column = train[feature]
    values = np.asarray(column.to_numpy() if hasattr(column, "to_numpy") else column, float)
    return ThresholdModel(feature, float(params.get("at", np.median(values))))
