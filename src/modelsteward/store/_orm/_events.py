"""Aggregate: prediction events and the labels that arrive for them (late, in any order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import IdText, JSONType, PKType, UTCDateTime


class PredictionRow(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        sa.UniqueConstraint("model_id", "prediction_id"),
        sa.Index("ix_predictions_model_id_timestamp", "model_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id", ondelete="CASCADE"))
    prediction_id: Mapped[str] = mapped_column(IdText)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    prediction: Mapped[Any] = mapped_column(JSONType, nullable=True)
    score: Mapped[Any] = mapped_column(JSONType, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    error: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    segment: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)


class LabelRow(Base):
    __tablename__ = "labels"
    __table_args__ = (sa.UniqueConstraint("model_id", "prediction_id"),)

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id", ondelete="CASCADE"))
    prediction_id: Mapped[str] = mapped_column(IdText)
    label: Mapped[Any] = mapped_column(JSONType, nullable=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
