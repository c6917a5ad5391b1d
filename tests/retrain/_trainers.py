"""Training functions for the runner tests (importable as ``tests.retrain._trainers``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

NOT_CALLABLE = 3


def _xy(train: Any, params: Mapping[str, Any]) -> tuple[Any, Any]:
    label = params["label"]
    return train.drop(columns=[label]), train[label].to_numpy()


def logistic(train: Any, params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y = _xy(train, params)
    return LogisticRegression(C=float(params.get("C", 1.0))).fit(X, y)


def linear(train: Any, params: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import LinearRegression

    X, y = _xy(train, params)
    return LinearRegression().fit(X, y)


def arrow_majority(train: Any, params: Mapping[str, Any]) -> Any:
    """Takes an Arrow table (input_format='arrow')."""
    import pyarrow as pa

    assert isinstance(train, pa.Table)
    values = train.column(params["label"]).to_numpy()
    return Constant(int(np.bincount(values).argmax()))


class Constant:
    def __init__(self, value: Any) -> None:
        self.value = value

    def predict(self, features: Any) -> np.ndarray:
        n = features.num_rows if hasattr(features, "num_rows") else len(features)
        return np.full(n, self.value)


class BrokenPredict:
    def predict(self, features: Any) -> np.ndarray:
        raise KeyError("feature 'wear' is missing")


class OneOutput:
    def predict(self, features: Any) -> np.ndarray:
        return np.zeros(1)


class Unpicklable(Constant):
    def __init__(self) -> None:
        super().__init__(0)
        self.hook = lambda: None


def raises(train: Any, params: Mapping[str, Any]) -> Any:
    raise ValueError(f"cannot fit on {len(train)} rows: column 'wear' is constant")


def hangs(train: Any, params: Mapping[str, Any]) -> Any:
    if "pid_file" in params:
        Path(params["pid_file"]).write_text(str(os.getpid()))
    while True:
        time.sleep(0.05)


def no_predict(train: Any, params: Mapping[str, Any]) -> Any:
    return {"coef": [1, 2]}


def broken_predict(train: Any, params: Mapping[str, Any]) -> Any:
    return BrokenPredict()


def one_output(train: Any, params: Mapping[str, Any]) -> Any:
    return OneOutput()


def unpicklable(train: Any, params: Mapping[str, Any]) -> Any:
    return Unpicklable()


def exits(train: Any, params: Mapping[str, Any]) -> Any:
    os._exit(3)


def sys_exit(train: Any, params: Mapping[str, Any]) -> Any:
    raise SystemExit(4)


def majority(train: Any, params: Mapping[str, Any]) -> Any:
    values = train[params["label"]].to_numpy()
    return Constant(int(np.bincount(values).argmax()))


def reports_environment(train: Any, params: Mapping[str, Any]) -> Any:
    """Fails on purpose, with the values of ``params["names"]`` in the child's environment."""
    seen = {name: os.environ.get(name) for name in params["names"]}
    raise ValueError("environment " + json.dumps(seen, sort_keys=True))
