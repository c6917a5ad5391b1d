"""Aggregate: the closed-loop state of each model (retraining and rollout), one row a model.

Keyed by model *name* (like the registry), so a gateway can persist a rollout for a model the
monitoring store does not know. ``revision`` grows by one on every write; writers either
lock the row for a read-modify-write or compare-and-set on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import JSONType, PKType, UTCDateTime


class RolloutStateRow(Base):
    __tablename__ = "rollout_states"

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(sa.String(200), unique=True)
    stage: Mapped[str] = mapped_column(sa.String(30))
    champion: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    previous: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    candidate: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    step: Mapped[int] = mapped_column(sa.Integer)
    stage_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_checks: Mapped[int] = mapped_column(sa.Integer)
    auto_rollbacks: Mapped[int] = mapped_column(sa.Integer)
    approval_pending: Mapped[bool] = mapped_column(sa.Boolean)
    arms: Mapped[Any] = mapped_column(JSONType, nullable=True)
    samples: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    last_check: Mapped[Any] = mapped_column(JSONType, nullable=True)
    last_promotion: Mapped[Any] = mapped_column(JSONType, nullable=True)
    retrain: Mapped[Any] = mapped_column(JSONType, nullable=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
