"""Aggregate: evaluation results, a time series of metric values per closed window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import JSONType, PKType, UTCDateTime


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        sa.UniqueConstraint("model_id", "metric", "version", "window_start", "window_end"),
    )

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[str] = mapped_column(sa.String(200), default="")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)
