"""Storage of each model's closed-loop state, so that a restarted gateway or server resumes it.

One :class:`RolloutState` per model: the loop stage (``idle`` → ``detected`` → ``alerted`` →
``retraining`` → ``validating`` → ``shadow`` → ``canary`` → ``awaiting_approval`` →
``promoted`` | ``rolled_back``, or ``needs_human`` once automation stopped), the versions in
play, the canary step and when its hold started, the evidence of the current stage (per-arm
counts and, to resume the sequential analysis exactly, the per-request samples), the
failed-check and automatic-rollback counts, whether a human approval is pending, and what the
retraining side remembers (its policy state and last run).

Two processes write it (the gateway owns the rollout fields, the server's scheduler the
retraining ones), so every write is a locked read-modify-write (:meth:`update`: ``SELECT ...
FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) that changes only what the writer
owns, or a compare-and-set on ``revision`` (:meth:`save`). ``revision`` grows by one on
every write.

>>> from dataclasses import replace
>>> from modelsteward.store import Store
>>> store = Store("sqlite://")
>>> store.upgrade()
>>> repo = RolloutStateRepository(store.engine)
>>> repo.get("churn") is None
True
>>> s = repo.update("churn", lambda s: replace(s, stage="canary", candidate="v2", step=1))
>>> s.stage, s.candidate, s.step, s.revision
('canary', 'v2', 1, 1)
>>> repo.update("churn", lambda s: replace(s, failed_checks=s.failed_checks + 1)).revision
2
>>> repo.get("churn").failed_checks
1
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import ParameterError
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._errors import ConflictError
from modelsteward.store._orm._rollout import RolloutStateRow
from modelsteward.store._repos._common import upsert_insert, utcnow
from modelsteward.store.audit import jsonable

__all__ = ["ACTIVE_STAGES", "STAGES", "RolloutState", "RolloutStateRepository"]

_T = cast(sa.Table, RolloutStateRow.__table__)

#: Every stage of the loop, in the order a healthy loop goes through them.
STAGES = (
    "idle",
    "detected",
    "alerted",
    "retraining",
    "validating",
    "shadow",
    "canary",
    "awaiting_approval",
    "promoted",
    "rolled_back",
    "needs_human",
)
#: Stages in which a candidate is being rolled out (serving or mirrored traffic).
ACTIVE_STAGES = ("shadow", "canary", "awaiting_approval")


@dataclass(frozen=True)
class RolloutState:
    """The closed-loop state of one model, as stored.

    ``arms`` holds JSON counts per arm (``{"baseline": {"n": ..., "errors": ...}, ...}``)
    and ``samples`` the per-request evidence in the rollout package's binary form (opaque
    here); ``retrain`` the retraining side's JSON (policy state, last run). ``revision``
    and ``updated_at`` are set by the repository.
    """

    model: str
    stage: str = "idle"
    champion: str | None = None
    previous: str | None = None
    candidate: str | None = None
    step: int = 0
    stage_started_at: datetime | None = None
    failed_checks: int = 0
    auto_rollbacks: int = 0
    approval_pending: bool = False
    arms: Mapping[str, Any] = field(default_factory=dict)
    samples: bytes | None = None
    last_check: Mapping[str, Any] | None = None
    last_promotion: Mapping[str, Any] | None = None
    retrain: Mapping[str, Any] = field(default_factory=dict)
    revision: int = 0
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON data (the per-request samples by size only).

        >>> RolloutState("churn", stage="canary", step=1).to_dict()["stage"]
        'canary'
        """
        return {
            "model": self.model,
            "stage": self.stage,
            "active": self.active,
            "champion": self.champion,
            "previous": self.previous,
            "candidate": self.candidate,
            "step": self.step,
            "stage_started_at": self.stage_started_at,
            "failed_checks": self.failed_checks,
            "auto_rollbacks": self.auto_rollbacks,
            "approval_pending": self.approval_pending,
            "arms": dict(self.arms),
            "samples_bytes": 0 if self.samples is None else len(self.samples),
            "last_check": None if self.last_check is None else dict(self.last_check),
            "last_promotion": None if self.last_promotion is None else dict(self.last_promotion),
            "retrain": dict(self.retrain),
            "revision": self.revision,
            "updated_at": self.updated_at,
        }

    @property
    def active(self) -> bool:
        """A candidate is being rolled out (shadow, canary or awaiting approval)."""
        return self.stage in ACTIVE_STAGES

    def check(self) -> None:
        """Raise :class:`ParameterError` when a field is out of its range."""
        if self.stage not in STAGES:
            raise ParameterError(
                f"A loop stage must be one of {', '.join(STAGES)}. Got {self.stage!r}."
            )
        if min(self.step, self.failed_checks, self.auto_rollbacks) < 0:
            raise ParameterError(
                f"Loop state of {self.model!r}: step, failed_checks and auto_rollbacks must be "
                f">= 0. Got {self.step}, {self.failed_checks}, {self.auto_rollbacks}."
            )
        if self.stage_started_at is not None and self.stage_started_at.tzinfo is None:
            raise ParameterError("stage_started_at must be a timezone-aware (UTC) datetime.")


