from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.server.conftest import Api

PARQUET = "application/vnd.apache.parquet"


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _rows(rng: np.random.Generator, n: int, shift: float, start: int) -> list[dict[str, object]]:
    xs = rng.normal(shift, 1.0, n)
    plans = rng.choice(["basic", "pro"], n)
    return [
        {
            "id": f"p{start + i}",
            "timestamp": f"2026-01-01T{(i * 24) // n:02d}:30:00Z",
            "prediction": 1,
            "features": {"x": float(xs[i]), "plan": str(plans[i])},
        }
        for i in range(n)
    ]


def test_reference_then_drift_over_bucket_profiles(api: Api) -> None:
    rng = np.random.default_rng(0)
    c = api.client
    c.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    ref = pa.table({"x": rng.normal(0, 1, 3000), "plan": rng.choice(["basic", "pro"], 3000)})
    r = c.put(
        "/api/v1/models/m/reference",
        content=_parquet(ref),
        headers={**api.admin, "Content-Type": PARQUET},
    )
    assert r.status_code == 200, r.text
    assert r.json()["reference_rows"] == 3000
    for k in range(3):  # three batches spread over a day's hourly buckets
        batch = _rows(rng, 1000, 1.0, k * 1000)
        r = c.post("/api/v1/models/m/predictions", json=batch, headers=api.ingest)
        assert r.status_code == 200, r.text
    # a resent batch is not counted twice in the profiles either
    c.post("/api/v1/models/m/predictions", json=_rows(rng, 1000, 1.0, 0), headers=api.ingest)
    day = datetime(2026, 1, 1, tzinfo=UTC)
    buckets = api.store.profiles.buckets(api.store.models.id_of("m"), day, day + timedelta(days=1))
    assert sum(b.rows for b in buckets) == 3000 and len(buckets) == 24
    assert json.loads(buckets[0].profile)["rows"] == buckets[0].rows

    r = c.get(
        "/api/v1/models/m/drift?start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z",
        headers=api.read,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reference_rows"] == 3000 and body["current_rows"] == 3000
    cols = {col["name"]: col for col in body["columns"]}
    assert cols["x"]["drifted"] is True
    assert set(body) >= {"dataset_drift", "drift_share", "drift_share_threshold", "columns"}


def test_drift_errors_are_4xx(api: Api) -> None:
    c = api.client
    c.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    r = c.get("/api/v1/models/m/drift", headers=api.read)
    assert r.status_code == 404 and "no reference" in r.json()["detail"]
    r = c.put(
        "/api/v1/models/m/reference",
        content=b'{"not": "a profile"}',
        headers={**api.admin, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    c.put(
        "/api/v1/models/m/reference",
        content=_parquet(pa.table({"x": [1.0, 2.0, 3.0]})),
        headers={**api.admin, "Content-Type": PARQUET},
    )
    r = c.get("/api/v1/models/m/drift", headers=api.read)
    assert r.status_code == 404 and "No predictions with features" in r.json()["detail"]
    r = c.get("/api/v1/models/m/drift?start=2026-01-02T00:00:00&end=2026-01-01", headers=api.read)
    assert r.status_code == 422
    r = c.get("/api/v1/models/m/drift?start=nonsense", headers=api.read)
    assert r.status_code == 422
    assert c.get("/api/v1/models/ghost/drift", headers=api.read).status_code == 404


def test_a_feature_of_the_wrong_kind_never_costs_the_predictions(api: Api) -> None:
    c = api.client
    c.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    ref = pa.table({"x": [1.0, 2.0, 3.0] * 100, "plan": ["a", "b", "c"] * 100})
    c.put(
        "/api/v1/models/m/reference",
        content=_parquet(ref),
        headers={**api.admin, "Content-Type": PARQUET},
    )
    rows = [
        {
            "id": f"r{i}",
            "timestamp": "2026-01-01T00:10:00Z",
            "features": {"x": "abc" if i == 3 else float(i), "plan": "a"},
        }
        for i in range(50)
    ]
    r = c.post("/api/v1/models/m/predictions", json=rows, headers=api.ingest)
    assert r.status_code == 200 and r.json()["accepted"] == 50, r.text
    day = datetime(2026, 1, 1, tzinfo=UTC)
    [bucket] = api.store.profiles.buckets(
        api.store.models.id_of("m"), day, day + timedelta(hours=1)
    )
    assert bucket.rows == 50 and "plan" in bucket.profile
