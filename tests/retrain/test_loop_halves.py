"""``RetrainLoop.begin`` and ``execute``: a scheduler decides at once and trains later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.errors import ParameterError
from modelsteward.retrain import (
    AllHistory,
    DriftTrigger,
    GateConfig,
    InMemoryRegistry,
    InProcessRunner,
    ManualClock,
    MemoryAuditSink,
    RetrainJob,
    RetrainLoop,
    RetrainPolicy,
    Signals,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _loop() -> tuple[RetrainLoop, MemoryAuditSink]:
    audit = MemoryAuditSink()
    registry = InMemoryRegistry()
    registry.add_champion("m", lambda f: np.zeros(len(f), dtype=int))
    loop = RetrainLoop(
        RetrainJob(
            "m",
            "modelsteward.retrain._examples:threshold",
            label="y",
            strategy=AllHistory(),
            params={"at": 0.5},
            gate=GateConfig(task="classification", min_samples=20),
        ),
        policy=RetrainPolicy(triggers=(DriftTrigger(),)),
        runner=InProcessRunner(),
        registry=registry,
        audit=audit,
        clock=ManualClock(T0 + timedelta(days=1)),
    )
    return loop, audit


def _data() -> tuple[pa.Table, pa.Table]:
    x = np.random.default_rng(0).random(200)
    ids = [str(i) for i in range(200)]
    features = pa.table(
        {"id": ids, "timestamp": [T0 + timedelta(minutes=i) for i in range(200)], "x": x}
    )
    return features, pa.table({"id": ids, "y": (x > 0.5).astype(int)})


def test_begin_marks_the_run_in_flight_and_execute_finishes_it() -> None:
    loop, audit = _loop()
    drift = Signals(now=T0, drift={"dataset_drift": True})
    record = loop.begin(drift)
    assert record.status == "running" and loop.state.in_flight is not None
    assert audit.actions() == ["retrain.decided"]
    assert loop.begin(drift).decision.blocked_by == "in_flight"  # no second run meanwhile
    features, labels = _data()
    done = loop.execute(record, features, labels)
    assert done.status == "candidate" and loop.state.in_flight is None
    assert audit.actions()[-1] == "retrain.candidate_registered"


def test_execute_needs_a_started_run() -> None:
    loop, _ = _loop()
    skipped = loop.begin(Signals(now=T0))
    assert skipped.status == "skipped"
    with pytest.raises(ParameterError, match="begin"):
        loop.execute(skipped, *_data())


def test_execute_ends_the_run_even_when_training_data_reading_crashes() -> None:
    loop, audit = _loop()
    record = loop.begin(Signals(now=T0, drift={"dataset_drift": True}))

    def broken() -> pa.Table:
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        loop.execute(record, broken, None)
    assert record.status == "failed" and loop.state.in_flight is None
    assert audit.actions()[-1] == "retrain.failed"
