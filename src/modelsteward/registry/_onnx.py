"""Running an ONNX model (an onnxruntime ``InferenceSession``) on tables of features.

An ONNX graph declares its inputs: usually one 2-D tensor holding every feature (what
``skl2onnx.to_onnx(model, X)`` writes), sometimes one ``[N, 1]`` tensor per column (a pipeline
converted from a DataFrame, e.g. with a ``ColumnTransformer``). Each declares its element type
(``tensor(float)``, ``tensor(double)``, ``tensor(int64)``, ``tensor(string)``, ...), which the
inputs are cast to. Classifier probabilities may come as a ``ZipMap`` (a list of
``{class: probability}``); they are turned into an ``[N, classes]`` array like scikit-learn's
``predict_proba``. A single-column prediction ``[N, 1]`` (regressors) is flattened to ``[N]``.

>>> import numpy as np
>>> class Arg:
...     def __init__(self, name, type, shape):
...         self.name, self.type, self.shape = name, type, shape
>>> class Session:  # the two calls of an InferenceSession used here
...     def get_inputs(self):
...         return [Arg("a", "tensor(double)", [None, 1]), Arg("c", "tensor(string)", [None, 1])]
>>> feeds = onnx_feeds(Session(), {"a": [1, 2], "c": ["x", "y"]})
>>> feeds["a"].dtype, feeds["a"].shape, feeds["c"].tolist()
(dtype('float64'), (2, 1), [['x'], ['y']])
>>> onnx_input_schema(Session())
{'a': 'numeric', 'c': 'categorical'}
>>> onnx_probabilities([{0: 0.25, 1: 0.75}, {0: 1.0, 1: 0.0}]).tolist()
[[0.25, 0.75], [1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from modelsteward.errors import SchemaError

__all__ = [
    "onnx_feeds",
    "onnx_input_schema",
    "onnx_labels",
    "onnx_probabilities",
]

_DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.object_,
}


def _dtype(arg: Any) -> Any:
    return _DTYPES.get(str(arg.type), np.float32)


def _kind(arg: Any) -> str:
    dtype = _dtype(arg)
    if dtype is np.object_:
        return "categorical"
    if dtype is np.bool_:
        return "boolean"
    return "numeric"


def _columns(data: Any) -> Mapping[str, Any] | None:
    """``data`` as ``{column: values}`` when it is a mapping or a DataFrame, else ``None``."""
    if isinstance(data, Mapping):
        return data
    columns = getattr(data, "columns", None)
    if columns is not None and callable(getattr(data, "__getitem__", None)):
        return {str(c): data[c] for c in columns}
    return None


def _values(values: Any) -> Any:
    to_numpy = getattr(values, "to_numpy", None)
    return to_numpy() if callable(to_numpy) else values


def onnx_feeds(session: Any, data: Any) -> dict[str, Any]:
    """The ``{input name: array}`` to pass to ``session.run`` for a batch of rows.

    ``data`` is a 2-D array (or anything ``numpy.asarray`` takes), a DataFrame, or a mapping
    ``{column: values}``. With one declared input every column goes into it, in the order
    given; with several, each input takes the column of its name as an ``[N, 1]`` array.
    """
    inputs = list(session.get_inputs())
    columns = _columns(data)
    if len(inputs) == 1:
        arg = inputs[0]
        dtype = _dtype(arg)
        if columns is not None:
            parts = [np.asarray(_values(v), dtype=dtype) for v in columns.values()]
            matrix = np.column_stack(parts)
        else:
            matrix = np.asarray(data, dtype=dtype)
        if matrix.ndim == 1:
            matrix = matrix.reshape(1, -1)
        return {arg.name: matrix}
    if columns is None:
        names = ", ".join(arg.name for arg in inputs)
        raise SchemaError(
            f"This ONNX model takes one input per column ({names}); pass a DataFrame or a "
            "mapping of column name to values, not a bare array."
        )
    missing = [arg.name for arg in inputs if arg.name not in columns]
    if missing:
        raise SchemaError(f"The ONNX model needs the column(s) {', '.join(missing)}.")
    return {
        arg.name: np.asarray(_values(columns[arg.name]), dtype=_dtype(arg)).reshape(-1, 1)
        for arg in inputs
    }


def onnx_input_schema(session: Any) -> dict[str, str] | None:
    """``{column: kind}`` for a model with one input per column; ``None`` for one matrix."""
    inputs = list(session.get_inputs())
    if len(inputs) < 2:
        return None
    return {str(arg.name): _kind(arg) for arg in inputs}


def onnx_labels(output: Any) -> Any:
    """The first output as predictions: ``[N, 1]`` becomes ``[N]``."""
    array = np.asarray(output)
    if array.ndim == 2 and array.shape[1] == 1:
        return array.ravel()
    return array


def onnx_probabilities(output: Any) -> Any:
    """Probabilities as an ``[N, classes]`` array (a ``ZipMap`` list of dicts included)."""
    if isinstance(output, Sequence) and output and isinstance(output[0], Mapping):
        classes = list(output[0])
        return np.array([[row[c] for c in classes] for row in output], dtype=float)
    return np.asarray(output)
