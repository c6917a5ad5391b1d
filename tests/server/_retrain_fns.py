"""Tiny training functions for the scheduler's retraining tests (run in a subprocess, so
importable as ``tests.server._retrain_fns``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from modelsteward.retrain._examples import ThresholdModel


class Threshold(ThresholdModel):
    """Names its input like a fitted scikit-learn model, so the registry serves it frames."""

    feature_names_in_ = np.array(["x"])


def fit(train: Any, params: Mapping[str, Any]) -> ThresholdModel:
    """The threshold on ``x`` (at 0.5), after ``params["sleep"]`` seconds."""
    time.sleep(float(params.get("sleep", 0.0)))
    assert list(train.columns) == ["x", params["label"]], list(train.columns)
    return Threshold("x", 0.5)


def hang(train: Any, params: Mapping[str, Any]) -> ThresholdModel:
    time.sleep(120)
    raise AssertionError("unreachable")


def always_one(features: Any) -> list[int]:
    """A champion that says 1 whatever it is given (rows or a DataFrame)."""
    return [1] * len(features)
