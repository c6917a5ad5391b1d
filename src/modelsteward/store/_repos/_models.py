"""Models and their versions."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import ParameterError
from modelsteward.store._domain import TASKS, Model, ModelStats
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._errors import ConflictError, NotFoundError
from modelsteward.store._orm import LabelRow, ModelRow, ModelVersionRow, PredictionRow
from modelsteward.store._repos._common import upsert_insert, utcnow

_M = cast(sa.Table, ModelRow.__table__)
_V = cast(sa.Table, ModelVersionRow.__table__)
_P = cast(sa.Table, PredictionRow.__table__)
_L = cast(sa.Table, LabelRow.__table__)


class ModelRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ids: dict[str, int] = {}

    def create(
        self,
        name: str,
        task: str,
        *,
        schema: dict[str, Any] | None = None,
        owner: str | None = None,
        reference_profile: str | None = None,
    ) -> Model:
        if task not in TASKS:
            raise ParameterError(
                f"The task of a model must be one of {', '.join(TASKS)}. Got {task!r} instead."
            )
        if not name or len(name) > 200 or "/" in name:
            raise ParameterError(
                f"A model name must be 1-200 characters without '/'. Got {name!r} instead."
            )

        def run() -> None:
            with write_tx(self._engine) as conn:
                exists = conn.execute(sa.select(_M.c.id).where(_M.c.name == name)).first()
                if exists is not None:
                    raise ConflictError(
                        f"A model named {name!r} exists already; pick another name "
                        "or use the existing one."
                    )
                conn.execute(
                    _M.insert().values(
                        name=name,
                        task=task,
                        schema=schema,
                        owner=owner,
                        reference_profile=reference_profile,
                        created_at=utcnow(),
                    )
                )

        retrying(run)
        return self.get(name)

    def get(self, name: str) -> Model:
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(_M).where(_M.c.name == name)).mappings().first()
            if row is None:
                raise NotFoundError(
                    f"No model named {name!r}; create it first "
                    f"(steward models create {name} --task ...)."
                )
            versions = self._versions(conn, [row["id"]]).get(row["id"], ())
        return _to_model(row, versions)

    def list(self) -> list[Model]:
        with read_tx(self._engine) as conn:
            rows = conn.execute(sa.select(_M).order_by(_M.c.name)).mappings().all()
            versions = self._versions(conn, [r["id"] for r in rows])
        return [_to_model(r, versions.get(r["id"], ())) for r in rows]

    def forget(self, name: str) -> None:
        """Drop ``name``'s cached id (the model was deleted behind this process's back)."""
        self._ids.pop(name, None)

    def id_of(self, name: str, conn: Connection | None = None) -> int:
        """The numeric id of model ``name`` (cached: models are never renamed)."""
        cached = self._ids.get(name)
        if cached is not None:
            return cached
        stmt = sa.select(_M.c.id).where(_M.c.name == name)
        if conn is None:
            with read_tx(self._engine) as c:
                found = c.execute(stmt).scalar()
        else:
            found = conn.execute(stmt).scalar()
        if found is None:
            raise NotFoundError(
                f"No model named {name!r}; create it first "
                f"(steward models create {name} --task ...)."
            )
        self._ids[name] = int(found)
        return int(found)

    def set_reference(self, name: str, profile_json: str) -> None:
        model_id = self.id_of(name)

        def run() -> None:
            with write_tx(self._engine) as conn:
                conn.execute(
                    _M.update().where(_M.c.id == model_id).values(reference_profile=profile_json)
                )

        retrying(run)

    def reference(self, name: str) -> str | None:
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(_M.c.reference_profile).where(_M.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"No model named {name!r}.")
        return row[0]  # type: ignore[no-any-return]

    def stats(self, name: str) -> ModelStats:
        model_id = self.id_of(name)
        with read_tx(self._engine) as conn:
            p = conn.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.coalesce(sa.func.sum(sa.case((_P.c.error, 1), else_=0)), 0),
                    sa.func.min(_P.c.timestamp),
                    sa.func.max(_P.c.timestamp),
                ).where(_P.c.model_id == model_id)
            ).one()
            n_labels = conn.execute(
                sa.select(sa.func.count()).select_from(_L).where(_L.c.model_id == model_id)
            ).scalar_one()
        return ModelStats(int(p[0]), int(n_labels), int(p[1]), p[2], p[3])

    @staticmethod
    def ensure_versions(conn: Connection, model_id: int, labels: Iterable[str]) -> None:
        wanted = sorted(set(labels))
        if not wanted:
            return
        stmt = upsert_insert(conn, _V).on_conflict_do_nothing()
        conn.execute(
            stmt, [{"model_id": model_id, "label": v, "created_at": utcnow()} for v in wanted]
        )

    @staticmethod
    def _versions(conn: Connection, ids: builtins.list[int]) -> dict[int, tuple[str, ...]]:
        if not ids:
            return {}
        rows = conn.execute(
            sa.select(_V.c.model_id, _V.c.label)
            .where(_V.c.model_id.in_(ids))
            .order_by(_V.c.created_at, _V.c.id)
        ).all()
        out: dict[int, builtins.list[str]] = {}
        for model_id, label in rows:
            out.setdefault(model_id, []).append(label)
        return {k: tuple(v) for k, v in out.items()}


def _to_model(row: Any, versions: tuple[str, ...]) -> Model:
    return Model(
        id=row["id"],
        name=row["name"],
        task=row["task"],
        created_at=row["created_at"],
        schema=row["schema"],
        owner=row["owner"],
        has_reference=row["reference_profile"] is not None,
        versions=versions,
    )
