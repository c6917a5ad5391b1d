"""The closed-loop state of each model: retraining stage, rollout step and its evidence.

Revision ID: 0004_rollout_state
Revises: 0003_alert_rules
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_rollout_state"
down_revision = "0003_alert_rules"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rollout_states",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("champion", sa.String(200), nullable=True),
        sa.Column("previous", sa.String(200), nullable=True),
        sa.Column("candidate", sa.String(200), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("stage_started_at", TS, nullable=True),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        sa.Column("auto_rollbacks", sa.Integer(), nullable=False),
        sa.Column("approval_pending", sa.Boolean(), nullable=False),
        sa.Column("arms", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("samples", sa.LargeBinary(), nullable=True),
        sa.Column("last_check", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("last_promotion", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("retrain", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("model", name="uq_rollout_states_model"),
    )


def downgrade() -> None:
    op.drop_table("rollout_states")
