"""Aggregate: the hash-chained audit log and the row that holds the head of the chain.

``audit_log.details`` is the canonical JSON text of the entry's details, so what is hashed is
exactly what is stored on every dialect. ``audit_head`` has one row (``id = 1``), created by
the migration; appends lock it (``SELECT ... FOR UPDATE`` on PostgreSQL, the write
transaction on SQLite), so two writers never fork the chain.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from modelsteward.store._orm._base import Base
from modelsteward.store._types import UTCDateTime


class AuditEntryRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_subject_seq", "subject", "seq"),
        sa.Index("ix_audit_log_action_seq", "action", "seq"),
    )

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.String(400))
    details: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHeadRow(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
