"""Checks every ingest path applies (server JSON, Arrow bodies, the in-process SDK)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelsteward.store._domain import LabelRecord, PredictionRecord
from modelsteward.store._errors import BatchError
from modelsteward.timestamps import EARLIEST, LATEST, RANGE_TEXT, storable

__all__ = ["check_batch_timestamps", "check_labels", "check_predictions"]

_MAX_TEXT = 200


def _text_error(value: Any, field: str) -> str | None:
    if value is None:
        return None if field != "id" else "is missing"
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if not value or len(value) > _MAX_TEXT:
        return f"must be 1-{_MAX_TEXT} characters long, got {len(value)}"
    return None


def _row_errors(r: PredictionRecord) -> list[tuple[str, str]]:
    errs: list[tuple[str, str]] = []
    for field in ("id", "version", "segment"):
        msg = _text_error(getattr(r, field), field)
        if msg:
            errs.append((field, msg))
    if not isinstance(r.timestamp, datetime) or r.timestamp.tzinfo is None:
        errs.append(("timestamp", "must be a timezone-aware datetime"))
    elif not storable(r.timestamp):
        errs.append(("timestamp", f"must be from {RANGE_TEXT}"))
    if r.latency_ms is not None and (
        isinstance(r.latency_ms, bool)
        or not isinstance(r.latency_ms, int | float)
        or not math.isfinite(r.latency_ms)
        or r.latency_ms < 0
    ):
        errs.append(("latency_ms", f"must be a finite number >= 0, got {r.latency_ms!r}"))
    if r.features is not None and not isinstance(r.features, dict):
        errs.append(("features", "must be an object mapping feature name to value"))
    return errs


def check_predictions(records: list[PredictionRecord]) -> None:
    """Raise :class:`BatchError` listing every bad row; nothing is stored then."""
    errors = [
        {"row": i, "field": field, "error": msg}
        for i, r in enumerate(records)
        for field, msg in _row_errors(r)
    ]
    if errors:
        first = errors[0]
        raise BatchError(
            f"{len(errors)} invalid value(s) in the batch; first at row {first['row']}, "
            f"field {first['field']!r}: {first['error']}. Nothing was stored.",
            errors,
        )


def check_labels(records: list[LabelRecord]) -> None:
    errors = []
    for i, r in enumerate(records):
        msg = _text_error(r.id, "id")
        if msg:
            errors.append({"row": i, "field": "id", "error": msg})
        if r.timestamp is not None and r.timestamp.tzinfo is None:
            errors.append({"row": i, "field": "timestamp", "error": "must be timezone-aware"})
        elif r.timestamp is not None and not storable(r.timestamp):
            errors.append({"row": i, "field": "timestamp", "error": f"must be from {RANGE_TEXT}"})
    if errors:
        first = errors[0]
        raise BatchError(
            f"{len(errors)} invalid value(s) in the label batch; first at row {first['row']}: "
            f"{first['field']} {first['error']}. Nothing was stored.",
            errors,
        )


def check_batch_timestamps(timestamps: pa.Array) -> None:
    """:class:`BatchError` (rows named) for a prediction time outside the storable range
    (:mod:`modelsteward.timestamps`). Vectorised: one pass over the column.

    >>> import datetime as dt
    >>> check_batch_timestamps(pa.array([dt.datetime(2026, 1, 1)], pa.timestamp("us", "UTC")))
    """
    if len(timestamps) == 0:
        return
    lo = pa.scalar(EARLIEST, timestamps.type)
    hi = pa.scalar(LATEST, timestamps.type)
    outside = pc.or_(pc.less(timestamps, lo), pc.greater_equal(timestamps, hi))
    if not pc.any(outside).as_py():
        return
    rows = np.flatnonzero(outside.to_numpy(zero_copy_only=False))
    errors = [
        {"row": int(r), "field": "timestamp", "error": f"must be from {RANGE_TEXT}"} for r in rows
    ]
    raise BatchError(
        f"{len(errors)} timestamp(s) outside {RANGE_TEXT}; first at row "
        f"{errors[0]['row']}. Nothing was stored.",
        errors,
    )
