"""``/api/v1/models``: create, list, show; ingest predictions and labels; references."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter

from modelsteward.errors import InputError
from modelsteward.server._auth import require_scope
from modelsteward.server._body import BodyFormat, body_format, read_body
from modelsteward.server._errors import error_responses
from modelsteward.server._ingest import json_batch
from modelsteward.server._ingest import parse_json as _parse
from modelsteward.server._schemas import (
    IngestOut,
    LabelIn,
    LabelsIn,
    ModelCreateIn,
    ModelInfoOut,
    ModelOut,
)
from modelsteward.server._tables import read_table, table_to_batch
from modelsteward.store import LabelRecord, Store

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["models"], responses=error_responses(401, 403, 422))

_LABELS = TypeAdapter(list[LabelIn] | LabelsIn)

_STORED = {"model": IngestOut, "description": "Rows stored, and ids already stored"}
_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": {"$ref": "#/components/schemas/PredictionIn"}},
                        {"$ref": "#/components/schemas/PredictionsIn"},
                    ]
                }
            },
            "application/vnd.apache.arrow.stream": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _utc(ts: datetime | None, now: datetime) -> datetime:
    if ts is None:
        return now
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@router.post(
    "/models",
    status_code=201,
    dependencies=[Depends(require_scope("admin"))],
    summary="Register a model to monitor",
    response_model=None,
    responses={201: {"model": ModelOut, "description": "The new model"}, **error_responses(409)},
)
def create_model(body: ModelCreateIn, request: Request) -> dict[str, Any]:
    model = _store(request).models.create(
        body.name, body.task, owner=body.owner, schema=body.schema_
    )
    return model.to_dict()


@router.get(
    "/models",
    dependencies=[Depends(require_scope("read"))],
    summary="List models",
    response_model=None,
    responses={200: {"model": list[ModelOut], "description": "Every model"}},
)
def list_models(request: Request) -> list[dict[str, Any]]:
    return [m.to_dict() for m in _store(request).models.list()]


@router.get(
    "/models/{name}",
    dependencies=[Depends(require_scope("read"))],
    summary="A model with how many predictions and labels are stored",
    response_model=None,
    responses={200: {"model": ModelInfoOut, "description": "The model"}, **error_responses(404)},
)
def get_model(name: str, request: Request) -> dict[str, Any]:
    store = _store(request)
    model = store.models.get(name)
    stats = store.models.stats(name)
    return {
        **model.to_dict(),
        "predictions": stats.predictions,
        "labels": stats.labels,
        "errors": stats.errors,
        "first_prediction": stats.first_prediction.isoformat() if stats.first_prediction else None,
        "last_prediction": stats.last_prediction.isoformat() if stats.last_prediction else None,
    }


@router.post(
    "/models/{name}/predictions",
    dependencies=[Depends(require_scope("ingest"))],
    summary="Ingest a batch of predictions (JSON, Arrow IPC or Parquet), all or nothing",
    openapi_extra=_INGEST_BODY,
    response_model=None,
    responses={200: _STORED, **error_responses(404, 413, 415)},
)
async def ingest_predictions(name: str, request: Request) -> dict[str, Any]:
    fmt = body_format(request, (BodyFormat.JSON, BodyFormat.ARROW, BodyFormat.PARQUET))
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    store = _store(request)
    metrics = request.app.state.metrics

    def work() -> dict[str, Any]:
        store.models.id_of(name)  # 404 before parsing a large body
        if fmt is BodyFormat.JSON:
            batch = json_batch(body)
        else:
            batch = table_to_batch(read_table(body, fmt))
        limit = request.app.state.settings.max_batch_rows
        if len(batch) > limit:
            raise InputError(f"The batch has {len(batch)} rows; the limit is {limit}.")
        result, stored = store.ingest_batch(name, batch)
        metrics.observe_batch(name, batch, stored)
        return result.to_dict()

    return await run_in_threadpool(work)


@router.post(
    "/models/{name}/labels",
    dependencies=[Depends(require_scope("ingest"))],
    summary="Ingest labels for earlier (or later) predictions, by prediction id",
    response_model=None,
    responses={200: _STORED, **error_responses(404, 413, 415)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "array", "items": {"$ref": "#/components/schemas/LabelIn"}},
                            {"$ref": "#/components/schemas/LabelsIn"},
                        ]
                    }
                }
            },
        }
    },
)
async def ingest_labels(name: str, request: Request) -> dict[str, Any]:
    body_format(request, (BodyFormat.JSON,))
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    store = _store(request)

    def work() -> dict[str, Any]:
        store.models.id_of(name)
        items: list[LabelIn] = _parse(_LABELS, body, "labels")
        records = [
            LabelRecord(
                id=i.id,
                label=i.label,
                timestamp=None if i.timestamp is None else _utc(i.timestamp, i.timestamp),
            )
            for i in items
        ]
        result = store.ingest_labels(name, records)
        request.app.state.metrics.observe_labels(name, result.accepted)
        return result.to_dict()

    return await run_in_threadpool(work)


@router.put(
    "/models/{name}/reference",
    dependencies=[Depends(require_scope("admin"))],
    summary="Set the reference data (Parquet, CSV, Arrow IPC) or profile (JSON)",
    responses=error_responses(404, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in (
                    "application/vnd.apache.parquet",
                    "text/csv",
                    "application/vnd.apache.arrow.stream",
                    "application/json",
                )
            },
        }
    },
)
async def set_reference(name: str, request: Request) -> dict[str, Any]:
    from modelsteward.server._drift import reference_from_body

    fmt = body_format(
        request, (BodyFormat.JSON, BodyFormat.ARROW, BodyFormat.PARQUET, BodyFormat.CSV)
    )
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    store = _store(request)

    def work() -> dict[str, Any]:
        store.models.id_of(name)
        profile, rows = reference_from_body(body, fmt)
        store.set_reference(name, profile)
        return {"model": name, "reference_rows": rows}

    return await run_in_threadpool(work)