def _json(value: Mapping[str, Any] | None) -> Any:
    return None if value is None else jsonable(value)


def _values(state: RolloutState) -> dict[str, Any]:
    return {
        "stage": state.stage,
        "champion": state.champion,
        "previous": state.previous,
        "candidate": state.candidate,
        "step": state.step,
        "stage_started_at": state.stage_started_at,
        "failed_checks": state.failed_checks,
        "auto_rollbacks": state.auto_rollbacks,
        "approval_pending": state.approval_pending,
        "arms": _json(state.arms),
        "samples": state.samples,
        "last_check": _json(state.last_check),
        "last_promotion": _json(state.last_promotion),
        "retrain": _json(state.retrain),
    }


def _to_state(row: Any) -> RolloutState:
    return RolloutState(
        model=row["model"],
        stage=row["stage"],
        champion=row["champion"],
        previous=row["previous"],
        candidate=row["candidate"],
        step=int(row["step"]),
        stage_started_at=row["stage_started_at"],
        failed_checks=int(row["failed_checks"]),
        auto_rollbacks=int(row["auto_rollbacks"]),
        approval_pending=bool(row["approval_pending"]),
        arms=row["arms"] or {},
        samples=None if row["samples"] is None else bytes(row["samples"]),
        last_check=row["last_check"],
        last_promotion=row["last_promotion"],
        retrain=row["retrain"] or {},
        revision=int(row["revision"]),
        updated_at=row["updated_at"],
    )


class RolloutStateRepository:
    """Read and write the loop state of each model; every write bumps ``revision``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, model: str) -> RolloutState | None:
        """The stored state of ``model``, or None when nothing was stored yet."""
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(_T).where(_T.c.model == model)).mappings().first()
        return None if row is None else _to_state(row)

    def list(self) -> builtins.list[RolloutState]:
        """Every stored state, by model name."""
        with read_tx(self._engine) as conn:
            rows = conn.execute(sa.select(_T).order_by(_T.c.model)).mappings().all()
        return [_to_state(r) for r in rows]

    def update(self, model: str, change: Callable[[RolloutState], RolloutState]) -> RolloutState:
        """Apply ``change`` to the current state (a default one when there is none) under a
        row lock and store the result; return it with its new ``revision``.

        ``change`` must be pure: it may run more than once (a locked database is retried).
        """
        if not model or len(model) > 200:
            raise ParameterError(f"A model name has 1 to 200 characters. Got {model!r:.80}.")

        def run() -> RolloutState:
            with write_tx(self._engine) as conn:
                self._ensure_row(conn, model)
                row = (
                    conn.execute(sa.select(_T).where(_T.c.model == model).with_for_update())
                    .mappings()
                    .one()
                )
                current = _to_state(row)
                new = change(current)
                if new.model != model:
                    raise ParameterError(
                        f"A loop-state change of {model!r} returned the state of {new.model!r}."
                    )
                new.check()
                now = utcnow()
                conn.execute(
                    _T.update()
                    .where(_T.c.id == row["id"])
                    .values(**_values(new), revision=current.revision + 1, updated_at=now)
                )
                return replace(new, revision=current.revision + 1, updated_at=now)

        return retrying(run)

    def save(self, state: RolloutState) -> RolloutState:
        """Store ``state`` if the stored revision is still ``state.revision`` (0: no row yet);
        raise :class:`ConflictError` when another writer got there first."""
        state.check()

        def run() -> RolloutState:
            now = utcnow()
            new_rev = state.revision + 1
            with write_tx(self._engine) as conn:
                if state.revision == 0:
                    inserted = conn.execute(
                        upsert_insert(conn, _T)
                        .values(model=state.model, **_values(state), revision=1, updated_at=now)
                        .on_conflict_do_nothing(index_elements=["model"])
                        .returning(_T.c.id)
                    ).first()
                    done = inserted is not None
                else:
                    done = (
                        conn.execute(
                            _T.update()
                            .where(_T.c.model == state.model, _T.c.revision == state.revision)
                            .values(**_values(state), revision=new_rev, updated_at=now)
                        ).rowcount
                        == 1
                    )
            if not done:
                raise ConflictError(
                    f"The loop state of {state.model!r} changed since revision "
                    f"{state.revision}; read it again and retry."
                )
            return replace(state, revision=new_rev, updated_at=now)

        return retrying(run)

    def delete(self, model: str) -> bool:
        """Forget the state of ``model``; False when there was none."""

        def run() -> bool:
            with write_tx(self._engine) as conn:
                return bool(conn.execute(_T.delete().where(_T.c.model == model)).rowcount)

        return retrying(run)

    @staticmethod
    def _ensure_row(conn: Connection, model: str) -> None:
        default = RolloutState(model)
        conn.execute(
            upsert_insert(conn, _T)
            .values(model=model, **_values(default), revision=0, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["model"])
        )
