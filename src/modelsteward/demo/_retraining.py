"""The demo model's retraining set-up: policy, job, runner and loop (all of
:mod:`modelsteward.retrain`), and what each run tells the timeline.

The policy (per model, as a user would configure it):

* **dataset drift** — :class:`~modelsteward.retrain.DriftTrigger` with a drift-share
  threshold of :data:`DRIFT_SHARE`: this fleet has 8 sensors and a recalibrated sensor
  drags two derived readings along, so three drifted columns (0.375) is already a changed
  world, below the library's default dataset-drift share of one half;
* **performance loss** — realized accuracy below :data:`MIN_ACCURACY`;
* **a detector firing** — ADWIN on the champion's mistakes (:data:`~._monitor.DETECTOR`);
* with the library's default cooldown (6 h), deduplication per window and budget.

The job trains ``modelsteward.demo._models:train`` in a subprocess with a timeout, on the
retained, labeled traffic (the Parquet partitions the store keeps) of the last day: the
policy decides on each day as soon as its labels are in, so the most recent
:data:`HOLDOUT` is held out for the evaluation gate (McNemar plus guardrails against the
champion) and a :class:`~modelsteward.retrain.SlidingWindow` of the :data:`TRAIN_SPAN`
before it is the training set — the very day that set the trigger off, and nothing of the
world before it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from modelsteward.demo._models import ENTRY_POINT, LABEL
from modelsteward.demo._monitor import DETECTOR

if TYPE_CHECKING:
    from modelsteward.governance import AuditLog
    from modelsteward.registry import Registry
    from modelsteward.retrain import Clock as RetrainClock
    from modelsteward.retrain import RetrainLoop, RunRecord
    from modelsteward.store import Store

__all__ = [
    "DRIFT_SHARE",
    "HOLDOUT",
    "MIN_ACCURACY",
    "TRAIN_SPAN",
    "TRAIN_TIMEOUT_S",
    "gate_detail",
    "labels_of",
    "make_loop",
    "retained_features",
    "retrain_detail",
]

DRIFT_SHARE = 0.25
MIN_ACCURACY = 0.82
TRAIN_SPAN = timedelta(hours=20)
HOLDOUT = timedelta(hours=4)
TRAIN_TIMEOUT_S = 120.0


def make_loop(
    store: Store,
    registry: Registry,
    audit: AuditLog,
    clock: RetrainClock,
    *,
    model: str,
    seed: int,
    actor: str,
) -> RetrainLoop:
    """The retraining loop of ``model`` over the store's registry and audit log."""
    from modelsteward.retrain import (
        DetectorTrigger,
        DriftTrigger,
        GateConfig,
        PerformanceTrigger,
        RegistryAdapter,
        RetrainJob,
        RetrainLoop,
        RetrainPolicy,
        SlidingWindow,
        SubprocessRunner,
    )

    policy = RetrainPolicy(
        triggers=(
            DriftTrigger(share_threshold=DRIFT_SHARE),
            PerformanceTrigger("accuracy", MIN_ACCURACY),
            DetectorTrigger((DETECTOR,)),
        )
    )
    job = RetrainJob(
        model,
        ENTRY_POINT,
        label=LABEL,
        strategy=SlidingWindow(span=TRAIN_SPAN),
        gate=GateConfig(task="classification"),
        params={"seed": seed},
        holdout=HOLDOUT,
        id_column="prediction_id",
        timestamp="timestamp",
        min_train_rows=1000,
    )
    return RetrainLoop(
        job,
        policy=policy,
        runner=SubprocessRunner(timeout=TRAIN_TIMEOUT_S),
        registry=RegistryAdapter(registry, trust_champion=True, actor=actor),
        audit=audit,
        clock=clock,
        actor=actor,
    )


def retained_features(store: Store, model: str) -> Path:
    """The folder of the model's retained Parquet partitions (``date=YYYY-MM-DD``)."""
    assert store.features is not None, "the demo turns feature retention on"
    return Path(store.features.root) / model


def labels_of(store: Store, model: str, start: Any, end: Any) -> pa.Table:
    """The labels that have arrived for the predictions of ``[start, end)``."""
    window = store.events.window(store.models.id_of(model), start, end)
    pairs = [(i, y) for i, y in zip(window["id"], window["label"], strict=True) if y is not None]
    return pa.table(
        {
            "prediction_id": pa.array([i for i, _ in pairs], pa.string()),
            LABEL: pa.array([int(y) for _, y in pairs], pa.int64()),
        }
    )


def retrain_detail(record: RunRecord, reason: str) -> dict[str, Any]:
    """The ``retrain`` timeline detail of a run: why, on what, how long."""
    lineage = record.lineage or {}
    data = lineage.get("data", {})
    training = lineage.get("training", {})
    detail: dict[str, Any] = {
        "reason": reason,
        "status": record.status,
        "entry_point": training.get("entry_point", ENTRY_POINT),
        "runner": "subprocess",
        "strategy": data.get("strategy"),
        "training_rows": data.get("train_rows"),
        "holdout_rows": data.get("holdout_rows"),
        "window": data.get("window"),
        "seconds": None if "duration_s" not in training else round(training["duration_s"], 2),
    }
    if record.failure is not None:
        detail["failure"] = record.failure
    return detail


def gate_detail(record: RunRecord) -> dict[str, Any]:
    """The ``gate_passed``/``gate_failed`` timeline detail of a run."""
    gate = record.gate
    evidence = {} if gate is None else gate.evidence
    test = evidence.get("test", {})
    return {
        "version": record.version,
        "champion": record.champion_version,
        "accuracy": {
            "candidate": evidence.get("candidate", {}).get("accuracy"),
            "champion": evidence.get("champion", {}).get("accuracy"),
        },
        "test": {k: test.get(k) for k in ("name", "b", "c", "p_exact", "p_mid") if k in test},
        "reasons": [] if gate is None else list(gate.reasons),
    }
