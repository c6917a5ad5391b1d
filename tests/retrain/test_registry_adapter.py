"""The loop against the real model registry and the store's hash-chained audit log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from modelsteward.governance import AuditLog
from modelsteward.registry import Registry
from modelsteward.retrain import (
    AllHistory,
    DriftTrigger,
    GateConfig,
    InProcessRunner,
    ManualClock,
    RegistryAdapter,
    RetrainJob,
    RetrainLoop,
    RetrainPolicy,
)
from modelsteward.store import Store
from modelsteward.store.audit import AuditRepository
from tests.retrain.test_loop import DRIFT, FEATURES, LABELS, T0, T


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    store = Store(f"sqlite:///{tmp_path / 'steward.db'}")
    store.upgrade()
    return Registry(store, artifacts=tmp_path / "artifacts")


def make_loop(registry: Registry, entry: str) -> RetrainLoop:
    return RetrainLoop(
        RetrainJob(
            model="churn",
            entry_point=f"{T}:{entry}",
            label="y",
            strategy=AllHistory(),
            gate=GateConfig(task="classification", min_samples=50),
            code_version="c0ffee",
        ),
        policy=RetrainPolicy(triggers=(DriftTrigger(),), cooldown=timedelta(0)),
        runner=InProcessRunner(),
        registry=RegistryAdapter(registry, trust_champion=True),
        audit=AuditRepository(registry.store.engine),
        clock=ManualClock(T0 + timedelta(days=30)),
    )


def test_first_candidate_then_rejected_challenger(registry: Registry) -> None:
    adapter = RegistryAdapter(registry)
    assert adapter.champion("churn") is None  # unknown model

    first = make_loop(registry, "logistic").run_once(DRIFT, FEATURES, LABELS)
    assert first.status == "candidate" and first.champion_version is None
    version = registry.get("churn", first.version)
    assert version.status == "registered" and version.code_version == "c0ffee"
    assert version.input_schema == {"x1": "numeric", "x2": "numeric"}
    assert version.metrics["accuracy"] > 0.9 and version.params["label"] == "y"
    assert version.training_fingerprint is not None
    assert version.evidence is not None
    assert version.evidence["lineage"]["data"]["holdout_rows"] == 120

    registry.promote("churn", first.version or "", reason="first model", actor="ann")
    champion = RegistryAdapter(registry, trust_champion=True).champion("churn")
    assert champion is not None and champion.version == first.version

    second = make_loop(registry, "majority").run_once(DRIFT, FEATURES, LABELS, force="test")
    assert second.status == "rejected" and second.champion_version == first.version
    rejected = registry.get("churn", second.version)
    assert rejected.status == "rejected" and rejected.parent_version == first.version
    assert (rejected.status_reason or "").startswith("evaluation gate:")
    assert rejected.evidence is not None
    assert rejected.evidence["evidence"]["test"]["name"] == "mcnemar"

    log = AuditLog(registry.store)
    actions = [e.action for e in log.repository.entries(subject="churn")]
    assert "retrain.gate" in actions and "retrain.candidate_rejected" in actions
    assert log.verify().ok
