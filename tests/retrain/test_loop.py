from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.retrain import (
    AllHistory,
    DriftTrigger,
    GateConfig,
    InMemoryRegistry,
    InProcessRunner,
    ManualClock,
    MemoryAuditSink,
    PolicyState,
    RetrainJob,
    RetrainLoop,
    RetrainPolicy,
    Signals,
    SlidingWindow,
    TrainedModel,
)

T = "tests.retrain._trainers"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
N = 600
RNG = np.random.default_rng(7)
X1, X2 = RNG.normal(size=N), RNG.normal(size=N)
FEATURES = pa.table(
    {
        "id": [f"p{i}" for i in range(N)],
        "timestamp": pa.array(
            [T0 + timedelta(hours=i) for i in range(N)], pa.timestamp("us", tz="UTC")
        ),
        "x1": X1,
        "x2": X2,
    }
)
LABELS = pa.table({"id": [f"p{i}" for i in range(N)], "y": (X1 + X2 > 0).astype(np.int64)})
WINDOW = (T0, T0 + timedelta(days=1))
DRIFT = Signals(now=T0, drift={"dataset_drift": True, "drift_share": 0.5}, window=WINDOW)
SCHEMA = {"x1": "numeric", "x2": "numeric"}


def old_concept(features: pa.Table) -> np.ndarray:
    return np.asarray(features["x1"].to_numpy() - features["x2"].to_numpy() > 0, np.int64)


def oracle(features: pa.Table) -> np.ndarray:
    return np.asarray(features["x1"].to_numpy() + features["x2"].to_numpy() > 0, np.int64)


def make(
    entry: str = "logistic", champion: Any = old_concept, schema: Any = SCHEMA, **job: Any
) -> tuple[RetrainLoop, InMemoryRegistry, MemoryAuditSink, ManualClock]:
    registry = InMemoryRegistry()
    if champion is not None:
        registry.add_champion("churn", champion, schema)
    audit = MemoryAuditSink()
    clock = ManualClock(T0 + timedelta(days=30))
    loop = RetrainLoop(
        RetrainJob(
            model="churn",
            entry_point=f"{T}:{entry}",
            label="y",
            strategy=job.pop("strategy", AllHistory()),
            gate=GateConfig(task="classification", min_samples=50),
            **job,
        ),
        policy=RetrainPolicy(
            triggers=(DriftTrigger(),), cooldown=timedelta(hours=6), max_runs_per_day=3
        ),
        runner=InProcessRunner(),
        registry=registry,
        audit=audit,
        clock=clock,
    )
    return loop, registry, audit, clock


def test_no_trigger_is_skipped_and_not_audited() -> None:
    loop, registry, audit, _ = make()
    record = loop.run_once(Signals(now=T0), FEATURES, LABELS)
    assert record.status == "skipped" and audit.entries == []
    assert len(registry.versions["churn"]) == 1


def test_drift_retrains_gates_and_registers_a_candidate() -> None:
    loop, registry, audit, clock = make(code_version="abc123")
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "candidate", record.to_dict()
    assert record.version == "v2" and record.champion_version == "v1"
    assert audit.actions() == [
        "retrain.decided",
        "retrain.started",
        "retrain.gate",
        "retrain.candidate_registered",
    ]
    assert all(
        e["subject"] == "churn" and e["actor"] == "modelsteward.retrain" for e in audit.entries
    )
    gate = record.gate
    assert gate is not None and gate.passed
    assert gate.evidence["candidate"]["accuracy"] > 0.9 > gate.evidence["champion"]["accuracy"]
    stored = registry.get("churn", "v2")
    assert stored.status == "candidate" and stored.metrics["accuracy"] > 0.9
    lineage = stored.lineage
    assert lineage["parent_version"] == "v1" and lineage["code_version"] == "abc123"
    assert lineage["data"]["train_rows"] == 480 and lineage["data"]["holdout_rows"] == 120
    assert lineage["training"]["entry_point"] == f"{T}:logistic"
    assert lineage["trigger"][0]["kind"] == "drift"
    # the policy state moved on: not in flight, the window handled, the run counted
    assert loop.state.in_flight is None and loop.state.last_run_at == clock.now()
    clock.advance(timedelta(days=1))
    again = loop.run_once(DRIFT, FEATURES, LABELS)
    assert again.status == "blocked" and again.decision.blocked_by == "duplicate"
    record_json = record.to_dict()
    assert record_json["gate"]["passed"] and record_json["steps"][0]["action"] == "retrain.decided"


def test_worse_candidate_is_registered_rejected_with_evidence() -> None:
    loop, registry, audit, _ = make(entry="majority", champion=oracle)
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "rejected"
    stored = registry.get("churn", record.version or "")
    assert stored.status == "rejected"
    assert stored.evidence["passed"] is False and stored.evidence["reasons"]
    assert stored.evidence["evidence"]["test"]["name"] == "mcnemar"
    assert audit.actions()[-2:] == ["retrain.candidate_registered", "retrain.candidate_rejected"]
    assert audit.entries[-1]["details"]["reasons"] == list(record.gate.reasons)  # type: ignore[union-attr]


