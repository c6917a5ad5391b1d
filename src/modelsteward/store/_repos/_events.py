"""Prediction events (idempotent by id per model) and labels (late, out of order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.store._domain import IngestResult, LabelRecord, PredictionRecord
from modelsteward.store._engine import read_tx
from modelsteward.store._orm import LabelRow, PredictionRow
from modelsteward.store._repos._common import chunks, upsert_insert, utcnow

_P = cast(sa.Table, PredictionRow.__table__)
_L = cast(sa.Table, LabelRow.__table__)
_CHUNK = 2000


class EventRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def insert_predictions(
        conn: Connection, model_id: int, records: list[PredictionRecord]
    ) -> IngestResult:
        """Insert ``records``; ids stored before (or repeated in the batch) are duplicates."""
        inserted: set[str] = set()
        for part in chunks(records, _CHUNK):
            rows = [
                {
                    "model_id": model_id,
                    "prediction_id": r.id,
                    "timestamp": r.timestamp,
                    "version": r.version,
                    "prediction": r.prediction,
                    "score": r.score,
                    "latency_ms": r.latency_ms,
                    "error": r.error,
                    "segment": r.segment,
                }
                for r in part
            ]
            stmt = (
                upsert_insert(conn, _P)
                .on_conflict_do_nothing(index_elements=["model_id", "prediction_id"])
                .returning(_P.c.prediction_id)
            )
            inserted.update(conn.execute(stmt, rows).scalars().all())
        duplicates: list[str] = []
        seen: set[str] = set()
        for r in records:
            if r.id in seen or r.id not in inserted:
                duplicates.append(r.id)
            seen.add(r.id)
        return IngestResult(accepted=len(records) - len(duplicates), duplicates=duplicates)

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
