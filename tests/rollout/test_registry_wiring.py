"""The gateway on the real registry: versions served through ``RegistryModelProvider``,
promotions made durable with ``Registry.promote``, events in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelsteward.rollout import (
    ChampionRegistry,
    Gateway,
    ManualClock,
    ModelProvider,
    ModelSpec,
    RolloutPolicy,
)

MODELS = """
def v1(rows):
    return [int(r["a"] > 0) for r in rows]

def v2(rows):
    return [int(r["a"] > 0.5) for r in rows]
"""


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from modelsteward.registry import Registry
    from modelsteward.store import Store

    (tmp_path / "rw_models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    store = Store(f"sqlite:///{tmp_path}/reg.db")
    store.upgrade()
    reg = Registry(store, artifacts=tmp_path / "artifacts")
    reg.register("churn", "rw_models:v1", flavor="callable")
    reg.register("churn", "rw_models:v2", flavor="callable")
    reg.promote("churn", "1", reason="first")
    yield reg
    store.close()


def test_promotion_moves_the_registry_champion(registry: Any) -> None:
    from modelsteward.governance import AuditLog
    from modelsteward.registry import RegistryModelProvider

    provider = RegistryModelProvider(registry, "churn", alias_ttl=0.0)
    assert isinstance(provider, ModelProvider) and isinstance(registry, ChampionRegistry)
    events = AuditLog(registry.store).event_log()
    spec = ModelSpec(
        "churn",
        ["a"],
        provider,
        "champion",
        candidate="2",
        default=0,
        policy=RolloutPolicy(shadow=False, steps=(50, 100), min_samples=20, min_hold_s=0),
    )
    gw = Gateway([spec], events=events, clock=ManualClock(1e9), registry=registry)
    assert gw.predict("churn", {"a": 0.3}, key="k")["version"] in ("1", "2")
    rollout = gw.models["churn"].rollout
    rollout.record_many("baseline", errors=np.zeros(4000), latency_ms=np.ones(4000))
    rollout.record_many("candidate", errors=np.zeros(4000), latency_ms=np.ones(4000))
    assert rollout.check().action == "promote"
    assert registry.aliases("churn")["champion"] == "2"
    move = registry.history("churn", "champion")[-1]
    assert move.to_version == "2" and move.from_version == "1"
    answer = gw.predict("churn", {"a": 0.3}, key="k")
    assert (answer["version"], answer["link"], answer["prediction"]) == ("2", "champion", 0)
    actions = [e.action for e in AuditLog(registry.store).entries(subject="churn")]
    assert "rollout.canary_started" in actions and "rollout.promoted" in actions
    assert AuditLog(registry.store).verify().ok
    gw.close()


def test_registry_failure_is_recorded_not_raised() -> None:
    from modelsteward.rollout import InMemoryEventLog, InMemoryModelProvider

    class Broken:
        def promote(self, model: str, version: str, **kw: Any) -> None:
            raise RuntimeError("database is locked")

    events = InMemoryEventLog()
    provider = InMemoryModelProvider({"v1": lambda r: [0] * len(r), "v2": lambda r: [0] * len(r)})
    spec = ModelSpec(
        "m",
        ["a"],
        provider,
        "v1",
        candidate="v2",
        policy=RolloutPolicy(shadow=False, steps=(50, 100), min_samples=20, min_hold_s=0),
    )
    gw = Gateway([spec], events=events, clock=ManualClock(0), registry=Broken())
    rollout = gw.models["m"].rollout
    rollout.record_many("baseline", errors=np.zeros(4000), latency_ms=np.ones(4000))
    rollout.record_many("candidate", errors=np.zeros(4000), latency_ms=np.ones(4000))
    assert rollout.check().action == "promote"
    failed = dict(events.events)["registry_promote_failed"]
    assert failed["version"] == "v2" and "database is locked" in failed["error"]
    assert gw.predict("m", {"a": 1})["version"] == "v2"
    gw.close()
