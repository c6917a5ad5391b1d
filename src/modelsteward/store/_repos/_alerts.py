"""Alerts: firing, then acknowledged, then resolved."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from modelsteward.errors import ParameterError
from modelsteward.store._domain import Alert
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._errors import NotFoundError
from modelsteward.store._orm import AlertRow, ModelRow
from modelsteward.store._repos._common import utcnow

_A = cast(sa.Table, AlertRow.__table__)
_M = cast(sa.Table, ModelRow.__table__)
STATUSES = ("firing", "acknowledged", "resolved")


class AlertRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def fire(
        self,
        model_id: int,
        *,
        rule: str,
        metric: str,
        severity: str = "warning",
        value: float | None = None,
        threshold: float | None = None,
        version: str | None = None,
        message: str = "",
        at: datetime | None = None,
    ) -> Alert:
        """Open an alert, or refresh the one already open for the same rule (dedup).

        ``at`` is the time to record (default: now), for callers with their own clock.
        """

        def run() -> int:
            now = at or utcnow()
            with write_tx(self._engine) as conn:
                open_id = conn.execute(
                    sa.select(_A.c.id).where(
                        _A.c.model_id == model_id,
                        _A.c.rule == rule,
                        _A.c.status != "resolved",
                    )
                ).scalar()
                if open_id is not None:
                    conn.execute(
                        _A.update()
                        .where(_A.c.id == open_id)
                        .values(value=value, message=message, updated_at=now)
                    )
                    return int(open_id)
                return int(
                    conn.execute(
                        _A.insert()
                        .values(
                            model_id=model_id,
                            rule=rule,
                            metric=metric,
                            severity=severity,
                            status="firing",
                            version=version,
                            value=value,
                            threshold=threshold,
                            message=message,
                            created_at=now,
                            updated_at=now,
                        )
                        .returning(_A.c.id)
                    ).scalar_one()
                )

        return self.get(retrying(run))

    def get(self, alert_id: int) -> Alert:
        with read_tx(self._engine) as conn:
            row = conn.execute(self._select().where(_A.c.id == alert_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"No alert with id {alert_id}.")
        return _to_alert(row)

    def list(self, *, model_id: int | None = None, status: str | None = None) -> list[Alert]:
        stmt = self._select().order_by(_A.c.created_at.desc(), _A.c.id.desc())
        if model_id is not None:
            stmt = stmt.where(_A.c.model_id == model_id)
        if status is not None:
            if status not in STATUSES:
                raise ParameterError(
                    f"An alert status must be one of {', '.join(STATUSES)}. Got {status!r}."
                )
            stmt = stmt.where(_A.c.status == status)
        with read_tx(self._engine) as conn:
            return [_to_alert(r) for r in conn.execute(stmt).mappings().all()]

    def find_open(self, model_id: int, rule: str) -> Alert | None:
        """The firing or acknowledged alert of ``rule``, if any."""
        stmt = self._select().where(
            _A.c.model_id == model_id, _A.c.rule == rule, _A.c.status != "resolved"
        )
        with read_tx(self._engine) as conn:
            row = conn.execute(stmt).mappings().first()
        return None if row is None else _to_alert(row)

    def last_resolved_at(self, model_id: int, rule: str) -> datetime | None:
        with read_tx(self._engine) as conn:
            value = conn.execute(
                sa.select(sa.func.max(_A.c.resolved_at)).where(
                    _A.c.model_id == model_id, _A.c.rule == rule, _A.c.status == "resolved"
                )
            ).scalar()
        return cast(datetime | None, value)

    def acknowledge(self, alert_id: int, by: str | None = None) -> Alert:
        return self._transition(alert_id, "acknowledged", None, acknowledged_by=by)

    def resolve(self, alert_id: int, *, at: datetime | None = None) -> Alert:
        return self._transition(alert_id, "resolved", at)

    def _transition(self, alert_id: int, status: str, at: datetime | None, **extra: Any) -> Alert:
        current = self.get(alert_id)
        if current.status == "resolved" or current.status == status:
            return current
        now = at or utcnow()
        values: dict[str, Any] = {"status": status, "updated_at": now, **extra}
        values["acknowledged_at" if status == "acknowledged" else "resolved_at"] = now

        def run() -> None:
            with write_tx(self._engine) as conn:
                conn.execute(_A.update().where(_A.c.id == alert_id).values(**values))

        retrying(run)
        return self.get(alert_id)

    @staticmethod
    def _select() -> sa.Select[Any]:
        return sa.select(_A, _M.c.name.label("model_name")).join(_M, _M.c.id == _A.c.model_id)


def _to_alert(r: Any) -> Alert:
    return Alert(
        id=r["id"],
        model=r["model_name"],
        rule=r["rule"],
        metric=r["metric"],
        severity=r["severity"],
        status=r["status"],
        version=r["version"],
        value=r["value"],
        threshold=r["threshold"],
        message=r["message"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        acknowledged_at=r["acknowledged_at"],
        acknowledged_by=r["acknowledged_by"],
        resolved_at=r["resolved_at"],
    )
