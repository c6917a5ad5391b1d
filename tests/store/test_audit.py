"""The audit log's storage: append computes the chain; concurrent writers never fork it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from modelsteward.errors import ParameterError
from modelsteward.store import Store
from modelsteward.store.audit import (
    GENESIS_HASH,
    AuditChainError,
    AuditEventLog,
    AuditRepository,
)


def test_append_chains_entries(store: Store) -> None:
    log = AuditRepository(store.engine)
    assert log.head() == (0, GENESIS_HASH)
    a = log.append("model.created", "churn", {"task": "binary"}, actor="alice")
    b = log.append("alert.acknowledged", "churn", None, actor="bob")
    c = log.append("config.changed", "server", {"port": 8686}, actor="admin-key:abc")
    assert [a.seq, b.seq, c.seq] == [1, 2, 3]
    assert a.prev_hash == GENESIS_HASH and b.prev_hash == a.hash and c.prev_hash == b.hash
    assert all(e.hash == e.expected_hash() for e in (a, b, c))
    assert a.ts.tzinfo is not None and a.ts <= datetime.now(UTC)
    assert log.head() == (3, c.hash)
    stored = log.entries()
    assert [e.to_dict() for e in stored] == [e.to_dict() for e in (a, b, c)]
    assert [e.seq for e in log.entries(subject="churn")] == [1, 2]
    assert [e.seq for e in log.entries(action="config.changed")] == [3]
    assert [e.seq for e in log.entries(newest_first=True, limit=2)] == [3, 2]
    assert log.count() == 3


def test_append_in_commits_with_the_change_or_not_at_all(store: Store) -> None:
    log = AuditRepository(store.engine)

    def failing(conn: sa.Connection) -> None:
        log.append_in(conn, "registry.register", "churn", {"version": "1"}, actor="a")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        log.write(failing)
    assert log.count() == 0 and log.head() == (0, GENESIS_HASH)
    entry = log.write(lambda conn: log.append_in(conn, "x.y", "s", {"k": 1}, actor="a"))
    assert entry.seq == 1


def test_details_become_plain_json(store: Store) -> None:
    log = AuditRepository(store.engine)
    entry = log.append(
        "gate.result",
        "churn",
        {"p": np.float64(0.25), "n": np.int64(3), "nan": float("nan"), "arr": np.arange(2)},
        actor="retrain",
    )
    assert entry.details == {"p": 0.25, "n": 3, "nan": None, "arr": [0, 1]}
    assert log.entries()[0].details == entry.details
    with pytest.raises(ParameterError, match="JSON data"):
        log.append("x", "s", {"bad": object()}, actor="a")
    with pytest.raises(ParameterError, match="action"):
        log.append("", "s", {}, actor="a")


def test_concurrent_appends_never_fork_the_chain(store: Store) -> None:
    log = AuditRepository(store.engine)
    threads, each = 6, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def writer(i: int) -> None:
        try:
            barrier.wait()
            for j in range(each):
                log.append("load.test", f"w{i}", {"j": j}, actor=f"thread-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    entries = log.entries()
    assert [e.seq for e in entries] == list(range(1, threads * each + 1))
    prev = GENESIS_HASH
    for e in entries:
        assert e.prev_hash == prev and e.hash == e.expected_hash()
        prev = e.hash
    assert log.head() == (threads * each, prev)


def test_missing_head_refuses_to_append(store: Store) -> None:
    log = AuditRepository(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_head"))
    with pytest.raises(AuditChainError, match="steward audit verify"):
        log.append("x", "s", {}, actor="a")


def test_event_log_adapter(store: Store) -> None:
    log = AuditRepository(store.engine)
    events = AuditEventLog(log, prefix="rollout.")
    events.append("promoted", {"model": "churn", "version": "3"})
    events.append("approved", {"model": "churn", "actor": "key:ops"})
    first, second = log.entries()
    assert (first.action, first.subject, first.actor) == ("rollout.promoted", "churn", "rollout")
    assert first.details == {"model": "churn", "version": "3"}
    assert second.actor == "key:ops"
