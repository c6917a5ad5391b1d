"""Prediction events (idempotent by id per model) and labels (late, out of order)."""

from __future__ import annotations

import functools
import json
import math
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import InputError
from modelsteward.store._domain import IngestResult, LabelRecord, PredictionRecord
from modelsteward.store._engine import read_tx
from modelsteward.store._orm import LabelRow, PredictionRow
from modelsteward.store._repos._common import chunks, upsert_insert, utcnow

_P = cast(sa.Table, PredictionRow.__table__)
_L = cast(sa.Table, LabelRow.__table__)
_CHUNK = 1000
_COLUMNS = (
    "model_id",
    "prediction_id",
    "timestamp",
    "version",
    "prediction",
    "score",
    "latency_ms",
    "error",
    "segment",
)


_encode_str = json.encoder.encode_basestring  # the C encoder json.dumps uses for text


def _dumps(value: Any) -> str:
    """JSON text of ``value``; scalars take a short cut around :func:`json.dumps`."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else "null"
    if kind is str:
        return _encode_str(value)
    if kind is bool:
        return "true" if value else "false"
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:  # NaN or infinity inside: stored as null, as JSON has no such numbers
        return json.dumps(_finite(value), allow_nan=False)
    except TypeError as exc:
        raise InputError(f"a value cannot be stored as JSON: {exc}") from exc


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _aware(ts: datetime) -> datetime:
    return ts.astimezone(UTC)


def _sqlite_ts(ts: datetime) -> str:
    """The text SQLAlchemy's DateTime stores on SQLite, so both read it back alike."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


_PG_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS steward_incoming (
    model_id bigint, prediction_id text, "timestamp" timestamptz, version text,
    prediction json, score json, latency_ms double precision, error boolean, segment text
) ON COMMIT DELETE ROWS
"""


def _copy_insert(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
    """PostgreSQL: COPY the batch into a session temp table, then one INSERT ... SELECT."""
    import psycopg

    try:
        return _copy_insert_raw(conn, rows)
    except psycopg.DataError as exc:
        raise InputError(
            f"A value in the batch cannot be stored: {str(exc).splitlines()[0]}. "
            "Nothing was stored."
        ) from exc


def _copy_insert_raw(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(_PG_STAGE)
        cur.execute("TRUNCATE steward_incoming")
        with cur.copy(f"COPY steward_incoming ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO predictions ({cols}) SELECT {cols} FROM steward_incoming "
            "ON CONFLICT (model_id, prediction_id) DO NOTHING RETURNING prediction_id"
        )
        return {r[0] for r in cur.fetchall()}


@functools.lru_cache(maxsize=64)
def _insert_sql(dialect: str, paramstyle: str, n: int) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    return (
        f"INSERT INTO predictions ({cols}) VALUES {', '.join([one] * n)} "
        "ON CONFLICT (model_id, prediction_id) DO NOTHING RETURNING prediction_id"
    )


class EventRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def insert_predictions(
        conn: Connection, model_id: int, records: list[PredictionRecord]
    ) -> tuple[IngestResult, list[bool]]:
        """Insert ``records``; ids stored before (or repeated in the batch) are duplicates.

        Returns the result and, per record, whether that row was stored. The hot path:
        parameters are prepared here and sent as multi-row ``INSERT ... ON CONFLICT DO
        NOTHING RETURNING`` statements straight to the driver.
        """
        sqlite = conn.dialect.name == "sqlite"
        ts_of = _sqlite_ts if sqlite else _aware
        rows = [
            (
                model_id,
                r.id,
                ts_of(r.timestamp),
                r.version,
                None if r.prediction is None else _dumps(r.prediction),
                None if r.score is None else _dumps(r.score),
                r.latency_ms,
                bool(r.error),
                r.segment,
            )
            for r in records
        ]
        inserted: set[str] = set()
        if conn.dialect.name == "postgresql":
            inserted = _copy_insert(conn, rows)
        else:
            for part in chunks(rows, _CHUNK):
                sql = _insert_sql(conn.dialect.name, conn.dialect.paramstyle, len(part))
                flat = [v for row in part for v in row]
                inserted.update(x for (x,) in conn.exec_driver_sql(sql, tuple(flat)))
        duplicates: list[str] = []
        stored: list[bool] = []
        seen: set[str] = set()
        for r in records:
            new = r.id in inserted and r.id not in seen
            stored.append(new)
            if not new:
                duplicates.append(r.id)
            seen.add(r.id)
        return IngestResult(len(records) - len(duplicates), duplicates), stored

    @staticmethod
    def upsert_labels(conn: Connection, model_id: int, records: list[LabelRecord]) -> IngestResult:
        """Store labels; a label sent again for the same id replaces the earlier one."""
        now = utcnow()
        latest: dict[str, LabelRecord] = {r.id: r for r in records}  # last one in a batch wins
        for part in chunks(list(latest.values()), _CHUNK):
            stmt = upsert_insert(conn, _L)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id", "prediction_id"],
                set_={"label": stmt.excluded.label, "timestamp": stmt.excluded.timestamp},
            )
            conn.execute(
                stmt,
                [
                    {
                        "model_id": model_id,
                        "prediction_id": r.id,
                        "label": r.label,
                        "timestamp": r.timestamp or now,
                    }
                    for r in part
                ],
            )
        return IngestResult(accepted=len(records))

    def window(
        self, model_id: int, start: datetime, end: datetime, *, version: str | None = None
    ) -> dict[str, list[Any]]:
        """Predictions in ``[start, end)`` with their labels (``None`` when not labelled yet)."""
        stmt = (
            sa.select(
                _P.c.prediction_id,
                _P.c.timestamp,
                _P.c.version,
                _P.c.prediction,
                _P.c.score,
                _P.c.latency_ms,
                _P.c.error,
                _P.c.segment,
                _L.c.label,
            )
            .select_from(
                _P.outerjoin(
                    _L,
                    sa.and_(
                        _L.c.model_id == _P.c.model_id, _L.c.prediction_id == _P.c.prediction_id
                    ),
                )
            )
            .where(_P.c.model_id == model_id, _P.c.timestamp >= start, _P.c.timestamp < end)
            .order_by(_P.c.timestamp, _P.c.id)
        )
        if version is not None:
            stmt = stmt.where(_P.c.version == version)
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        names = [
            "id",
            "timestamp",
            "version",
            "prediction",
            "score",
            "latency_ms",
            "error",
            "segment",
            "label",
        ]
        return {n: [r[i] for r in rows] for i, n in enumerate(names)}

    def labelled_before(
        self, model_id: int, before: datetime, limit: int = 20_000
    ) -> dict[str, list[Any]]:
        """Score and label of the newest ``limit`` labelled predictions before ``before``
        (the reference a label-free estimator is fitted on)."""
        stmt = (
            sa.select(_P.c.score, _L.c.label)
            .select_from(
                _P.join(
                    _L,
                    sa.and_(
                        _L.c.model_id == _P.c.model_id, _L.c.prediction_id == _P.c.prediction_id
                    ),
                )
            )
            .where(_P.c.model_id == model_id, _P.c.timestamp < before)
            .order_by(_P.c.timestamp.desc())
            .limit(limit)
        )
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        return {"score": [r[0] for r in rows], "label": [r[1] for r in rows]}
