"""Model registry (versions, aliases, alias history) and the hash-chained audit log.

Revision ID: 0002_registry_audit
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_registry_audit"
down_revision = "0001"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
GENESIS_HASH = "0" * 64


def _pk() -> sa.Column[int]:
    return sa.Column("id", PK, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_subject_seq", "audit_log", ["subject", "seq"])
    op.create_index("ix_audit_log_action_seq", "audit_log", ["action", "seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])

    op.create_table(
        "registry_versions",
        _pk(),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("flavor", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("artifact_format", sa.String(20), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=True),
        sa.Column("artifact_bytes", sa.BigInteger(), nullable=True),
        sa.Column("input_schema", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("training_fingerprint", sa.String(80), nullable=True),
        sa.Column("training_rows", sa.BigInteger(), nullable=True),
        sa.Column("training_profile", sa.Text(), nullable=True),
        sa.Column("code_version", sa.String(200), nullable=True),
        sa.Column("parent_version", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("model", "version", name="uq_registry_versions_model_version"),
        sa.UniqueConstraint("model", "number", name="uq_registry_versions_model_number"),
    )
    op.create_table(
        "registry_aliases",
        _pk(),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("model", "alias", name="uq_registry_aliases_model_alias"),
    )
    op.create_table(
        "registry_alias_events",
        _pk(),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("from_version", sa.String(200), nullable=True),
        sa.Column("to_version", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=True),
    )
    op.create_index(
        "ix_registry_alias_events_model_alias", "registry_alias_events", ["model", "alias"]
    )


def downgrade() -> None:
    op.drop_index("ix_registry_alias_events_model_alias", table_name="registry_alias_events")
    op.drop_index("ix_audit_log_action_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_subject_seq", table_name="audit_log")
    for table in (
        "registry_alias_events",
        "registry_aliases",
        "registry_versions",
        "audit_head",
        "audit_log",
    ):
        op.drop_table(table)
