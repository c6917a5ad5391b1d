"""Prediction ids compared byte by byte on PostgreSQL (``COLLATE "C"``).

Ids are opaque: byte order is as good as any, and the unique ``(model_id,
prediction_id)`` indexes of ``predictions`` and ``labels`` compare much faster in it
than in the database's locale collation (a standalone ``COPY`` went from 85,000 to
130,000 rows/s). PostgreSQL rebuilds both indexes here. SQLite compares text with
``memcmp`` already and has no collation named "C": nothing to do there.

Revision ID: 0005_prediction_id_collation
Revises: 0004_rollout_state
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_prediction_id_collation"
down_revision = "0004_rollout_state"
branch_labels = None
depends_on = None

TABLES = ("predictions", "labels")


def _collate(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.alter_column(
            table,
            "prediction_id",
            existing_type=sa.String(200),
            type_=sa.String(200, collation=collation),
            existing_nullable=False,
        )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate(None)  # ALTER ... TYPE without COLLATE: the database's default again
