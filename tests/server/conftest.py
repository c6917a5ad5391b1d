from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from modelsteward.server import create_app
from modelsteward.settings import Settings
from modelsteward.store import Store


@dataclass
class Api:
    client: TestClient
    store: Store
    admin: dict[str, str]
    ingest: dict[str, str]
    read: dict[str, str]


def _bearer(store: Store, scope: str) -> dict[str, str]:
    _, token = store.keys.create(f"{scope}-key", scope)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(store: Store, tmp_path: object) -> Iterator[Api]:
    """A TestClient on an app over the per-dialect ``store``, with one key per scope."""
    settings = Settings(home=str(tmp_path), max_body_bytes=1_000_000, migrate_on_start=False)
    app = create_app(settings, store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(
            client, store, _bearer(store, "admin"), _bearer(store, "ingest"), _bearer(store, "read")
        )
