"""Prediction bodies (JSON batches, Arrow IPC and Parquet tables) turned into columns.

The JSON body is validated by pydantic into plain dicts (the same field rules as
:class:`~modelsteward.server._schemas.PredictionIn`, which documents the body in the
OpenAPI schema, without building a model object per row) and then read column by
column; a bulk table is checked and converted column-wise by :mod:`._tables`. Either way
the store receives one :class:`~modelsteward.store.PredictionBatch`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
from pydantic import ConfigDict, Field, JsonValue, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from modelsteward.errors import InputError
from modelsteward.ids import uuid7_hex
from modelsteward.server._errors import validation_errors
from modelsteward.store import BatchError, PredictionBatch
from modelsteward.store._batch import TIMESTAMP, features_table, json_texts

__all__ = ["PREDICTION_FIELDS", "dedup_errors", "json_batch", "parse_json"]

_Text = Annotated[str | None, Field(min_length=1, max_length=200)]


# Named like the BaseModels of _schemas so that pydantic's error locations (and the
# prefixes dedup_errors strips from them) are the same.
@with_config(ConfigDict(extra="forbid"))
class PredictionIn(TypedDict, total=False):
    """One prediction as validated on ingest; the same rules as ``_schemas.PredictionIn``."""

    id: _Text
    timestamp: datetime | None
    features: dict[str, JsonValue] | None
    prediction: JsonValue
    score: float | list[float] | dict[str, float] | None
    latency_ms: Annotated[float | None, Field(ge=0, allow_inf_nan=False)]
    version: _Text
    error: bool
    segment: _Text


@with_config(ConfigDict(extra="forbid"))
class PredictionsIn(TypedDict):
    predictions: list[PredictionIn]


#: The fields a JSON prediction may have (kept equal to ``_schemas.PredictionIn``'s).
PREDICTION_FIELDS = frozenset(PredictionIn.__annotations__)

_PREDICTIONS: TypeAdapter[list[PredictionIn] | PredictionsIn] = TypeAdapter(
    list[PredictionIn] | PredictionsIn
)
# The two forms apart, by the body's first character: validating against the union
# costs twice as much (pydantic tries each member strictly before it tries them laxly).
_PREDICTION_LIST: TypeAdapter[list[PredictionIn]] = TypeAdapter(list[PredictionIn])
_PREDICTION_OBJECT: TypeAdapter[PredictionsIn] = TypeAdapter(PredictionsIn)


def _prediction_adapter(body: bytes) -> TypeAdapter[Any]:
    head = body[:64].lstrip()
    if head.startswith(b"["):
        return _PREDICTION_LIST
    if head.startswith(b"{"):
        return _PREDICTION_OBJECT
    return _PREDICTIONS


def parse_json(adapter: TypeAdapter[Any], body: bytes, what: str) -> list[Any]:
    """Validate a JSON batch (a list, or ``{what: [...]}``); every bad value is listed in a
    :class:`BatchError` (422), a body that is not JSON is an :class:`InputError`."""
    try:
        parsed = adapter.validate_json(body)
    except ValidationError as exc:
        raw = exc.errors(include_url=False)
        if raw and raw[0]["type"] == "json_invalid":
            raise InputError(f"The body is not valid JSON: {raw[0]['msg']}.") from None
        errors = dedup_errors(validation_errors(list(raw)))
        first = errors[0]
        raise BatchError(
            f"{len(errors)} invalid value(s) in the {what} batch; first at row {first['row']}, "
            f"field {first['field']!r}: {first['error']}. Nothing was stored.",
            errors,
        ) from None
    if isinstance(parsed, list):
        return parsed
    if isinstance(parsed, dict):
        return list(parsed[what])
    return list(getattr(parsed, what))


_UNION_PREFIXES = ("list[PredictionIn].", "PredictionsIn.", "list[LabelIn].", "LabelsIn.")
_UNION_NAMES = ("list[PredictionIn]", "PredictionsIn", "list[LabelIn]", "LabelsIn")


def dedup_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A union reports each alternative; strip the branch names and drop repeats."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for e in errors:
        field = e["field"] or ""
        for prefix in _UNION_PREFIXES:
            field = field.removeprefix(prefix)
        if field in _UNION_NAMES:
            field = ""
        e = {**e, "field": field or None}
        key = (e["row"], e["field"], e["error"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def json_batch(body: bytes) -> PredictionBatch:
    """A JSON prediction batch as columns (time-ordered ids made for rows without one, the time of
    arrival for rows without a timestamp, naive timestamps taken as UTC)."""
    rows: list[dict[str, Any]] = parse_json(_prediction_adapter(body), body, "predictions")
    n = len(rows)
    ids = [r.get("id") for r in rows]
    if None in ids:
        ids = [uuid7_hex() if v is None else v for v in ids]
    stamps = [r.get("timestamp") for r in rows]
    if None in stamps:
        now = datetime.now(UTC)
        stamps = [now if v is None else v for v in stamps]
    keep = [i for i, r in enumerate(rows) if r.get("features")]
    features = None
    feature_rows = None
    if keep:
        features = features_table([rows[i]["features"] for i in keep])
        if len(keep) < n:
            feature_rows = np.asarray(keep, dtype=np.int64)
    return PredictionBatch(
        ids=pa.array(ids, pa.string()),
        timestamps=pa.array(stamps, TIMESTAMP),
        prediction=json_texts([r.get("prediction") for r in rows]),
        score=json_texts([r.get("score") for r in rows]),
        latency_ms=pa.array([r.get("latency_ms") for r in rows], pa.float64()),
        version=pa.array([r.get("version") for r in rows], pa.string()),
        error=pa.array([r.get("error", False) for r in rows], pa.bool_()),
        segment=pa.array([r.get("segment") for r in rows], pa.string()),
        features=features,
        feature_rows=feature_rows,
    )
