from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from modelsteward.server import create_app
from modelsteward.settings import Settings
from modelsteward.store import Store
from tests.server.conftest import Api


def _model(api: Api, name: str = "churn", task: str = "binary") -> None:
    r = api.client.post("/api/v1/models", json={"name": name, "task": task}, headers=api.admin)
    assert r.status_code == 201, r.text


def test_health_ready_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/models/{name}/predictions" in spec["paths"]
    assert "/api/v1/models/{name}/drift" in spec["paths"]
    assert all(
        p.startswith("/api/v1/")
        for p in spec["paths"]
        if p not in ("/healthz", "/readyz", "/metrics")
    )


def test_readyz_is_503_before_migrations(db_url: str, tmp_path: object) -> None:
    store = Store(db_url)
    app = create_app(Settings(home=str(tmp_path), migrate_on_start=False), store=store)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    store.close()


def test_auth_401_and_403(api: Api) -> None:
    c = api.client
    r = c.get("/api/v1/models")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in r.json()["detail"]
    assert c.get("/api/v1/models", headers={"Authorization": "Bearer msk_x_y"}).status_code == 401
    assert c.get("/api/v1/models", headers={"Authorization": "Basic abc"}).status_code == 401
    assert c.get("/api/v1/models", headers=api.read).status_code == 200
    assert c.get("/api/v1/models", headers=api.admin).status_code == 200
    r = c.get("/api/v1/models", headers=api.ingest)
    assert r.status_code == 403 and "needs 'read'" in r.json()["detail"]
    r = c.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.read)
    assert r.status_code == 403
    _model(api, "m2")
    r = c.post("/api/v1/models/m2/predictions", json=[{"id": "1"}], headers=api.read)
    assert r.status_code == 403
    assert c.post(
        "/api/v1/models/m2/predictions", json=[{"id": "1"}], headers=api.ingest
    ).is_success


def test_revoked_key_is_401(api: Api) -> None:
    key = api.store.keys.list()[-1]
    api.store.keys.revoke(key.key_id)
    assert api.client.get("/api/v1/models", headers=api.read).status_code == 401


def test_dev_mode_needs_no_key(store: Store, tmp_path: object) -> None:
    app = create_app(Settings(home=str(tmp_path), migrate_on_start=False), store=store, dev=True)
    with TestClient(app) as client:
        assert (
            client.post("/api/v1/models", json={"name": "m", "task": "binary"}).status_code == 201
        )
        assert client.get("/api/v1/models").json()[0]["name"] == "m"


def test_models_create_list_get(api: Api) -> None:
    c = api.client
    _model(api)
    r = c.post("/api/v1/models", json={"name": "churn", "task": "binary"}, headers=api.admin)
    assert r.status_code == 409
    r = c.post("/api/v1/models", json={"name": "x", "task": "clustering"}, headers=api.admin)
    assert r.status_code == 422
    assert [m["name"] for m in c.get("/api/v1/models", headers=api.read).json()] == ["churn"]
    info = c.get("/api/v1/models/churn", headers=api.read).json()
    assert info["task"] == "binary" and info["predictions"] == 0 and info["labels"] == 0
    r = c.get("/api/v1/models/ghost", headers=api.read)
    assert r.status_code == 404 and "No model named 'ghost'" in r.json()["detail"]


def test_json_batch_ingest_with_duplicates(api: Api) -> None:
    _model(api)
    rows = [
        {
            "id": "a",
            "timestamp": "2026-01-01T00:00:00Z",
            "prediction": 1,
            "score": 0.9,
            "latency_ms": 12.5,
            "version": "v1",
            "segment": "eu",
            "features": {"x": 1.0},
        },
        {"id": "b", "timestamp": "2026-01-01T00:00:01+02:00", "prediction": 0, "score": [0.4, 0.6]},
        {"prediction": 1},
    ]
    r = api.client.post("/api/v1/models/churn/predictions", json=rows, headers=api.ingest)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 3, "duplicates": []}
    r = api.client.post(
        "/api/v1/models/churn/predictions",
        json={"predictions": [rows[0], {"id": "c"}, {"id": "c"}]},
        headers=api.ingest,
    )
    assert r.json() == {"accepted": 1, "duplicates": ["a", "c"]}
    info = api.client.get("/api/v1/models/churn", headers=api.read).json()
    assert info["predictions"] == 4 and info["versions"] == ["v1"]


def test_bad_rows_get_422_with_every_error_and_nothing_is_stored(api: Api) -> None:
    _model(api)
    rows = [
        {"id": "ok", "prediction": 1},
        {"id": "t", "timestamp": "yesterday-ish"},
        {"id": "l", "latency_ms": -3},
        {"id": "u", "unknown_field": 1},
        {"id": ""},
    ]
    r = api.client.post("/api/v1/models/churn/predictions", json=rows, headers=api.ingest)
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "BatchError" and "Nothing was stored" in body["detail"]
    assert {(e["row"], e["field"]) for e in body["errors"]} >= {
        (1, "timestamp"),
        (2, "latency_ms"),
        (3, "unknown_field"),
        (4, "id"),
    }
    assert api.store.models.stats("churn").predictions == 0


