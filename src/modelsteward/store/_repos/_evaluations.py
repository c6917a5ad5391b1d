"""Evaluation results: one value per model, metric, version and closed window."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from modelsteward.store._domain import Evaluation
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._orm import EvaluationRow, ModelRow
from modelsteward.store._repos._common import upsert_insert, utcnow

_E = cast(sa.Table, EvaluationRow.__table__)
_M = cast(sa.Table, ModelRow.__table__)


class EvaluationRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self,
        model_id: int,
        metric: str,
        window_start: datetime,
        window_end: datetime,
        value: float | None,
        *,
        version: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> bool:
        """Store one result; ``False`` (and nothing changes) when that window has one already."""

        def run() -> bool:
            with write_tx(self._engine) as conn:
                stmt = (
                    upsert_insert(conn, _E)
                    .values(
                        model_id=model_id,
                        metric=metric,
                        version=version or "",
                        window_start=window_start,
                        window_end=window_end,
                        value=value,
                        details=details,
                        evaluated_at=utcnow(),
                    )
                    .on_conflict_do_nothing()
                    .returning(_E.c.id)
                )
                return conn.execute(stmt).first() is not None

        return retrying(run)

    def exists(
        self,
        model_id: int,
        metric: str,
        window_start: datetime,
        window_end: datetime,
        version: str | None = None,
    ) -> bool:
        with read_tx(self._engine) as conn:
            return (
                conn.execute(
                    sa.select(_E.c.id).where(
                        _E.c.model_id == model_id,
                        _E.c.metric == metric,
                        _E.c.version == (version or ""),
                        _E.c.window_start == window_start,
                        _E.c.window_end == window_end,
                    )
                ).first()
                is not None
            )

    def series(
        self,
        model_id: int,
        metric: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        version: str | None = None,
    ) -> list[Evaluation]:
        stmt = (
            sa.select(_E, _M.c.name)
            .join(_M, _M.c.id == _E.c.model_id)
            .where(_E.c.model_id == model_id)
            .order_by(_E.c.window_end, _E.c.metric)
        )
        if metric is not None:
            stmt = stmt.where(_E.c.metric == metric)
        if start is not None:
            stmt = stmt.where(_E.c.window_end > start)
        if end is not None:
            stmt = stmt.where(_E.c.window_start < end)
        if version is not None:
            stmt = stmt.where(_E.c.version == version)
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            Evaluation(
                model=r["name"],
                metric=r["metric"],
                version=r["version"],
                window_start=r["window_start"],
                window_end=r["window_end"],
                value=r["value"],
                details=r["details"],
                evaluated_at=r["evaluated_at"],
            )
            for r in rows
        ]

    def latest(self, model_id: int, since: datetime) -> list[Evaluation]:
        """The newest all-versions value of each metric and window width ending after ``since``."""
        stmt = (
            sa.select(_E, _M.c.name)
            .join(_M, _M.c.id == _E.c.model_id)
            .where(_E.c.model_id == model_id, _E.c.version == "", _E.c.window_end > since)
            .order_by(_E.c.window_end)
        )
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).mappings().all()
        newest: dict[tuple[str, float], Evaluation] = {}
        for r in rows:
            e = Evaluation(
                model=r["name"],
                metric=r["metric"],
                version=r["version"],
                window_start=r["window_start"],
                window_end=r["window_end"],
                value=r["value"],
                details=r["details"],
                evaluated_at=r["evaluated_at"],
            )
            newest[(e.metric, (e.window_end - e.window_start).total_seconds())] = e
        return list(newest.values())
