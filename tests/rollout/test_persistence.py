"""A gateway restart resumes each rollout where it was: same stage, step, hold start,
counts and per-request evidence, so the next look decides as the old gateway would have.
On SQLite and PostgreSQL (``db_url``), through the store's ``rollout_states`` table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from modelsteward.rollout import (
    Gateway,
    Guardrails,
    InMemoryEventLog,
    InMemoryModelProvider,
    InMemoryStateStore,
    ManualClock,
    ModelSpec,
    Rollout,
    RolloutPolicy,
    RolloutStateError,
    StoreStateStore,
)
from modelsteward.store import Store
from modelsteward.store.rollout_state import RolloutStateRepository

POLICY = RolloutPolicy(
    shadow=False, steps=(10, 50, 100), min_samples=50, min_hold_s=60, check_interval_s=1
)


def _provider() -> InMemoryModelProvider:
    fns = {v: (lambda rows, k=k: [k] * len(rows)) for k, v in enumerate(("v1", "v2", "v3"))}
    return InMemoryModelProvider(fns)  # type: ignore[arg-type]


def _spec(candidate: str | None = "v2", policy: RolloutPolicy = POLICY) -> ModelSpec:
    return ModelSpec("m", ["x"], _provider(), "v1", candidate=candidate, policy=policy)


@pytest.fixture
def stores(db_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database: the gateway before and after its restart."""
    first, second = Store(db_url), Store(db_url)
    first.upgrade()
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def _feed(r: Rollout, arm: str, n: int, error_rate: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r.record_many(
        arm,  # type: ignore[arg-type]
        errors=rng.random(n) < error_rate,
        latency_ms=rng.lognormal(2.0, 0.3, n),
        cost=0.0,
    )


def _canary_at_step_one(gw: Gateway, clock: ManualClock) -> Rollout:
    r = gw.models["m"].rollout
    assert (r.state, r.step) == ("canary", 0)
    _feed(r, "baseline", 18000, 0.0, 1)
    _feed(r, "candidate", 2000, 0.0, 2)
    clock.advance(120)
    look = r.check()
    assert look.action == "advance", look.reason
    _feed(r, "baseline", 600, 0.0, 3)
    _feed(r, "candidate", 600, 0.5, 4)
    clock.advance(10)
    first = r.check()
    assert (first.action, first.verdict) == ("hold", "fail")
    _feed(r, "baseline", 7, 0.0, 5)  # after the look: only the checkpoint on close saves it
    for i in range(20):
        gw.predict("m", {"x": 1.0}, key=f"user-{i}")
    return r


def test_a_canary_resumes_at_the_same_step_with_the_same_evidence(
    stores: tuple[Store, Store],
) -> None:
    clock = ManualClock(1_000_000.0)
    old = Gateway([_spec()], clock=clock, state_store=StoreStateStore(stores[0]))
    r = _canary_at_step_one(old, clock)
    before = r.status()
    old.close()  # a clean shutdown saves the requests since the last look

    row = RolloutStateRepository(stores[1].engine).get("m")
    assert row is not None and row.stage == "canary" and row.step == 1
    assert row.arms["candidate"]["n"] == before["stage_requests"]["candidate"]
    assert row.failed_checks == 1 and not row.approval_pending

    events = InMemoryEventLog()
    new = Gateway([_spec()], clock=clock, events=events, state_store=StoreStateStore(stores[1]))
    r2 = new.models["m"].rollout
    assert r2.resumed and events.types() == []  # the configured candidate did not restart
    after = r2.status()
    assert {**after, "resumed": False} == {**before, "resumed": False}
    assert (r2.state, r2.step, r2.percent, r2.failed_checks) == ("canary", 1, 50.0, 1)
    assert r2._stage_started == r._stage_started  # the hold goes on, it does not restart
    for a, b in ((r._base, r2._base), (r._cand, r2._cand)):
        np.testing.assert_array_equal(a._buf[:, : a.n], b._buf[:, : b.n])
    assert [r2.route(f"user-{i}") for i in range(50)] == [r.route(f"user-{i}") for i in range(50)]
    # the next look: the same decision, the same evidence, the same failed-check count
    clock.advance(5)
    resumed, continued = r2.check(), r.check()
    assert resumed == continued and resumed.evidence["failed_checks"] == 2
    answer = new.predict("m", {"x": 1.0}, key="user-1")
    assert answer["version"] in ("v1", "v2")
    new.close()


def test_the_third_failure_after_a_restart_rolls_back(stores: tuple[Store, Store]) -> None:
    clock = ManualClock(1_000_000.0)
    old = Gateway([_spec()], clock=clock, state_store=StoreStateStore(stores[0]))
    _canary_at_step_one(old, clock)
    clock.advance(1)
    assert old.models["m"].rollout.check().evidence["failed_checks"] == 2
    old.close()
    new = Gateway([_spec()], clock=clock, state_store=StoreStateStore(stores[1]))
    r2 = new.models["m"].rollout
    clock.advance(1)
    assert r2.check().action == "rollback"
    assert (r2.state, r2.candidate, r2.auto_rollbacks) == ("rolled_back", None, 1)
    row = RolloutStateRepository(stores[0].engine).get("m")
    assert row is not None and (row.stage, row.candidate, row.auto_rollbacks) == (
        "rolled_back",
        None,
        1,
    )
    new.close()
    # a rolled-back rollout stays rolled back: the configured candidate does not start again
    again = Gateway([_spec()], clock=clock, state_store=StoreStateStore(stores[1]))
    assert again.models["m"].rollout.state == "rolled_back"
    again.close()


class _AliasRegistry:
    """Moves the ``champion`` alias of a provider on promotion, as the model registry does."""

    def __init__(self, provider: InMemoryModelProvider) -> None:
        self.provider = provider

    def promote(self, model: str, version: str, **_: Any) -> None:
        self.provider.aliases["champion"] = version

    def rollback(self, to: str) -> None:
        self.provider.aliases["champion"] = to


def _aliased(provider: InMemoryModelProvider, policy: RolloutPolicy) -> ModelSpec:
    return ModelSpec("m", ["x"], provider, "champion", candidate="v2", policy=policy)


def test_promotion_and_pending_approval_survive_a_restart(stores: tuple[Store, Store]) -> None:
    clock = ManualClock(1_000_000.0)
    risky = replace(POLICY, steps=(50, 100), high_risk=True)
    provider = _provider()
    provider.aliases["champion"] = "v1"
    registry = _AliasRegistry(provider)

    def gateway(store: Store) -> Gateway:
        return Gateway(
            [_aliased(provider, risky)],
            clock=clock,
            registry=registry,
            state_store=StoreStateStore(store),
        )

    old = gateway(stores[0])
    r = old.models["m"].rollout
    _feed(r, "baseline", 2000, 0.0, 1)
    _feed(r, "candidate", 2000, 0.0, 2)
    clock.advance(120)
    assert r.check().action == "await_approval"
    old.close()
    row = RolloutStateRepository(stores[0].engine).get("m")
    assert row is not None and row.approval_pending and row.stage == "awaiting_approval"

    new = gateway(stores[1])
    assert new.models["m"].rollout.state == "awaiting_approval"
    new.approve("m", actor="alice", reason="reviewed the canary")
    assert new.predict("m", {"x": 0.0})["version"] == "v2"
    new.close()
    assert provider.aliases["champion"] == "v2"  # the promotion is durable in the registry
    third = gateway(stores[0])
    r3 = third.models["m"].rollout
    assert (r3.state, r3.champion, r3.previous) == ("promoted", "v2", "v1")
    assert r3.last_promotion is not None and r3.last_promotion["actor"] == "alice"
    assert third.predict("m", {"x": 0.0})["version"] == "v2"
    third.close()

    # the registry rolled back while the gateway was down: a restart serves what it says
    registry.rollback("v1")
    events = InMemoryEventLog()
    fourth = Gateway(
        [_aliased(provider, risky)],
        clock=clock,
        events=events,
        registry=registry,
        state_store=StoreStateStore(stores[1]),
    )
    r4 = fourth.models["m"].rollout
    assert (r4.state, r4.champion) == ("promoted", "v1")
    assert events.types() == ["champion_from_configuration"]
    assert fourth.predict("m", {"x": 0.0})["version"] == "v1"
    fourth.close()


def test_a_rollout_whose_champion_changed_outside_starts_afresh() -> None:
    states, clock = InMemoryStateStore(), ManualClock(0.0)
    old = Gateway([_spec()], clock=clock, state_store=states)
    _feed(old.models["m"].rollout, "baseline", 50, 0.0, 1)
    old.close()
    events = InMemoryEventLog()
    edited = ModelSpec("m", ["x"], _provider(), "v3", candidate="v2", policy=POLICY)
    new = Gateway([edited], clock=clock, events=events, state_store=states)
    r = new.models["m"].rollout
    assert not r.resumed and (r.champion, r.candidate, r._base.n) == ("v3", "v2", 0)
    assert events.types() == ["resume_discarded", "canary_started"]
    new.close()


def test_needs_human_survives_a_restart() -> None:
    states = InMemoryStateStore()
    policy = replace(POLICY, max_failed_checks=1, max_auto_rollbacks=1)
    r = Rollout("m", "v1", policy=policy, clock=ManualClock(0.0), state_store=states)
    r.start("v2")
    _feed(r, "baseline", 2000, 0.0, 1)
    _feed(r, "candidate", 2000, 0.5, 2)
    assert r.check().action == "rollback" and r.state == "needs_human"
    again = Rollout("m", "v1", policy=policy, state_store=states)
    assert again.state == "needs_human"
    with pytest.raises(RolloutStateError, match="acknowledge"):
        again.start("v3")


def test_a_saved_version_that_can_no_longer_be_served_is_discarded() -> None:
    states = InMemoryStateStore()
    gw = Gateway([_spec()], clock=ManualClock(0.0), state_store=states)
    gw.close()
    snap = states.snapshots["m"]
    states.snapshots["m"] = replace(snap, candidate="gone")
    events = InMemoryEventLog()
    again = Gateway([_spec()], clock=ManualClock(0.0), events=events, state_store=states)
    r = again.models["m"].rollout
    assert events.types()[0] == "resume_discarded"
    assert not r.resumed and (r.state, r.candidate) == ("canary", "v2")  # from the config
    again.close()


def test_a_failing_state_store_never_stops_a_rollback() -> None:
    class Broken(InMemoryStateStore):
        def save(self, model: str, snapshot: Any) -> None:
            raise OSError("disk full")

    r = Rollout("m", "v1", policy=POLICY, clock=ManualClock(0.0), state_store=Broken())
    r.start("v2")
    r.rollback(actor="bob", reason="manual")
    assert r.state == "rolled_back" and r.save_errors == 2


def test_concurrent_traffic_looks_and_retrain_writes_do_not_corrupt_the_row(
    stores: tuple[Store, Store],
) -> None:
    """Request threads, the look thread and the server's scheduler (writing the retrain
    side of the same row through another engine) at once: the stored rollout is the
    machine's own last snapshot, and no retrain write is lost."""
    clock = ManualClock(1_000_000.0)
    # keep it at step 0 while we hammer it: no hold ends, and timing noise of a loaded
    # machine in the latency guardrail never rolls it back
    policy = replace(
        POLICY, min_hold_s=1e9, max_failed_checks=1000, guardrails=Guardrails(latency_tail=1.0)
    )
    gw = Gateway([_spec(policy=policy)], clock=clock, state_store=StoreStateStore(stores[0]))
    r = gw.models["m"].rollout
    other = RolloutStateRepository(stores[1].engine)
    stop = threading.Event()
    errors: list[BaseException] = []

    def guard(fn: Any) -> Any:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        return run

    @guard
    def traffic() -> None:
        i = 0
        while not stop.is_set():
            gw.predict("m", {"x": 1.0}, key=f"k{i}")
            i += 1

    @guard
    def looks() -> None:
        for _ in range(15):
            clock.advance(1)
            r.check()

    @guard
    def retrain_side() -> None:
        for _ in range(15):
            other.update("m", lambda s: replace(s, retrain={"n": s.retrain.get("n", 0) + 1}))

    threads = [threading.Thread(target=f) for f in (traffic, traffic, looks, retrain_side)]
    for t in threads:
        t.start()
    threads[2].join()
    threads[3].join()
    stop.set()
    for t in threads[:2]:
        t.join()
    gw.close()
    assert errors == [] and r.save_errors == 0
    row = other.get("m")
    assert row is not None and row.retrain == {"n": 15}
    assert (row.stage, row.step, row.candidate) == ("canary", 0, "v2")
    served = r._base.n + r._cand.n
    assert row.arms["baseline"]["n"] + row.arms["candidate"]["n"] == served
    resumed = Gateway([_spec(policy=policy)], clock=clock, state_store=StoreStateStore(stores[1]))
    assert resumed.models["m"].rollout.status()["stage_requests"] == r.status()["stage_requests"]
    resumed.close()


def test_saves_copy_under_the_lock_and_write_only_the_newest_capture() -> None:
    """The evidence is copied under the machine's lock and compressed and written after it;
    of captures waiting together only the newest is written."""
    from modelsteward.rollout._persist import Persistence

    states = InMemoryStateStore()
    r = Rollout("m", "v1", policy=POLICY, clock=ManualClock(0.0))
    r.start("v2")
    keeper = Persistence(states)
    with r._lock:
        keeper.capture(r)
        _feed(r, "baseline", 10, 0.0, 1)
        keeper.capture(r)
        _feed(r, "baseline", 5, 0.0, 2)  # after the capture: not in it
    keeper.flush(r)
    keeper.flush(r)  # nothing left to write
    assert states.saves == 1 and states.snapshots["m"].arms["baseline"]["n"] == 10
