"""Whatever body a client sends, the ingest endpoints answer 2xx or 4xx, never 5xx.

``test_schemathesis`` covers every operation with cases drawn from ``/openapi.json``;
these draw what it does not: rows that are almost predictions (known field names with
values of any JSON type) and raw bytes under each content type the API knows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelsteward.server import create_app
from modelsteward.settings import Settings
from modelsteward.store import Store

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["id", "timestamp", "features", "prediction", "score", "latency_ms", "version", "error",
          "segment", "label"]  # fmt: skip
rows = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    store = Store(f"sqlite:///{home / 'fuzz.db'}")
    store.upgrade()
    store.models.create("m", "binary")
    app = create_app(
        Settings(home=str(home), migrate_on_start=False, evaluation_interval_seconds=0),
        store=store,
        dev=True,
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    store.close()


def _body(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(rows, max_size=5) | json_values)
def test_ingest_never_500(client: TestClient, batch: object) -> None:
    headers = {"Content-Type": "application/json"}
    for path in ("/api/v1/models/m/predictions", "/api/v1/models/m/labels"):
        r = client.post(path, content=_body(batch), headers=headers)
        assert r.status_code < 500, r.text


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=200), ctype=st.sampled_from([
    "application/json", "application/vnd.apache.arrow.stream", "application/vnd.apache.parquet",
    "text/csv", "application/octet-stream", "",
]))  # fmt: skip
def test_raw_bodies_never_500(client: TestClient, body: bytes, ctype: str) -> None:
    for method, path in (
        ("POST", "/api/v1/models/m/predictions"),
        ("PUT", "/api/v1/models/m/reference"),
        ("POST", "/api/v1/models"),
        ("POST", "/api/v1/keys"),
        ("POST", "/api/v1/alerts/1/ack"),
    ):
        r = client.request(method, path, content=body, headers={"Content-Type": ctype})
        assert r.status_code < 500, (path, r.text)
