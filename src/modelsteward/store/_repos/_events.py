"""Prediction events (idempotent by id per model) and labels (late, out of order)."""

from __future__ import annotations

import functools
import itertools
from datetime import datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import InputError
from modelsteward.store._batch import PredictionBatch
from modelsteward.store._domain import IngestResult, LabelRecord
from modelsteward.store._engine import read_tx
from modelsteward.store._errors import NotFoundError
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


_PG_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS steward_incoming (
    model_id bigint, prediction_id text, "timestamp" timestamptz, version text,
    prediction json, score json, latency_ms double precision, error boolean, segment text
) ON COMMIT DELETE ROWS
"""
_QUOTED = ", ".join(f'"{c}"' for c in _COLUMNS)


def _copy_insert(conn: Connection, model_id: int, batch: PredictionBatch) -> np.ndarray:
    """PostgreSQL: COPY the batch (CSV written by Arrow) into the table; when an id is
    stored already, into a session temp table instead, then one ``INSERT ... SELECT ...
    ON CONFLICT DO NOTHING RETURNING``. Per row, whether it was stored."""
    import psycopg

    try:
        return _copy_insert_raw(conn, model_id, batch)
    except psycopg.DataError as exc:
        raise InputError(
            f"A value in the batch cannot be stored: {str(exc).splitlines()[0]}. "
            "Nothing was stored."
        ) from exc
    except psycopg.OperationalError as exc:
        # the raw cursor's errors, wrapped as SQLAlchemy's own would be: a deadlock
        # between two batches that share ids is then retried like any locked write
        raise sa.exc.OperationalError("COPY predictions", None, exc) from exc


def _csv(model_id: int, batch: PredictionBatch) -> bytes:
    n = len(batch)
    table = pa.Table.from_arrays(
        [
            pa.array(np.full(n, model_id, dtype=np.int64)),
            batch.ids,
            pc.binary_join_element_wise(_utc_text(batch.timestamps), "+00:00", ""),
            batch.version,
            batch.prediction,
            batch.score,
            batch.latency_ms,
            batch.error,
            batch.segment,
        ],
        names=list(_COLUMNS),
    )
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False))
    return bytes(sink.getvalue())


def _copy_insert_raw(conn: Connection, model_id: int, batch: PredictionBatch) -> np.ndarray:
    import psycopg

    raw: Any = conn.connection.driver_connection
    data = _csv(model_id, batch)
    with raw.cursor() as cur:
        # The usual case, every id new: COPY straight into the table. A duplicate id
        # makes the unique index refuse the COPY; the savepoint undoes it and the batch
        # takes the staged path, which skips and names the duplicates.
        cur.execute("SAVEPOINT steward_ingest")
        try:
            with cur.copy(f"COPY predictions ({_QUOTED}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(data)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT steward_ingest")
        else:
            cur.execute("RELEASE SAVEPOINT steward_ingest")
            return np.ones(len(batch), dtype=bool)
        cur.execute(_PG_STAGE)
        cur.execute("TRUNCATE steward_incoming")
        with cur.copy(f"COPY steward_incoming ({_QUOTED}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        cur.execute(
            f"INSERT INTO predictions ({_QUOTED}) SELECT {_QUOTED} FROM steward_incoming "
            "ON CONFLICT (model_id, prediction_id) DO NOTHING RETURNING prediction_id"
        )
        inserted = {r[0] for r in cur.fetchall()}
        cur.execute("RELEASE SAVEPOINT steward_ingest")
    return _first_new(batch.ids.to_pylist(), inserted)


def _utc_text(timestamps: pa.Array) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, as SQLAlchemy writes datetimes on SQLite.

    Cast as a zone-less timestamp: 35x faster than formatting with the zone attached.
    """
    return timestamps.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")).cast(pa.string())


def _first_new(ids: list[str], inserted: set[str]) -> np.ndarray:
    """Per row: stored now (inserted, and the first row with its id in the batch)."""
    stored = np.zeros(len(ids), dtype=bool)
    seen: set[str] = set()
    for i, pid in enumerate(ids):
        stored[i] = pid in inserted and pid not in seen
        seen.add(pid)
    return stored


def _sqlite_insert(conn: Connection, model_id: int, batch: PredictionBatch) -> np.ndarray:
    """SQLite: one prepared ``INSERT ... ON CONFLICT DO NOTHING`` run over every row; only
    when fewer rows went in than were sent is the batch redone row-aware (``RETURNING``)."""
    n = len(batch)
    ids = batch.ids.to_pylist()
    columns = [
        ids,
        _utc_text(batch.timestamps).to_pylist(),
        batch.version.to_pylist(),
        batch.prediction.to_pylist(),
        batch.score.to_pylist(),
        batch.latency_ms.to_pylist(),
        batch.error.to_pylist(),
        batch.segment.to_pylist(),
    ]
    rows = list(zip(itertools.repeat(model_id, n), *columns, strict=False))
    # through SQLAlchemy (one executemany), so that driver errors arrive wrapped like
    # everywhere else: "database is locked" is retried, a refused value is a 422
    conn.exec_driver_sql("SAVEPOINT steward_ingest")
    result = conn.exec_driver_sql(
        f"INSERT INTO predictions ({_QUOTED}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
        "ON CONFLICT (model_id, prediction_id) DO NOTHING",
        rows,
    )
    if result.rowcount == n:
        conn.exec_driver_sql("RELEASE SAVEPOINT steward_ingest")
        return np.ones(n, dtype=bool)
    conn.exec_driver_sql("ROLLBACK TO SAVEPOINT steward_ingest")
    conn.exec_driver_sql("RELEASE SAVEPOINT steward_ingest")
    inserted: set[str] = set()
    for part in chunks(rows, _CHUNK):
        sql = _insert_sql(conn.dialect.name, conn.dialect.paramstyle, len(part))
        flat = [v for row in part for v in row]
        inserted.update(x for (x,) in conn.exec_driver_sql(sql, tuple(flat)))
    return _first_new(ids, inserted)


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
    def hold_model(conn: Connection, model_id: int) -> None:
        """Lock model ``model_id``'s row for this write; ``NotFoundError`` if it is gone.

        What ``predictions.model_id``'s foreign key did for every row, once per batch
        (migration 0006). PostgreSQL takes ``FOR KEY SHARE``, the lock the key's check
        took: a model cannot be deleted under a batch that writes for it, and a batch
        for a model deleted meanwhile waits, then stores nothing. SQLite has one writer
        at a time, so a lookup is enough there. Call it first in the transaction.
        """
        lock = " FOR KEY SHARE" if conn.dialect.name == "postgresql" else ""
        sql = sa.text(f"SELECT 1 FROM models WHERE id = :id{lock}")
        if conn.execute(sql, {"id": model_id}).first() is None:
            raise NotFoundError(f"model id {model_id} no longer exists; nothing was stored")

    @staticmethod
    def insert_batch(conn: Connection, model_id: int, batch: PredictionBatch) -> np.ndarray:
        """Insert the batch; per row, whether it was stored now.

        Ids stored before, or repeated within the batch (after their first row), are not
        stored again. The hot path sends the whole batch in one statement run (SQLite) or
        one ``COPY`` plus one ``INSERT ... SELECT`` (PostgreSQL), and only a batch with
        duplicates is redone with ``RETURNING`` to learn which rows they were.
        """
        if len(batch) == 0:
            return np.zeros(0, dtype=bool)
        if conn.dialect.name == "postgresql":
            return _copy_insert(conn, model_id, batch)
        return _sqlite_insert(conn, model_id, batch)

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
