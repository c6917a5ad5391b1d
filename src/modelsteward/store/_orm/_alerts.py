"""Aggregate: alerts and their lifecycle (firing, acknowledged, resolved)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import PKType, UTCDateTime


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (sa.Index("ix_alerts_model_id_status", "model_id", "status"),)

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(sa.String(200))
    metric: Mapped[str] = mapped_column(sa.String(100))
    severity: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    value: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertRuleRow(Base):
    """Alert rules created through the API (``steward.toml`` rules live in the settings)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    model: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    metric: Mapped[str] = mapped_column(sa.String(100))
    op: Mapped[str] = mapped_column(sa.String(2))
    threshold: Mapped[float] = mapped_column(sa.Float)
    window: Mapped[str] = mapped_column(sa.String(20))
    severity: Mapped[str] = mapped_column(sa.String(20))
    for_windows: Mapped[int] = mapped_column(sa.Integer)
    cooldown_seconds: Mapped[float] = mapped_column(sa.Float)
    no_data: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
