"""Arrow IPC and Parquet bodies turned into prediction records, column by column."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from modelsteward.errors import DataReadError, SchemaError
from modelsteward.ids import uuid7_hex
from modelsteward.server._body import BodyFormat
from modelsteward.store import BatchError, PredictionBatch
from modelsteward.store._batch import TIMESTAMP, json_column

__all__ = ["read_table", "table_to_batch"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
META = ("id", "timestamp", "prediction", "score", "latency_ms", "version", "error", "segment")


def read_table(body: bytes, fmt: BodyFormat) -> pa.Table:
    """Decode an Arrow IPC (stream or file), Parquet or CSV body."""
    try:
        if fmt is BodyFormat.PARQUET:
            return pq.read_table(io.BytesIO(body))
        if fmt is BodyFormat.CSV:
            import pyarrow.csv as pacsv

            body.decode("utf-8")  # names and values must be text; UnicodeError is a ValueError

            return pacsv.read_csv(io.BytesIO(body))
        try:
            return ipc.open_stream(pa.BufferReader(body)).read_all()
        except pa.ArrowInvalid:
            return ipc.open_file(pa.BufferReader(body)).read_all()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataReadError(f"The body is not a readable {fmt.value} table: {exc}") from exc


def _parse_text_timestamps(values: list[str | None]) -> pa.Array:
    """Row-by-row ISO 8601 parsing, used only when the vectorised cast fails."""
    out: list[datetime] = []
    errors: list[dict[str, Any]] = []
    for i, v in enumerate(values):
        try:
            if v is None:
                raise ValueError("is missing")
            ts = datetime.fromisoformat(v)
        except ValueError as exc:
            errors.append({"row": i, "field": "timestamp", "error": f"{v!r}: {exc}"})
            continue
        out.append(ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC))
    if errors:
        raise BatchError(
            f"{len(errors)} bad timestamp(s); first at row {errors[0]['row']}: "
            f"{errors[0]['error']}. Use ISO 8601. Nothing was stored.",
            errors,
        )
    return pa.array(out, TIMESTAMP)


def _timestamps(table: pa.Table, n: int) -> pa.Array:
    if "timestamp" not in table.column_names:
        return pa.array(np.full(n, _now_micros(), dtype=np.int64), pa.int64()).cast(TIMESTAMP)
    col = table.column("timestamp")
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            col = col.cast(TIMESTAMP)
        except pa.ArrowInvalid:
            return _parse_text_timestamps(col.to_pylist())
    elif pa.types.is_timestamp(col.type):
        if col.type.tz is None:
            col = pc.assume_timezone(col, "UTC")
        col = col.cast(TIMESTAMP)
    else:
        raise SchemaError(
            f"column 'timestamp' has type {col.type}; expected a timestamp or ISO 8601 text"
        )
    if col.null_count:
        row = pc.index(pc.is_null(col), True).as_py()
        raise BatchError(
            f"column 'timestamp' is empty at row {row}; nothing was stored",
            [{"row": row, "field": "timestamp", "error": "is missing"}],
        )
    return col.combine_chunks()


def _now_micros() -> int:
    return (datetime.now(UTC) - _EPOCH) // timedelta(microseconds=1)


def _array(table: pa.Table, name: str) -> pa.Array | None:
    if name not in table.column_names:
        return None
    return table.column(name).combine_chunks()


def _text(table: pa.Table, name: str, n: int) -> pa.Array:
    col = _array(table, name)
    return pa.nulls(n, pa.string()) if col is None else col.cast(pa.string())


def _check_text(table: pa.Table, name: str, required: bool = False) -> None:
    if name not in table.column_names:
        return
    col = table.column(name)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        if name == "id" and pa.types.is_integer(col.type):
            return
        raise SchemaError(f"column {name!r} has type {col.type}; expected text")
    lengths = pc.utf8_length(col)
    bad = pc.or_kleene(pc.less(lengths, 1), pc.greater(lengths, 200))
    if required:
        bad = pc.or_kleene(bad, pc.is_null(col))
    bad = pc.fill_null(bad, False)
    if pc.any(bad).as_py():
        rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        raise BatchError(
            f"column {name!r} must hold text of 1-200 characters; {rows.size} row(s) do not, "
            f"the first is row {rows[0]}. Nothing was stored.",
            [{"row": int(r), "field": name, "error": "must be 1-200 characters"} for r in rows],
        )


def _check_latency(table: pa.Table) -> None:
    if "latency_ms" not in table.column_names:
        return
    col = table.column("latency_ms")
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
        raise SchemaError(f"column 'latency_ms' has type {col.type}; expected numbers")
    values = col.to_numpy(zero_copy_only=False).astype(np.float64)
    bad = ~np.isnan(values) & ~((values >= 0) & np.isfinite(values))
    if col.null_count == 0:
        bad |= np.isnan(values)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise BatchError(
            f"column 'latency_ms' must hold finite numbers >= 0; {rows.size} row(s) do not, "
            f"the first is row {rows[0]}. Nothing was stored.",
            [{"row": int(r), "field": "latency_ms", "error": "must be >= 0"} for r in rows],
        )


def _latency(table: pa.Table, n: int) -> pa.Array:
    """Latencies as float64; NaN (a missing value in a float column) becomes null."""
    col = _array(table, "latency_ms")
    if col is None:
        return pa.nulls(n, pa.float64())
    values = col.cast(pa.float64())
    nan = pc.fill_null(pc.is_nan(values), False)
    if pc.any(nan).as_py():
        values = pc.if_else(nan, pa.scalar(None, pa.float64()), values)
    return values


def _ids(table: pa.Table, n: int) -> pa.Array:
    col = _array(table, "id")
    if col is None:
        return pa.array([uuid7_hex() for _ in range(n)], pa.string())
    col = col.cast(pa.string())
    if col.null_count:
        values = col.to_pylist()
        col = pa.array([uuid7_hex() if v is None else v for v in values], pa.string())
    return col


def _errors(table: pa.Table, n: int) -> pa.Array:
    """The error flag; any value counts by its truth, a missing one as no error."""
    col = _array(table, "error")
    if col is None:
        return pa.array(np.zeros(n, dtype=bool))
    if pa.types.is_boolean(col.type):
        return pc.fill_null(col, False)
    return pa.array([bool(v) for v in col.to_pylist()], pa.bool_())


def _json(table: pa.Table, name: str, n: int) -> pa.Array:
    col = _array(table, name)
    return pa.nulls(n, pa.string()) if col is None else json_column(col)


def table_to_batch(table: pa.Table) -> PredictionBatch:
    """The rows of ``table`` as a validated :class:`PredictionBatch`, column by column.

    The META columns describe the prediction; every other column is a feature (or a
    struct column ``features`` holds them). Checks run column-wise; a bad value rejects
    the whole body with the rows named.
    """
    n = table.num_rows
    names = table.column_names
    if len(set(names)) != len(names):
        twice = sorted({c for c in names if names.count(c) > 1})
        raise SchemaError(f"column names must be unique; repeated: {', '.join(twice)}")
    _check_text(table, "id")
    _check_text(table, "version")
    _check_text(table, "segment")
    _check_latency(table)
    ids = _ids(table, n)
    timestamps = _timestamps(table, n)
    if "features" in table.column_names:
        col = table.column("features")
        if not pa.types.is_struct(col.type):
            raise SchemaError(f"column 'features' has type {col.type}; expected a struct")
        features: pa.Table | None = pa.Table.from_struct_array(col.combine_chunks())
    else:
        rest = [c for c in table.column_names if c not in META]
        features = table.select(rest) if rest else None
    return PredictionBatch(
        ids=ids,
        timestamps=timestamps,
        prediction=_json(table, "prediction", n),
        score=_json(table, "score", n),
        latency_ms=_latency(table, n),
        version=_text(table, "version", n),
        error=_errors(table, n),
        segment=_text(table, "segment", n),
        features=features,
    )
