"""``GET /api/v1/models/{name}/loop`` (its router is mounted here as ``_app`` would)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelsteward.server import create_app
from modelsteward.server._api_loop import router
from modelsteward.settings import Settings
from modelsteward.store import Store
from modelsteward.store.rollout_state import RolloutStateRepository


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(Settings(home=tmp_path, migrate_on_start=False), store=store)
    app.include_router(router)
    _, token = store.keys.create("reader", "read")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def test_the_loop_state_of_a_model(client: tuple[TestClient, dict[str, str]], store: Store) -> None:
    c, auth = client
    store.models.create("churn", "binary")
    fresh = c.get("/api/v1/models/churn/loop", headers=auth)
    assert fresh.status_code == 200
    assert (fresh.json()["stage"], fresh.json()["revision"]) == ("idle", 0)

    started = datetime(2026, 3, 1, tzinfo=UTC)
    RolloutStateRepository(store.engine).update(
        "churn",
        lambda s: replace(
            s,
            stage="canary",
            champion="1",
            candidate="2",
            step=1,
            stage_started_at=started,
            failed_checks=2,
            arms={"baseline": {"n": 900}, "candidate": {"n": 100}},
            samples=b"\x00" * 10,
            last_check={"action": "hold", "evidence": {"p": float("inf")}},
        ),
    )
    body = c.get("/api/v1/models/churn/loop", headers=auth).json()
    assert body["stage"] == "canary" and body["active"] and body["step"] == 1
    assert body["stage_started_at"] == started.isoformat()
    assert body["arms"]["candidate"]["n"] == 100 and body["samples_bytes"] == 10
    assert body["last_check"]["evidence"]["p"] is None  # JSON has no infinity
    assert body["failed_checks"] == 2 and body["revision"] == 1


def test_errors(client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    assert c.get("/api/v1/models/nope/loop", headers=auth).status_code == 404
    assert c.get("/api/v1/models/nope/loop").status_code == 401