@pytest.mark.parametrize(
    ("body", "ctype", "status"),
    [
        (b"{not json", "application/json", 422),
        (b'"a string"', "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"", "application/json", 422),
        (b'[{"id": "a"}]', "text/plain", 415),
        (b'[{"id": "a"}]', "", 415),
        (b"not arrow at all", "application/vnd.apache.arrow.stream", 422),
        (b"not parquet", "application/vnd.apache.parquet", 422),
    ],
)
def test_malformed_bodies_are_4xx(api: Api, body: bytes, ctype: str, status: int) -> None:
    _model(api)
    headers = {**api.ingest, "Content-Type": ctype}
    r = api.client.post("/api/v1/models/churn/predictions", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_oversized_body_is_413_and_unknown_model_404(api: Api) -> None:
    _model(api)
    big = b"[" + b",".join(b'{"id": "%d"}' % i for i in range(100_000)) + b"]"
    headers = {**api.ingest, "Content-Type": "application/json"}
    r = api.client.post("/api/v1/models/churn/predictions", content=big, headers=headers)
    assert r.status_code == 413 and "STEWARD_MAX_BODY_BYTES" in r.json()["detail"]
    r = api.client.post("/api/v1/models/ghost/predictions", json=[{"id": "1"}], headers=api.ingest)
    assert r.status_code == 404


def test_labels(api: Api) -> None:
    _model(api)
    c = api.client
    r = c.post("/api/v1/models/churn/labels", json=[{"id": "p1", "label": 1}], headers=api.ingest)
    assert r.json() == {"accepted": 1, "duplicates": []}
    c.post("/api/v1/models/churn/predictions", json=[{"id": "p1"}], headers=api.ingest)
    r = c.post(
        "/api/v1/models/churn/labels",
        json={"labels": [{"id": "p1", "label": 0, "timestamp": "2026-01-02T00:00:00"}]},
        headers=api.ingest,
    )
    assert r.status_code == 200
    assert c.get("/api/v1/models/churn", headers=api.read).json()["labels"] == 1
    r = c.post("/api/v1/models/churn/labels", json=[{"label": 1}], headers=api.ingest)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id"


def test_alerts_list_and_ack(api: Api) -> None:
    _model(api)
    mid = api.store.models.id_of("churn")
    alert = api.store.alerts.fire(mid, rule="r", metric="accuracy", value=0.5, threshold=0.8)
    r = api.client.get("/api/v1/alerts?model=churn&status=firing", headers=api.read)
    assert [a["id"] for a in r.json()] == [alert.id]
    r = api.client.post(f"/api/v1/alerts/{alert.id}/ack", json={"by": "bob"}, headers=api.read)
    assert r.json()["status"] == "acknowledged" and r.json()["acknowledged_by"] == "bob"
    assert (
        api.client.post(f"/api/v1/alerts/{alert.id}/resolve", headers=api.read).status_code == 403
    )
    r = api.client.post(f"/api/v1/alerts/{alert.id}/resolve", headers=api.admin)
    assert r.json()["status"] == "resolved" and r.json()["resolved_at"]
    assert api.client.post("/api/v1/alerts/999999/ack", headers=api.read).status_code == 404
    assert api.client.get("/api/v1/alerts?status=bogus", headers=api.read).status_code == 422
    assert api.client.get("/api/v1/alerts?model=ghost", headers=api.read).status_code == 404


def test_keys_over_the_api(api: Api) -> None:
    r = api.client.post("/api/v1/keys", json={"name": "svc", "scope": "read"}, headers=api.admin)
    assert r.status_code == 201
    token = r.json()["token"]
    assert api.client.get("/api/v1/models", headers={"Authorization": f"Bearer {token}"}).is_success
    listed = api.client.get("/api/v1/keys", headers=api.admin).json()
    assert all("token" not in k for k in listed) and len(listed) == 4
    key_id = r.json()["key_id"]
    assert api.client.delete(f"/api/v1/keys/{key_id}", headers=api.admin).status_code == 204
    assert (
        api.client.get("/api/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert api.client.post("/api/v1/keys", json={"name": "x"}, headers=api.read).status_code == 403


def test_evaluations_series(api: Api) -> None:
    _model(api)
    mid = api.store.models.id_of("churn")
    t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    api.store.evaluations.record(mid, "accuracy", t0, t1, 0.91)
    r = api.client.get("/api/v1/models/churn/evaluations?metric=accuracy", headers=api.read)
    assert r.json()[0]["value"] == 0.91 and r.json()[0]["window_end"].startswith("2026-01-02")
    r = api.client.get("/api/v1/models/churn/evaluations?start=garbage", headers=api.read)
    assert r.status_code == 422


def test_values_the_database_refuses_are_4xx(api: Api) -> None:
    _model(api)
    headers = {**api.ingest, "Content-Type": "application/json"}
    for body in (
        b'[{"id": "nul", "prediction": "a\\u0000b", "segment": "x\\u0000"}]',
        b'[{"id": "inf", "prediction": 1, "score": [0.5, 1e400]}]',
        b'[{"id": "nan", "prediction": NaN, "features": {"x": Infinity}}]',
        b'[{"id": "deep", "prediction": ' + b"[" * 5000 + b"]" * 5000 + b"}]",
    ):
        r = api.client.post("/api/v1/models/churn/predictions", content=body, headers=headers)
        assert r.status_code in (200, 422), r.text
