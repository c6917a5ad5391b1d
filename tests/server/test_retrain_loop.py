"""The scheduler runs the retraining loop: evaluated windows feed each model's policy, runs
go to a worker (a subprocess with a timeout) while the scheduler goes on, and every trigger,
run, gate and registration is audited; the policy state survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelsteward.registry import Registry
from modelsteward.retrain import RegistryAdapter
from modelsteward.server._retrain import RetrainDispatcher
from modelsteward.server._retrain_config import parse_retrain
from modelsteward.server._scheduler import Scheduler
from modelsteward.store import LabelRecord, PredictionRecord, Store
from modelsteward.store._orm import ModelRow
from modelsteward.store.audit import AuditRepository
from modelsteward.store.rollout_state import RolloutStateRepository

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SPEC = {
    "entry_point": "tests.server._retrain_fns:fit",
    "window": "1h",
    "cooldown_hours": 6,
    "max_runs_per_day": 2,
    "timeout_seconds": 60,
    "holdout": 100,
    "params": {"sleep": 3.0},
    "gate": {"min_samples": 50, "min_accuracy": 0.9},
    "triggers": {"performance": [{"metric": "accuracy", "below": 0.8}]},
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def home(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield db_url, tmp_path


def _store(home: tuple[str, Path]) -> Store:
    store = Store(home[0], feature_dir=home[1] / "features")
    store.upgrade()
    return store


def _model(store: Store) -> None:
    store.models.create("m", "binary")
    with store.engine.begin() as conn:
        table = ModelRow.__table__
        conn.execute(
            table.update()  # type: ignore[attr-defined]
            .where(table.c.name == "m")  # type: ignore[attr-defined]
            .values(created_at=T0 - timedelta(days=1))
        )


def _traffic(store: Store, start: datetime, n: int = 400, seed: int = 0) -> None:
    """A champion that always says 1 while the truth is x > 0.5: accuracy about 0.5."""
    x = np.random.default_rng(seed).random(n)
    recs = [
        PredictionRecord(
            id=f"{start.isoformat()}-{i}",
            timestamp=start + timedelta(seconds=5 * i),
            prediction=1,
            score=0.9,
            features={"x": float(v)},
        )
        for i, v in enumerate(x)
    ]
    store.ingest_predictions("m", recs)
    store.ingest_labels(
        "m", [LabelRecord(id=r.id, label=int(v > 0.5)) for r, v in zip(recs, x, strict=True)]
    )


def _dispatcher(
    store: Store, home: tuple[str, Path], clock: Clock, **spec: Any
) -> RetrainDispatcher:
    registry = Registry(store, artifacts=home[1] / "artifacts")
    return RetrainDispatcher(
        store,
        parse_retrain({"m": {**SPEC, **spec}}),
        registry=lambda s: RegistryAdapter(registry, actor="scheduler"),
        default_window="1h",
        clock=clock,
    )


def _actions(store: Store) -> list[str]:
    return [
        e.action
        for e in AuditRepository(store.engine).entries(subject="m")
        if e.action.startswith("retrain.")
    ]


def test_a_bad_window_triggers_a_run_on_a_worker_and_the_candidate_is_registered(
    home: tuple[str, Path],
) -> None:
    store = _store(home)
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(store, home, clock)
    scheduler = Scheduler(store, ["1h"], clock=clock, retrain=retrain)
    scheduler.run_once()
    assert not retrain.wait(timeout=0)  # run_once is back while training (3 s) goes on
    state = RolloutStateRepository(store.engine).get("m")
    assert state is not None and state.stage in ("detected", "retraining")
    assert state.retrain["detected"]["reasons"][0]["kind"] == "performance"
    assert retrain.wait(timeout=60)

    versions = Registry(store, artifacts=home[1] / "artifacts").versions("m")
    assert [(v.version, v.status) for v in versions] == [("1", "registered")]
    assert _actions(store) == [
        "retrain.decided",
        "retrain.started",
        "retrain.gate",
        "retrain.candidate_registered",
    ]
    state = RolloutStateRepository(store.engine).get("m")
    assert state is not None and state.stage == "validating"
    assert state.retrain["last_run"]["status"] == "candidate"
    assert state.retrain["last_run"]["gate_passed"] is True
    assert state.retrain["policy_state"]["in_flight"] is None

    # the next window is as bad, but the cooldown holds: audited once, no run
    _traffic(store, T0 + timedelta(hours=1), seed=1)
    clock.now += timedelta(hours=1)
    scheduler.run_once()
    assert retrain.wait(timeout=10)
    assert _actions(store)[-1] == "retrain.decided"
    blocked = AuditRepository(store.engine).entries(subject="m", action="retrain.decided")[-1]
    assert blocked.details["blocked_by"] == "cooldown" and not blocked.details["run"]
    retrain.close(wait=True)

    # a restarted server keeps the cooldown: the policy state was saved with the loop state
    again = _dispatcher(store, home, clock)
    _traffic(store, T0 + timedelta(hours=2), seed=2)
    clock.now += timedelta(hours=1)
    Scheduler(store, ["1h"], clock=clock, retrain=again).run_once()
    assert again.wait(timeout=10)
    assert len(Registry(store, artifacts=home[1] / "artifacts").versions("m")) == 1
    assert _actions(store).count("retrain.started") == 1
    again.close(wait=True)
    store.close()


def test_a_training_run_past_its_timeout_fails_audited_and_frees_the_loop(
    home: tuple[str, Path],
) -> None:
    store = _store(home)
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(
        store, home, clock, entry_point="tests.server._retrain_fns:hang", timeout_seconds=3
    )
    Scheduler(store, ["1h"], clock=clock, retrain=retrain).run_once()
    assert retrain.wait(timeout=60)
    assert _actions(store) == ["retrain.decided", "retrain.started", "retrain.failed"]
    failed = AuditRepository(store.engine).entries(subject="m", action="retrain.failed")[0]
    assert failed.details["cause"] == "timeout"
    state = RolloutStateRepository(store.engine).get("m")
    assert state is not None and state.stage == "idle"
    assert state.retrain["last_run"]["status"] == "failed"
    assert state.retrain["policy_state"]["in_flight"] is None
    retrain.close(wait=True)
    store.close()


def test_no_run_while_a_candidate_is_rolled_out_and_abandoned_runs_are_audited(
    home: tuple[str, Path],
) -> None:
    store = _store(home)
    _model(store)
    _traffic(store, T0)
    states = RolloutStateRepository(store.engine)
    states.update("m", lambda s: replace(s, stage="canary", champion="1", candidate="2"))
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(store, home, clock)
    Scheduler(store, ["1h"], clock=clock, retrain=retrain).run_once()
    assert retrain.wait(timeout=10) and _actions(store) == []
    retrain.close(wait=True)

    # a server that stopped in the middle of a run: the next one audits it as abandoned
    in_flight = {"in_flight": ["performance@x"], "run_starts": [T0.isoformat()]}
    states.update(
        "m", lambda s: replace(s, stage="retraining", retrain={"policy_state": in_flight})
    )
    again = _dispatcher(store, home, clock)
    again.after_cycle([])
    assert _actions(store) == ["retrain.abandoned"]
    state = states.get("m")
    assert state is not None and state.stage == "idle"
    assert state.retrain["policy_state"]["in_flight"] is None
    again.close(wait=True)
    store.close()


def test_missing_retained_features_fail_the_run_with_a_clear_reason(
    home: tuple[str, Path],
) -> None:
    store = Store(home[0])  # retention off
    store.upgrade()
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(store, home, clock)
    Scheduler(store, ["1h"], clock=clock, retrain=retrain).run_once()
    assert retrain.wait(timeout=30)
    failed = AuditRepository(store.engine).entries(subject="m", action="retrain.failed")
    assert len(failed) == 1 and "feature_retention_days" in failed[0].details["message"]
    retrain.close(wait=True)
    store.close()


def test_an_alert_of_the_same_cycle_moves_the_stage_to_alerted(
    home: tuple[str, Path],
) -> None:
    from modelsteward.server._alerting import AlertEngine
    from modelsteward.settings import AlertRuleSettings

    store = _store(home)
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    rule = AlertRuleSettings(
        name="low-accuracy", metric="accuracy", op="<", threshold=0.8, no_data="ignore"
    )
    alerts = AlertEngine(store, [rule], [])
    retrain = _dispatcher(store, home, clock, params={"sleep": 2.0})
    notes = Scheduler(store, ["1h"], clock=clock, alerts=alerts, retrain=retrain).run_once()
    assert [n.alert.rule for n in notes] == ["low-accuracy"]
    state = RolloutStateRepository(store.engine).get("m")
    assert state is not None and state.stage in ("alerted", "retraining")
    assert state.retrain["detected"]["alerts"][0]["rule"] == "low-accuracy"
    assert retrain.wait(timeout=60)
    retrain.close(wait=True)
    store.close()


def test_a_closed_dispatcher_ends_the_run_it_began(home: tuple[str, Path]) -> None:
    store = _store(home)
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    retrain = _dispatcher(store, home, clock)
    retrain.close()
    Scheduler(store, ["1h"], clock=clock, retrain=retrain).run_once()
    assert _actions(store) == ["retrain.decided", "retrain.failed"]
    state = RolloutStateRepository(store.engine).get("m")
    assert state is not None and state.stage == "idle"
    assert state.retrain["policy_state"]["in_flight"] is None
    store.close()


def test_two_server_instances_never_both_start_the_same_run(home: tuple[str, Path]) -> None:
    """Each instance decides on the policy state the other saved, and claims a run with a
    compare-and-set: a stale read loses the claim, re-reads, and sees the run in flight."""
    from modelsteward.server._retrain import Evaluated

    store = _store(home)
    _model(store)
    _traffic(store, T0)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    window = Evaluated("m", "1h", T0, T0 + timedelta(hours=1), {"accuracy": 0.5})
    first, second = _dispatcher(store, home, clock), _dispatcher(store, home, clock)
    second.after_cycle([])  # both know the model before either claims anything
    stale = RolloutStateRepository(store.engine).get("m")
    reads = {"n": 0}
    real_get = second.states.get

    def get_stale_once(model: str) -> Any:
        reads["n"] += 1
        return stale if reads["n"] == 1 else real_get(model)

    second.states.get = get_stale_once  # type: ignore[method-assign]
    assert len(first.after_cycle([window])) == 1
    assert second.after_cycle([window]) == []
    assert reads["n"] >= 2  # the stale claim failed and the row was read again
    assert first.wait(timeout=60) and second.wait(timeout=10)
    decided = AuditRepository(store.engine).entries(subject="m", action="retrain.decided")
    assert [d.details["run"] for d in decided] == [True, False]
    assert decided[1].details["blocked_by"] == "in_flight"
    assert _actions(store).count("retrain.started") == 1
    first.close(wait=True)
    second.close(wait=True)
    store.close()
