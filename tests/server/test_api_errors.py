"""What schemathesis found, pinned: each answer is a clear 4xx on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.server.conftest import Api

RULE = {"name": "r", "metric": "error_rate", "op": ">", "threshold": 0.1}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "says"),
    [
        ("GET", "/api/v1/models/a%00b", {}, 422, "path parameter 'name' contains a NUL"),
        ("GET", "/api/v1/models/%00/drift", {}, 422, "NUL"),
        ("DELETE", "/api/v1/keys/%00", {}, 422, "NUL"),
        ("GET", "/api/v1/alerts", {"params": {"model": "\x00"}}, 422, "query parameter 'model'"),
        ("POST", "/api/v1/models", {"json": {"name": "a\x00", "task": "binary"}}, 422, "name"),
        ("POST", "/api/v1/keys", {"json": {"name": "\x00", "scope": "read"}}, 422, "name"),
        ("POST", "/api/v1/alerts/9223372036854775808/ack", {}, 422, "alert_id"),
        ("POST", "/api/v1/alerts/0/resolve", {}, 422, "alert_id"),
        ("POST", "/api/v1/alert-rules", {"json": {**RULE, "window": "1000000000d"}}, 422, "window"),
        ("POST", "/api/v1/alert-rules", {"json": {**RULE, "for_windows": 2**40}}, 422, "for_"),
        ("POST", "/api/v1/alert-rules", {"json": {**RULE, "cooldown_seconds": False}}, 422, "cool"),
        ("POST", "/api/v1/alert-rules", {"json": {**RULE, "threshold": "0.1"}}, 422, "threshold"),
        ("GET", "/api/v1/models/m/evaluations", {"params": {"start": "0.5"}}, 422, "ISO 8601"),
        ("GET", "/api/v1/models/m/drift", {"params": {"end": "1700000000"}}, 422, "ISO 8601"),
        ("GET", "/api/v1/models/m/performance", {"params": {"start": "nan"}}, 422, "ISO 8601"),
        ("GET", "/api/v1/models/m/drift", {"params": {"end": "0001-01-01T00:00:00Z"}}, 422, "1970"),
        ("GET", "/api/v1/models/m/performance", {"params": {"end": "0001-01-01"}}, 422, "1970"),
    ],
)  # fmt: skip
def test_bad_requests_get_a_clear_4xx(
    api: Api, method: str, path: str, kwargs: dict[str, object], status: int, says: str
) -> None:
    api.store.models.create("m", "binary")
    r = api.client.request(method, path, headers=api.admin, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    assert says in r.text
    assert set(r.json()) >= {"detail", "type"}


def test_undecodable_json_body_is_422(api: Api) -> None:
    headers = {**api.admin, "Content-Type": "application/json"}
    r = api.client.post("/api/v1/keys", content=b"\xff\xfe{", headers=headers)
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"], r.text


def test_405_names_every_method_of_the_path(api: Api) -> None:
    r = api.client.request("PATCH", "/api/v1/models", headers=api.admin)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}


def test_every_error_status_is_documented_with_the_error_body(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for op in ops.values():
            assert {"401", "403", "422"} <= set(op["responses"]), path
            for code, answer in op["responses"].items():
                if code.startswith("4"):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (path, code)


@pytest.mark.parametrize("ts", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_timestamp_past_year_9999_or_before_1970_is_refused_not_stored(api: Api, ts: str) -> None:
    """Stored, year 10000 (or 0) in UTC made every later read of the model a 500."""
    api.store.models.create("m", "binary")
    rows = [{"id": "ok", "prediction": 1}, {"id": "bad", "timestamp": ts, "features": {"x": 1}}]
    r = api.client.post("/api/v1/models/m/predictions", json=rows, headers=api.ingest)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"row": 1, "field": "timestamp", "error": "must be from 1970-01-01 to 9998-12-31 UTC"}
    ]
    label = [{"id": "ok", "label": 1, "timestamp": ts}]
    r = api.client.post("/api/v1/models/m/labels", json=label, headers=api.ingest)
    assert r.status_code == 422 and "1970" in r.text, r.text
    got = api.client.get("/api/v1/models/m", headers=api.read)
    assert got.status_code == 200 and got.json()["predictions"] == 0


def test_an_arrow_body_with_a_year_1_timestamp_is_refused(api: Api) -> None:
    import io
    from datetime import UTC, datetime

    import pyarrow as pa

    api.store.models.create("m", "binary")
    stamps = [datetime(2026, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)]
    table = pa.table(
        {"id": ["a", "b"], "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
         "prediction": [1, 0]}
    )  # fmt: skip
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    headers = {**api.ingest, "Content-Type": "application/vnd.apache.arrow.stream"}
    r = api.client.post("/api/v1/models/m/predictions", content=sink.getvalue(), headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 1, r.text
