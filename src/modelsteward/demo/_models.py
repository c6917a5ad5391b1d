"""The demo's model: a gradient-boosted classifier of machine failures, and fault injection.

Serving goes through predict functions that consult a shared :class:`Faults` table, so
the story can make a version raise on a share of its calls (a broken candidate, a failing
champion) without touching the model itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from modelsteward.demo._fleet import FEATURES

__all__ = ["LABEL", "Faults", "InjectedFault", "serving_fn", "table_fn", "train"]

LABEL = "failure"


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
        with self._lock:
            if rate > 0:
                self._rates[version] = rate
            else:
                self._rates.pop(version, None)

    def check(self, version: str) -> None:
        with self._lock:
            rate = self._rates.get(version, 0.0)
            if rate <= 0 or self._rng.random() >= rate:
                return
            self.raised[version] = self.raised.get(version, 0) + 1
        raise InjectedFault(f"version {version}: injected fault")


def train(table: pa.Table, params: Mapping[str, Any] | None = None) -> Any:
    """Fit the failure classifier on a table of :data:`FEATURES` plus :data:`LABEL`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    p = dict(params or {})
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
    model = Pipeline(
        [
            ("encode", encode),
            (
                "gbm",
                HistGradientBoostingClassifier(
                    max_iter=int(p.get("max_iter", 120)),
                    learning_rate=float(p.get("learning_rate", 0.1)),
                    random_state=int(p.get("seed", 0)),
                ),
            ),
        ]
    )
    frame = table.select(FEATURES).to_pandas()
    model.fit(frame, table.column(LABEL).to_numpy())
    return model


def table_fn(model: Any) -> Callable[[pa.Table], np.ndarray]:
    """The gate's predict function: a table of features in, labels out."""

    def predict(features: pa.Table) -> np.ndarray:
        return np.asarray(model.predict(features.select(FEATURES).to_pandas()))

    return predict


_local = threading.local()


def _one_thread() -> None:
    """One OpenMP thread for the trees in this (gateway worker) thread: the per-thread
    setting is inherited by nothing, so each worker sets it once; tiny batches on a
    busy machine are much faster without a team of spinning threads."""
    if getattr(_local, "limited", False):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="openmp")
    _local.limited = True


def serving_fn(
    model: Any, version: str, faults: Faults
) -> Callable[[Sequence[Mapping[str, Any]]], list[Any]]:
    """The gateway's predict function: feature rows in, labels out, faults injected.

    The same pipeline, taken apart for speed: the fitted ordinal codes of
    ``machine_type`` and the boosted trees on a plain array (no DataFrame per call)."""
    encoder = model.named_steps["encode"]
    order = [str(c) for c in encoder.get_feature_names_out()]
    categories = encoder.named_transformers_["type"].categories_[0]
    codes = {str(c): float(i) for i, c in enumerate(categories)}
    gbm = model.named_steps["gbm"]

    def encode(row: Mapping[str, Any], column: str) -> float:
        value = row[column]
        return codes.get(str(value), -1.0) if column == "machine_type" else float(value)

    def predict(rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        _one_thread()
        faults.check(version)
        x = np.array([[encode(r, c) for c in order] for r in rows], dtype=float)
        return [int(v) for v in gbm.predict(x)]

    return predict
