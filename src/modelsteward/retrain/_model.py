"""A trained model as the loop sees it: a predict function over Arrow features, the input
schema it was trained on, and the saved artifact.

Every predict function in this package takes a :class:`pyarrow.Table` of feature columns and
returns a one-dimensional numpy array with one output per row; :func:`model_predictor`
adapts a fitted model (anything with ``predict``) to that, handing it a pandas DataFrame
(the default, what scikit-learn expects) or the Arrow table itself.

>>> import pyarrow as pa
>>> class Mean:
...     def predict(self, X):
...         return X.mean(axis=1).to_numpy()
>>> predict = model_predictor(Mean())
>>> predict(pa.table({"a": [1.0, 3.0], "b": [3.0, 5.0]})).tolist()
[2.0, 4.0]
>>> table_schema(pa.table({"a": [1.0], "c": ["x"], "y": [0]}), exclude=("y",))
{'a': 'numeric', 'c': 'categorical'}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from modelsteward.data import infer_kind
from modelsteward.retrain._errors import TrainingFailed
from modelsteward.retrain._worker import usability_problem

__all__ = [
    "InputFormat",
    "PredictFn",
    "TrainedModel",
    "check_usable",
    "model_predictor",
    "table_schema",
]

#: How features are handed to a model's ``predict`` (and the table to the training function).
InputFormat = Literal["pandas", "arrow"]
#: Features (an Arrow table) to one output per row.
PredictFn = Callable[[pa.Table], np.ndarray]


def table_schema(table: pa.Table, exclude: Sequence[str] = ()) -> dict[str, str]:
    """Column name to column kind (``numeric``, ``categorical``, ... as
    :func:`modelsteward.data.infer_kind` says, the vocabulary of the model registry), in
    column order, without the ``exclude`` columns."""
    return {
        name: infer_kind(table.column(name)).value
        for name in table.column_names
        if name not in exclude
    }


def as_frame(table: pa.Table, input_format: InputFormat) -> Any:
    """``table`` as the model expects it: a pandas DataFrame or the Arrow table."""
    if input_format == "arrow":
        return table
    return table.to_pandas()


def model_predictor(model: Any, input_format: InputFormat = "pandas") -> PredictFn:
    """A :data:`PredictFn` calling ``model.predict`` on features in ``input_format``."""

    def predict(features: pa.Table) -> np.ndarray:
        return np.asarray(model.predict(as_frame(features, input_format)))

    return predict


def check_usable(model: Any, sample: pa.Table, input_format: InputFormat = "pandas") -> None:
    """Raise :class:`TrainingFailed` (``unusable``) unless ``model.predict`` on ``sample``
    gives one output per row.

    >>> import pyarrow as pa
    >>> check_usable(object(), pa.table({"a": [1]}))
    Traceback (most recent call last):
    ...
    modelsteward.retrain._errors.TrainingFailed: the training function returned a 'object', ...
    """
    problem = usability_problem(model, sample, input_format)
    if problem is not None:
        raise TrainingFailed("unusable", problem)


@dataclass(frozen=True)
class TrainedModel:
    """A candidate fresh from training.

    ``model`` is the fitted object, ``predict`` its :data:`PredictFn`, ``input_schema`` the
    feature columns it was trained on (name to column kind), ``artifact`` the joblib bytes
    the runner received (None when trained in-process), ``params`` the training
    parameters and ``duration_s`` the wall time of training.
    """

    model: Any
    predict: PredictFn
    input_schema: Mapping[str, str]
    entry_point: str
    params: Mapping[str, Any] = field(default_factory=dict)
    artifact: bytes | None = None
    artifact_sha256: str | None = None
    train_rows: int = 0
    duration_s: float = 0.0
    input_format: InputFormat = "pandas"

    def describe(self) -> dict[str, Any]:
        """JSON data about the run (no model, no bytes), for lineage and the audit log."""
        return {
            "entry_point": self.entry_point,
            "params": dict(self.params),
            "artifact_sha256": self.artifact_sha256,
            "artifact_bytes": None if self.artifact is None else len(self.artifact),
            "train_rows": self.train_rows,
            "duration_s": round(self.duration_s, 6),
            "input_schema": dict(self.input_schema),
            "input_format": self.input_format,
        }
