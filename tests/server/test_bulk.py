from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from tests.server.conftest import Api

ARROW = "application/vnd.apache.arrow.stream"


def _arrow(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _table(n: int, start: int = 0) -> pa.Table:
    return pa.table(
        {
            "id": [f"p{i}" for i in range(start, start + n)],
            "timestamp": pa.array(
                [1_767_225_600_000_000 + i for i in range(n)], pa.timestamp("us")
            ),
            "prediction": [i % 2 for i in range(n)],
            "score": [0.5] * n,
            "latency_ms": [float(i % 50) for i in range(n)],
            "version": ["v3"] * n,
            "age": [float(i) for i in range(n)],
            "plan": ["basic", "pro"] * (n // 2),
        }
    )


def _setup(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)


def test_arrow_stream_body(api: Api) -> None:
    _setup(api)
    headers = {**api.ingest, "Content-Type": ARROW}
    r = api.client.post(
        "/api/v1/models/m/predictions", content=_arrow(_table(1000)), headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1000
    r = api.client.post(
        "/api/v1/models/m/predictions", content=_arrow(_table(10, start=995)), headers=headers
    )
    assert r.json()["accepted"] == 5 and len(r.json()["duplicates"]) == 5
    assert api.store.models.stats("m").predictions == 1005


def test_parquet_body(api: Api) -> None:
    _setup(api)
    headers = {**api.ingest, "Content-Type": "application/vnd.apache.parquet"}
    r = api.client.post(
        "/api/v1/models/m/predictions", content=_parquet(_table(200)), headers=headers
    )
    assert r.status_code == 200 and r.json()["accepted"] == 200


def test_arrow_with_text_timestamps_and_bad_ones(api: Api) -> None:
    _setup(api)
    headers = {**api.ingest, "Content-Type": ARROW}
    good = pa.table(
        {"id": ["a", "b"], "timestamp": ["2026-01-01T00:00:00Z", "2026-01-01 01:00:00"]}
    )
    r = api.client.post("/api/v1/models/m/predictions", content=_arrow(good), headers=headers)
    assert r.status_code == 200, r.text
    bad = pa.table({"id": ["c"], "timestamp": ["not a time"]})
    r = api.client.post("/api/v1/models/m/predictions", content=_arrow(bad), headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timestamp"
    wrong = pa.table({"id": ["d"], "timestamp": [3.5]})
    r = api.client.post("/api/v1/models/m/predictions", content=_arrow(wrong), headers=headers)
    assert r.status_code == 422
    neg = pa.table({"id": ["e"], "latency_ms": [-1.0]})
    r = api.client.post("/api/v1/models/m/predictions", content=_arrow(neg), headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "latency_ms"
    assert api.store.models.stats("m").predictions == 2


def test_odd_arrow_tables_are_never_500(api: Api) -> None:
    import decimal

    _setup(api)
    headers = {**api.ingest, "Content-Type": ARROW}
    odd = [
        pa.table({"id": [1.5, 2.5]}),
        pa.table({"id": ["a", None], "timestamp": [1, 2]}),
        pa.table({"x": pa.array([[1, 2], [3]])}),
        pa.table({"s": pa.array([{"a": 1}, {"a": 2}])}),
        pa.table({"n": pa.array([None, None], pa.null())}),
        pa.table({"d": pa.array([decimal.Decimal("1.5"), None])}),
        pa.table({"b": pa.array([b"\x00\xff", b""])}),
        pa.table({"c": pa.array(["x", "y"]).dictionary_encode()}),
        pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"]),
        pa.table({"features": pa.array([1, 2])}),
        pa.table({"prediction": pa.array([float("nan"), float("inf")]), "score": [1.0, None]}),
        pa.table({"error": ["yes", "no"]}),
        pa.table({"version": [1, 2]}),
        pa.table({"timestamp": pa.array([1, 2], pa.timestamp("s", tz="Europe/Paris"))}),
        pa.table({}),
    ]
    for i, table in enumerate(odd):
        r = api.client.post("/api/v1/models/m/predictions", content=_arrow(table), headers=headers)
        assert r.status_code in (200, 422), (i, r.text)
