"""Tiny training functions for the scheduler's retraining tests (run in a subprocess, so
importable as ``tests.server._retrain_fns``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from modelsteward.retrain._examples import ThresholdModel


def fit(train: Any, params: Mapping[str, Any]) -> ThresholdModel:
    """The threshold on ``x`` (at 0.5), after ``params["sleep"]`` seconds."""
    time.sleep(float(params.get("sleep", 0.0)))
    assert list(train.columns) == ["x", params["label"]], list(train.columns)
    return ThresholdModel("x", 0.5)


def hang(train: Any, params: Mapping[str, Any]) -> ThresholdModel:
    time.sleep(120)
    raise AssertionError("unreachable")