def test_candidate_with_another_input_schema_is_rejected() -> None:
    loop, registry, _, _ = make(
        champion=oracle, schema={"x1": "numeric", "x2": "numeric", "wear": "numeric"}
    )
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "rejected"
    diff = registry.get("churn", "v2").evidence["evidence"]["schema_difference"]
    assert diff == {"missing": ["wear"], "extra": [], "changed": {}}


def test_training_failure_is_audited_and_the_window_can_be_retried() -> None:
    loop, registry, audit, clock = make(entry="raises")
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "failed" and record.failure is not None
    assert record.failure["cause"] == "raised" and record.failure["exc_type"] == "ValueError"
    assert "_trainers.py" in record.failure["traceback_tail"]
    assert audit.actions()[-1] == "retrain.failed"
    assert len(registry.versions["churn"]) == 1  # nothing registered
    clock.advance(timedelta(hours=1))
    assert loop.run_once(DRIFT, FEATURES, LABELS).decision.blocked_by == "cooldown"
    clock.advance(timedelta(hours=6))
    assert loop.run_once(DRIFT, FEATURES, LABELS).status == "failed"  # retried, not "duplicate"


def test_unusable_model_fails_the_run() -> None:
    loop, _, _, _ = make(entry="no_predict")
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "failed" and record.failure["cause"] == "unusable"  # type: ignore[index]


def test_too_little_data_fails_the_run() -> None:
    loop, _, _, _ = make()
    record = loop.run_once(DRIFT, FEATURES, LABELS.slice(0, 0))
    assert record.status == "failed" and record.failure["cause"] == "data"  # type: ignore[index]
    assert record.failure["error"] == "TrainingDataError"  # type: ignore[index]


def test_force_skips_the_policy_and_no_champion_is_fine() -> None:
    loop, registry, audit, _ = make(champion=None, strategy=SlidingWindow(rows=200))
    loop.state = PolicyState(run_starts=(loop.clock.now(),) * 3, last_run_at=loop.clock.now())
    assert loop.run_once(DRIFT, FEATURES, LABELS).status == "blocked"
    record = loop.run_once(None, FEATURES, LABELS, force="requested by alice")
    assert record.status == "candidate" and record.champion_version is None
    assert record.decision.reasons[0].kind == "forced"
    assert audit.entries[-4]["details"]["reasons"][0]["detail"] == "requested by alice"
    assert registry.get("churn", "v1").lineage["data"]["train_rows"] == 200


def test_unexpected_error_clears_the_run_and_propagates() -> None:
    loop, _, audit, _ = make()

    class Broken(InMemoryRegistry):
        def register_candidate(self, model: str, trained: TrainedModel, **kw: Any) -> str:
            raise RuntimeError("database is down")

    broken = Broken()
    broken.add_champion("churn", old_concept, SCHEMA)
    loop.registry = broken
    with pytest.raises(RuntimeError, match="database is down"):
        loop.run_once(DRIFT, FEATURES, LABELS)
    assert loop.state.in_flight is None and audit.actions()[-1] == "retrain.failed"
    assert "database is down" in audit.entries[-1]["details"]["message"]


def test_decide_does_not_change_state() -> None:
    loop, _, audit, _ = make()
    assert loop.decide(DRIFT).run and loop.state == PolicyState() and audit.entries == []


def test_blocked_decisions_are_recorded_and_audited_only_on_request() -> None:
    loop, _, audit, _ = make()
    loop.run_once(DRIFT, FEATURES, LABELS)
    n = len(audit.entries)
    blocked = loop.run_once(DRIFT, FEATURES, LABELS)
    assert blocked.status == "blocked" and blocked.steps[0]["blocked_by"] == "duplicate"
    assert len(audit.entries) == n
    loop.audit_blocked = True
    loop.run_once(DRIFT, FEATURES, LABELS)
    assert audit.entries[-1]["action"] == "retrain.decided"
    assert audit.entries[-1]["details"]["blocked_by"] == "duplicate"


def test_data_is_read_only_when_a_run_starts() -> None:
    loop, _, _, _ = make()
    calls: list[str] = []

    def features() -> pa.Table:
        calls.append("features")
        return FEATURES

    def labels() -> pa.Table:
        calls.append("labels")
        return LABELS

    assert loop.run_once(Signals(now=T0), features, labels).status == "skipped"
    assert calls == []
    assert loop.run_once(DRIFT, features, labels).status == "candidate"
    assert calls == ["features", "labels"]


def test_forced_run_without_signals_keeps_the_label_count() -> None:
    loop, _, _, _ = make()
    loop.state = PolicyState(labels_at_last_run=500)
    loop.run_once(None, FEATURES, LABELS, force="manual")
    assert loop.state.labels_at_last_run == 500
    loop.run_once(Signals(now=T0, labels_total=800), FEATURES, LABELS, force="manual")
    assert loop.state.labels_at_last_run == 800


def test_hanging_training_in_a_subprocess_fails_the_run_with_timeout() -> None:
    from modelsteward.retrain import SubprocessRunner

    loop, registry, audit, _ = make(entry="hangs")
    loop.runner = SubprocessRunner(timeout=1.5)
    record = loop.run_once(DRIFT, FEATURES, LABELS)
    assert record.status == "failed" and record.failure is not None
    assert record.failure["cause"] == "timeout"
    assert audit.actions()[-1] == "retrain.failed"
    assert loop.state.in_flight is None and not loop.state.done_keys  # retryable
    assert len(registry.versions["churn"]) == 1
