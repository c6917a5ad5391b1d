"""The columnar ingest paths of the server: JSON rows validated as dicts, Arrow tables."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from pydantic import TypeAdapter, ValidationError

from modelsteward.server._ingest import PREDICTION_FIELDS, json_batch
from modelsteward.server._ingest import PredictionIn as PredictionRow
from modelsteward.server._schemas import PredictionIn
from modelsteward.server._tables import table_to_batch
from modelsteward.store import BatchError
from tests.server.conftest import Api

ROWS: list[dict[str, Any]] = [
    {"id": "a"},
    {"id": None, "timestamp": None, "features": None, "score": None},
    {"timestamp": 1767225600.25},
    {"timestamp": "2026-01-01T02:00:00+02:00", "prediction": {"k": [1, None]}},
    {"timestamp": "2026-01-01 00:00:00"},
    {"timestamp": "yesterday"},
    {"latency_ms": "3.5"},
    {"latency_ms": -1},
    {"latency_ms": float("inf")},
    {"score": [0.1, "0.9"]},
    {"score": {"a": "x"}},
    {"error": "yes"},
    {"error": None},
    {"version": ""},
    {"segment": "s" * 201},
    {"id": 5},
    {"features": {"x": 1, "y": [1, {"z": None}]}},
    {"features": []},
    {"other": 1},
]


@pytest.mark.parametrize("row", ROWS, ids=[json.dumps(r)[:40] for r in ROWS])
def test_json_rows_are_validated_like_the_documented_model(row: dict[str, Any]) -> None:
    """The dict validator accepts, rejects and converts what ``_schemas.PredictionIn``
    (the body documented in OpenAPI) does."""
    body = json.dumps([row]).encode()
    try:
        model = TypeAdapter(list[PredictionIn]).validate_json(body)[0]
    except ValidationError as exc:
        with pytest.raises(ValidationError) as ours:
            TypeAdapter(list[PredictionRow]).validate_json(body)
        assert {e["loc"] for e in ours.value.errors()} == {e["loc"] for e in exc.errors()}
        return
    got = TypeAdapter(list[PredictionRow]).validate_json(body)[0]
    for field in PREDICTION_FIELDS:
        assert got.get(field, PredictionIn.model_fields[field].default) == getattr(model, field)


def _is_uuid7(value: str | None) -> bool:
    return value is not None and len(value) == 32 and uuid.UUID(hex=value).version == 7


def test_ids_made_for_rows_without_one_are_time_ordered_uuid7() -> None:
    """Generated ids increase in row order (they land at the end of the unique index);
    the ids a client sends are kept as sent."""
    given = [None, None, None, "z", *([None] * 496)]
    json_ids = json_batch(json.dumps([{"id": v} for v in given]).encode()).ids.to_pylist()
    arrow_ids = table_to_batch(pa.table({"id": pa.array(given, pa.string())})).ids.to_pylist()
    no_column = table_to_batch(pa.table({"x": list(range(500))})).ids.to_pylist()
    for made in (json_ids, arrow_ids):
        assert made[3] == "z"
        del made[3]
    for made in (json_ids, arrow_ids, no_column):
        assert all(_is_uuid7(v) for v in made)
        assert made == sorted(made) and len(set(made)) == len(made)
    assert json_ids[-1] < arrow_ids[0] and arrow_ids[-1] < no_column[0]  # across batches too


def test_the_two_validators_have_the_same_fields() -> None:
    assert set(PredictionIn.model_fields) == PREDICTION_FIELDS


def test_json_batch_columns() -> None:
    body = json.dumps(
        {
            "predictions": [
                {"id": "a", "timestamp": "2026-01-01T01:00:00+01:00", "prediction": "cat"},
                {"features": {"x": 1.0}, "latency_ms": 2, "error": True, "score": [0.5]},
            ]
        }
    ).encode()
    before = datetime.now(UTC)
    batch = json_batch(body)
    assert batch.ids.to_pylist()[0] == "a" and _is_uuid7(batch.ids.to_pylist()[1])
    ts = batch.timestamps.to_pylist()
    assert ts[0] == datetime(2026, 1, 1, tzinfo=UTC)
    assert before <= ts[1] <= datetime.now(UTC) + timedelta(seconds=1)
    assert batch.prediction.to_pylist() == ['"cat"', None]
    assert batch.score.to_pylist() == [None, "[0.5]"]
    assert batch.latency_ms.to_pylist() == [None, 2.0]
    assert batch.error.to_pylist() == [False, True]
    assert batch.features is not None and batch.features.to_pydict() == {"x": [1.0]}
    assert batch.feature_rows is not None and batch.feature_rows.tolist() == [1]


def test_json_errors_name_the_row_and_field_in_both_forms() -> None:
    for body in ([{"id": "a"}, {"latency_ms": -1}], {"predictions": [{}, {"latency_ms": -1}]}):
        with pytest.raises(BatchError) as exc:
            json_batch(json.dumps(body).encode())
        assert [(e["row"], e["field"]) for e in exc.value.errors] == [(1, "latency_ms")]


def test_arrow_columns_convert_like_row_by_row() -> None:
    table = pa.table(
        {
            "id": pa.array([1, 2, None]),
            "latency_ms": pa.array([1.0, float("nan"), None]),
            "error": pa.array(["yes", "", None]),
            "prediction": pa.array([0.5, float("nan"), None]),
            "score": pa.array([[0.1, 0.9], None, [1.0]]),
            "x": [1, 2, 3],
        }
    )
    batch = table_to_batch(table)
    ids = batch.ids.to_pylist()
    assert ids[:2] == ["1", "2"] and _is_uuid7(ids[2])
    assert batch.latency_ms.to_pylist() == [1.0, None, None]
    assert batch.error.to_pylist() == [True, False, False]
    assert batch.prediction.to_pylist() == ["0.5", "null", None]
    assert batch.score.to_pylist() == ["[0.1, 0.9]", None, "[1.0]"]
    assert batch.features is not None and batch.features.column_names == ["x"]


def _arrow(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def test_bulk_duplicates_are_counted_once_in_metrics_and_profiles(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    headers = {**api.ingest, "Content-Type": "application/vnd.apache.arrow.stream"}
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "id": [f"p{i}" for i in range(6)],
            "timestamp": pa.array([t0] * 6, pa.timestamp("us", tz="UTC")),
            "version": ["v1", "v2"] * 3,
            "latency_ms": np.arange(6, dtype=float),
            "x": np.arange(6, dtype=float),
        }
    )
    assert api.client.post(
        "/api/v1/models/m/predictions", content=_arrow(table.slice(0, 4)), headers=headers
    ).json() == {"accepted": 4, "duplicates": []}
    r = api.client.post("/api/v1/models/m/predictions", content=_arrow(table), headers=headers)
    assert r.json() == {"accepted": 2, "duplicates": ["p0", "p1", "p2", "p3"]}
    profile, rows = api.store.merged_profile("m", t0, t0 + timedelta(hours=1))
    assert rows == 6 and profile is not None and '"count": 6' in profile
    text = api.client.get("/metrics").text
    assert 'steward_predictions_total{model="m",version="v1"} 3.0' in text
    assert 'steward_predictions_total{model="m",version="v2"} 3.0' in text
    assert 'steward_duplicate_predictions_total{model="m"} 4.0' in text


def test_features_arrow_cannot_hold_are_profiled_as_text(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    body = b'[{"id": "a", "features": {"x": 1180591620717411303424, "y": 1.5}}, {"id": "b"}]'
    headers = {**api.ingest, "Content-Type": "application/json"}
    r = api.client.post("/api/v1/models/m/predictions", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": []}
