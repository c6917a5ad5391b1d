from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from modelsteward.store import AuthError, NotFoundError, Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _sum_merger(a: str, b: str) -> str:
    x, y = json.loads(a), json.loads(b)
    return json.dumps({"n": x["n"] + y["n"]})


def test_profile_buckets_merge(store: Store) -> None:
    mid = store.models.create("m", "binary").id
    with store.engine.begin() as conn:
        for n in (1, 2, 3):
            store.profiles.merge(conn, mid, T0, 3600, n, json.dumps({"n": n}), _sum_merger)
        store.profiles.merge(
            conn, mid, T0 + timedelta(hours=1), 3600, 5, json.dumps({"n": 5}), _sum_merger
        )
    buckets = store.profiles.buckets(mid, T0, T0 + timedelta(hours=2))
    assert [(b.bucket_start, b.rows, json.loads(b.profile)["n"]) for b in buckets] == [
        (T0, 6, 6),
        (T0 + timedelta(hours=1), 5, 5),
    ]
    assert len(store.profiles.buckets(mid, T0 + timedelta(hours=1), T0 + timedelta(hours=9))) == 1


def test_evaluations_are_recorded_once_per_window(store: Store) -> None:
    mid = store.models.create("m", "binary").id
    w = (T0, T0 + timedelta(hours=1))
    assert store.evaluations.record(mid, "accuracy", *w, 0.9, details={"n": 10})
    assert not store.evaluations.record(mid, "accuracy", *w, 0.1)
    assert store.evaluations.record(mid, "accuracy", *w, 0.8, version="v2")
    assert store.evaluations.exists(mid, "accuracy", *w)
    series = store.evaluations.series(mid, "accuracy")
    assert [(e.version, e.value) for e in series] == [("", 0.9), ("v2", 0.8)]
    assert series[0].window_start == T0 and series[0].details == {"n": 10}
    assert store.evaluations.series(mid, "accuracy", T0 + timedelta(hours=2)) == []


def test_alert_lifecycle_and_dedup(store: Store) -> None:
    mid = store.models.create("m", "binary").id
    a = store.alerts.fire(mid, rule="acc-low", metric="accuracy", value=0.5, threshold=0.8)
    again = store.alerts.fire(mid, rule="acc-low", metric="accuracy", value=0.4, threshold=0.8)
    assert again.id == a.id and again.value == 0.4 and again.status == "firing"
    assert len(store.alerts.list(model_id=mid)) == 1
    acked = store.alerts.acknowledge(a.id, by="alice")
    assert acked.status == "acknowledged" and acked.acknowledged_by == "alice"
    assert store.alerts.list(status="firing") == []
    resolved = store.alerts.resolve(a.id)
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    # a new firing after resolution is a new alert
    b = store.alerts.fire(mid, rule="acc-low", metric="accuracy", value=0.3)
    assert b.id != a.id
    with pytest.raises(NotFoundError):
        store.alerts.acknowledge(99999)


def test_keys_are_hashed_verified_and_revocable(store: Store) -> None:
    key, token = store.keys.create("ci", "ingest")
    assert token.startswith("msk_") and key.scope == "ingest"
    assert store.keys.verify(token).key_id == key.key_id
    with store.engine.connect() as conn:
        dumped = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM api_keys")))
    # the secret is everything after the key id (it may itself hold "_")
    assert token not in dumped and token.split("_", 2)[2] not in dumped
    for bad in ("", "nonsense", token[:-1] + ("A" if token[-1] != "A" else "B"), "msk_x_y"):
        with pytest.raises(AuthError):
            store.keys.verify(bad)
    assert store.keys.count_active() == 1
    store.keys.revoke(key.key_id)
    assert store.keys.count_active() == 0
    with pytest.raises(AuthError, match="revoked"):
        store.keys.verify(token)
