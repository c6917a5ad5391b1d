"""The demo's model: a decision tree of machine failures, its training entry point, the
fast serving function the gateway calls, and fault injection.

:func:`train` is the retraining entry point ``modelsteward.demo._models:train`` that the
:class:`~modelsteward.retrain.RetrainLoop` runs in a subprocess: a pandas DataFrame of
:data:`~modelsteward.demo.FEATURES` plus the label in, a fitted scikit-learn pipeline out.
A single tree (not a boosted ensemble) keeps one gateway call near 0.1 ms, so the demo can
send the hundreds of thousands of requests that the canary's always-valid guardrail
analysis needs within its time budget.

Serving goes through :func:`serving_fn`, which consults a shared :class:`Faults` table, so
the story can make a version raise on a share of its calls (a broken serving image, a
failing champion) without touching the model itself.

>>> import pandas as pd
>>> from modelsteward.demo._fleet import Fleet
>>> day = Fleet(seed=1).day(0, rows=400)
>>> frame = day.features.to_pandas().assign(failure=day.labels)
>>> model = train(frame, {"label": "failure"})
>>> predict = serving_fn(model, "1", Faults(seed=0))
>>> predict(day.features.slice(0, 3).to_pylist()) == [int(v) for v in model.predict(frame[:3])]
True
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from modelsteward.demo._fleet import FEATURES

__all__ = ["ENTRY_POINT", "LABEL", "Faults", "InjectedFault", "serving_fn", "train"]

LABEL = "failure"
#: The training entry point the retraining loop runs in a subprocess.
ENTRY_POINT = "modelsteward.demo._models:train"


class InjectedFault(RuntimeError):
    """Raised by a version the demo has told to fail."""


class Faults:
    """Per version, the share of calls that raise (thread-safe, deterministic per seed)."""

    def __init__(self, seed: int) -> None:
        self._rates: dict[str, float] = {}
        self._rng = np.random.default_rng([seed, 7])
        self._lock = threading.Lock()
        self.raised: dict[str, int] = {}

    def set(self, version: str, rate: float) -> None:
        """Make ``version`` raise on a share ``rate`` of its calls (0 heals it)."""
        with self._lock:
            if rate > 0:
                self._rates[version] = rate
            else:
                self._rates.pop(version, None)

    def check(self, version: str) -> None:
        """Raise :class:`InjectedFault` if this call of ``version`` is one that fails."""
        with self._lock:
            rate = self._rates.get(version, 0.0)
            if rate <= 0 or self._rng.random() >= rate:
                return
            self.raised[version] = self.raised.get(version, 0) + 1
        raise InjectedFault(f"version {version}: injected fault")


def train(frame: Any, params: Mapping[str, Any]) -> Any:
    """Fit the failure classifier on ``frame`` (:data:`FEATURES` plus ``params["label"]``).

    Parameters (all optional besides ``label``): ``max_depth`` (10), ``min_samples_leaf``
    (20), ``seed`` (0).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from sklearn.tree import DecisionTreeClassifier

    label = str(params.get("label", LABEL))
    encode = ColumnTransformer(
        [
            (
                "type",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                ["machine_type"],
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    tree = DecisionTreeClassifier(
        max_depth=int(params.get("max_depth", 10)),
        min_samples_leaf=int(params.get("min_samples_leaf", 20)),
        random_state=int(params.get("seed", 0)),
    )
    model = Pipeline([("encode", encode), ("tree", tree)])
    model.fit(frame[FEATURES], frame[label].to_numpy())
    return model


def serving_fn(
    model: Any, version: str, faults: Faults
) -> Callable[[Sequence[Mapping[str, Any]]], list[Any]]:
    """The gateway's predict function: feature rows in, labels out, faults injected.

    The same pipeline, taken apart for speed: the fitted ordinal codes of
    ``machine_type``, then the fitted tree's ``predict`` on a plain array (no DataFrame per
    call, about 0.1 ms); it answers exactly what ``model.predict`` does."""
    encoder = model.named_steps["encode"]
    order = [str(c) for c in encoder.get_feature_names_out()]
    categories = encoder.named_transformers_["type"].categories_[0]
    codes = {str(c): float(i) for i, c in enumerate(categories)}
    estimator = model.named_steps["tree"]

    def encode(row: Mapping[str, Any], column: str) -> float:
        value = row[column]
        return codes.get(str(value), -1.0) if column == "machine_type" else float(value)

    def predict(rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        faults.check(version)
        x = np.array([[encode(r, c) for c in order] for r in rows], dtype=np.float32)
        return [int(v) for v in estimator.predict(x)]

    return predict
