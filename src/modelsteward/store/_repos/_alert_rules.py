"""Alert rules stored in the database (created and deleted through the API)."""

from __future__ import annotations

import builtins
from dataclasses import asdict
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from modelsteward.store._domain import AlertRule
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._errors import ConflictError, NotFoundError
from modelsteward.store._orm import AlertRuleRow
from modelsteward.store._repos._common import utcnow

_R = cast(sa.Table, AlertRuleRow.__table__)
_FIELDS = (
    "name",
    "model",
    "metric",
    "op",
    "threshold",
    "window",
    "severity",
    "for_windows",
    "cooldown_seconds",
    "no_data",
)


class AlertRuleRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, rule: AlertRule) -> AlertRule:
        def run() -> None:
            with write_tx(self._engine) as conn:
                taken = conn.execute(sa.select(_R.c.id).where(_R.c.name == rule.name)).first()
                if taken is not None:
                    raise ConflictError(
                        f"An alert rule named {rule.name!r} exists already; delete it first."
                    )
                conn.execute(_R.insert().values(**asdict(rule), created_at=utcnow()))

        retrying(run)
        return rule

    def list(self) -> builtins.list[AlertRule]:
        with read_tx(self._engine) as conn:
            rows = conn.execute(sa.select(_R).order_by(_R.c.name)).mappings().all()
        return [AlertRule(**{f: r[f] for f in _FIELDS}) for r in rows]

    def delete(self, name: str) -> None:
        def run() -> int:
            with write_tx(self._engine) as conn:
                return int(conn.execute(_R.delete().where(_R.c.name == name)).rowcount)

        if retrying(run) == 0:
            raise NotFoundError(
                f"No alert rule named {name!r} (rules from steward.toml are changed in the file)."
            )
