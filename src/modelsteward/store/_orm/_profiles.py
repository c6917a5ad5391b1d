"""Aggregate: feature profiles per model per time bucket (JSON of a TableProfile)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import PKType, UTCDateTime


class FeatureProfileRow(Base):
    __tablename__ = "feature_profiles"
    __table_args__ = (sa.UniqueConstraint("model_id", "bucket_start"),)

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id", ondelete="CASCADE"))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime)
    bucket_seconds: Mapped[int] = mapped_column(sa.Integer)
    rows: Mapped[int] = mapped_column(sa.BigInteger)
    profile: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
