"""Aggregate: the model registry (versions with artifact and lineage, aliases, alias history).

Keyed by model *name*, so a model can be registered before it is monitored; registration adds
the version label to ``model_versions`` when the monitored model exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import JSONType, PKType, UTCDateTime


class RegistryVersionRow(Base):
    __tablename__ = "registry_versions"
    __table_args__ = (
        sa.UniqueConstraint("model", "version"),
        sa.UniqueConstraint("model", "number"),
    )

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(200))
    number: Mapped[int] = mapped_column(sa.Integer)
    flavor: Mapped[str] = mapped_column(sa.String(20))
    artifact_uri: Mapped[str] = mapped_column(sa.Text)
    artifact_format: Mapped[str] = mapped_column(sa.String(20))
    artifact_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    artifact_bytes: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    input_schema: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    status_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    evidence: Mapped[Any] = mapped_column(JSONType, nullable=True)
    params: Mapped[Any] = mapped_column(JSONType, nullable=True)
    metrics: Mapped[Any] = mapped_column(JSONType, nullable=True)
    training_fingerprint: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    training_rows: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    training_profile: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    code_version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    parent_version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RegistryAliasRow(Base):
    __tablename__ = "registry_aliases"
    __table_args__ = (sa.UniqueConstraint("model", "alias"),)

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(sa.String(200))
    alias: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[str] = mapped_column(sa.String(200))
    revision: Mapped[int] = mapped_column(sa.Integer)
    updated_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RegistryAliasEventRow(Base):
    __tablename__ = "registry_alias_events"
    __table_args__ = (sa.Index("ix_registry_alias_events_model_alias", "model", "alias"),)

    id: Mapped[int] = mapped_column(PKType, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(sa.String(200))
    alias: Mapped[str] = mapped_column(sa.String(100))
    from_version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    to_version: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    actor: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    audit_seq: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
