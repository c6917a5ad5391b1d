"""The loop-state repository on SQLite and PostgreSQL: round trip, compare-and-set, and
concurrent writers that neither lose each other's updates nor tear a row."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from modelsteward.errors import ParameterError
from modelsteward.store import ConflictError, Store
from modelsteward.store._migrate import _config, current_revision, head_revision
from modelsteward.store.rollout_state import RolloutState, RolloutStateRepository

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_migration_creates_the_table(store: Store) -> None:
    assert "rollout_states" in sa.inspect(store.engine).get_table_names()
    assert current_revision(store.engine) == head_revision()
    script = ScriptDirectory.from_config(_config())
    assert "0004_rollout_state" in {r.revision for r in script.walk_revisions()}


def test_round_trip_keeps_every_field(store: Store) -> None:
    repo = RolloutStateRepository(store.engine)
    blob = bytes(range(256)) * 10
    full = RolloutState(
        "churn",
        stage="canary",
        champion="v1",
        previous="v0",
        candidate="v2",
        step=2,
        stage_started_at=T0,
        failed_checks=1,
        auto_rollbacks=2,
        approval_pending=False,
        arms={"baseline": {"n": 10, "errors": 1}, "candidate": {"n": 3, "errors": 0}},
        samples=blob,
        last_check={"action": "hold", "evidence": {"p": float("nan"), "n": 3}},
        last_promotion={"version": "v1", "actor": None},
        retrain={"policy_state": {"done_keys": ["k"]}},
    )
    saved = repo.save(full)
    assert saved.revision == 1
    got = repo.get("churn")
    assert got is not None
    assert got.samples == blob
    assert got.stage_started_at == T0
    assert got.last_check == {"action": "hold", "evidence": {"p": None, "n": 3}}
    assert replace(got, updated_at=None, last_check=None) == replace(
        full, revision=1, last_check=None
    )
    assert repo.list() == [got]


def test_save_is_a_compare_and_set(store: Store) -> None:
    repo = RolloutStateRepository(store.engine)
    first = repo.save(RolloutState("m", stage="shadow", candidate="v2"))
    with pytest.raises(ConflictError):
        repo.save(RolloutState("m"))  # revision 0 means "new", but it exists
    newer = repo.save(replace(first, stage="canary"))
    with pytest.raises(ConflictError):
        repo.save(replace(first, stage="rolled_back"))  # stale: revision 1, stored is 2
    got = repo.get("m")
    assert got is not None and got.stage == "canary" and got.revision == newer.revision == 2


def test_bad_states_are_refused(store: Store) -> None:
    repo = RolloutStateRepository(store.engine)
    with pytest.raises(ParameterError, match="stage"):
        repo.update("m", lambda s: replace(s, stage="dancing"))
    with pytest.raises(ParameterError, match=">= 0"):
        repo.update("m", lambda s: replace(s, failed_checks=-1))
    with pytest.raises(ParameterError, match="returned the state"):
        repo.update("m", lambda s: replace(s, model="other"))
    assert repo.get("m") is None  # each refused change rolled back, default row included
    repo.update("m", lambda s: s)
    assert repo.get("m") == RolloutState("m", revision=1, updated_at=repo.get("m").updated_at)  # type: ignore[union-attr]
    assert repo.delete("m") and not repo.delete("m") and repo.get("m") is None


def test_concurrent_updates_lose_nothing(db_url: str) -> None:
    """Writers in threads with engines of their own (like two processes) each increment
    their own counter; a locked read-modify-write must not drop any increment, and the
    revision must count every write."""
    stores = [Store(db_url, busy_timeout_ms=60_000) for _ in range(4)]
    stores[0].upgrade()
    per_writer = 15
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        repo = RolloutStateRepository(stores[i].engine)
        field = "failed_checks" if i % 2 == 0 else "auto_rollbacks"
        try:
            for _ in range(per_writer):
                repo.update(
                    "m",
                    lambda s, f=field: replace(
                        s,
                        **{f: getattr(s, f) + 1},
                        retrain={**s.retrain, f"w{i}": s.retrain.get(f"w{i}", 0) + 1},
                    ),
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        got = RolloutStateRepository(stores[0].engine).get("m")
        assert got is not None
        assert got.failed_checks == 2 * per_writer
        assert got.auto_rollbacks == 2 * per_writer
        assert got.retrain == {f"w{i}": per_writer for i in range(4)}
        assert got.revision == 4 * per_writer
    finally:
        for s in stores:
            s.close()


def test_compare_and_set_lets_one_of_two_stale_writers_win(store: Store) -> None:
    repo = RolloutStateRepository(store.engine)
    base = repo.update("m", lambda s: replace(s, stage="canary", step=0))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(step: int) -> None:
        barrier.wait()
        try:
            repo.save(replace(base, step=step))
            outcomes.append("won")
        except ConflictError:
            outcomes.append("lost")

    threads = [threading.Thread(target=writer, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    got = repo.get("m")
    assert got is not None and got.revision == base.revision + 1 and got.step in (1, 2)
