"""The whole loop on one store: the scheduler sees a bad window, retrains on a worker and
registers the candidate (``detected`` → ``retraining`` → ``validating``); a gateway shadows
and canaries it and promotes it (``shadow`` → ``canary`` → ``promoted``), writing the same
loop-state row; a restarted gateway serves the new champion; the audit chain verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from modelsteward.governance.audit import AuditLog
from modelsteward.registry import Registry, RegistryModelProvider
from modelsteward.rollout import (
    Gateway,
    Guardrails,
    ManualClock,
    ModelSpec,
    RolloutPolicy,
    StoreStateStore,
)
from modelsteward.server._scheduler import Scheduler
from modelsteward.store.rollout_state import RolloutStateRepository
from tests.server.test_retrain_loop import T0, Clock, _dispatcher, _model, _store, _traffic


@pytest.fixture
def home(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield db_url, tmp_path


POLICY = RolloutPolicy(
    steps=(50, 100),
    min_samples=30,
    min_hold_s=0,
    check_interval_s=1,
    agreement_tolerance=1.0,  # the candidate is meant to disagree with a constant champion
    guardrails=Guardrails(error_rate=0.5, latency_tail=5.0),  # the wiring is tested here
)


def _gateway(registry: Registry, states: StoreStateStore, clock: ManualClock) -> Gateway:
    provider = RegistryModelProvider(registry, "m", trust=True, alias_ttl=0.0)
    spec = ModelSpec("m", ["x"], provider, "champion", policy=POLICY)
    events = AuditLog(registry.store).event_log(actor="rollout", prefix="rollout.")
    return Gateway([spec], clock=clock, registry=registry, state_store=states, events=events)


def test_drift_to_promotion_through_one_loop_state(home: tuple[str, Path]) -> None:
    store = _store(home)
    _model(store)
    registry = Registry(store, artifacts=home[1] / "artifacts")
    registry.register("m", "tests.server._retrain_fns:always_one", flavor="callable")
    registry.promote("m", "1", reason="first model")
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(store, home, clock, params={}, gate={"min_samples": 50})
    Scheduler(store, ["1h"], clock=clock, retrain=retrain).run_once()
    assert retrain.wait(timeout=60)
    rows = RolloutStateRepository(store.engine)
    row = rows.get("m")
    assert row is not None and row.stage == "validating"
    candidate = row.retrain["last_run"]["version"]
    assert candidate == "2" and row.retrain["last_run"]["gate_passed"]

    states, gclock = StoreStateStore(store), ManualClock(2_000_000.0)
    gw = _gateway(registry, states, gclock)
    gw.start("m", candidate, actor="ops", reason="retrained candidate")
    assert rows.get("m").stage == "shadow"  # type: ignore[union-attr]
    xs = np.random.default_rng(5).random(300)
    for i, x in enumerate(xs[:100]):
        gw.predict("m", {"x": float(x)}, key=f"k{i}")
    assert gw.shadow.drain(timeout=30)
    first = gw.models["m"].rollout.check()
    assert first.action == "advance", first.reason
    assert rows.get("m").stage == "canary"  # type: ignore[union-attr]
    for i, x in enumerate(xs[100:]):
        gw.predict("m", {"x": float(x)}, key=f"c{i}")
    look = gw.models["m"].rollout.check()
    assert look.action == "promote", look.reason
    row = rows.get("m")
    assert row is not None and (row.stage, row.champion, row.previous) == ("promoted", "2", "1")
    assert row.retrain["last_run"]["version"] == "2"  # the retraining side's fields are kept
    assert registry.aliases("m")["champion"] == "2"
    gw.close()

    again = _gateway(registry, StoreStateStore(store), gclock)
    assert again.models["m"].rollout.resumed
    assert again.predict("m", {"x": 0.9})["version"] == "2"
    again.close()
    actions = [e.action for e in AuditLog(store).repository.entries(subject="m")]
    retrain_at = actions.index("retrain.candidate_registered")
    assert actions.index("rollout.shadow_started") > retrain_at
    assert actions.index("rollout.promoted") > actions.index("rollout.canary_step")
    assert AuditLog(store).verify().ok
    retrain.close(wait=True)
    store.close()
