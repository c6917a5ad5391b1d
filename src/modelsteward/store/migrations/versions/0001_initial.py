"""Initial schema: models, versions, predictions, labels, profiles, evaluations, alerts, keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _pk() -> sa.Column[int]:
    return sa.Column("id", PK, primary_key=True, autoincrement=True)


def _model_fk() -> sa.Column[int]:
    return sa.Column(
        "model_id",
        PK,
        sa.ForeignKey("models.id", ondelete="CASCADE", name=None),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "models",
        _pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("task", sa.String(20), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=True),
        sa.Column("reference_profile", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("name", name="uq_models_name"),
    )
    op.create_table(
        "model_versions",
        _pk(),
        _model_fk(),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("model_id", "label", name="uq_model_versions_model_id_label"),
    )
    op.create_table(
        "predictions",
        _pk(),
        _model_fk(),
        sa.Column("prediction_id", sa.String(200), nullable=False),
        sa.Column("timestamp", TS, nullable=False),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("prediction", sa.JSON(), nullable=True),
        sa.Column("score", sa.JSON(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.Boolean(), nullable=False),
        sa.Column("segment", sa.String(200), nullable=True),
        sa.UniqueConstraint(
            "model_id", "prediction_id", name="uq_predictions_model_id_prediction_id"
        ),
    )
    op.create_index("ix_predictions_model_id_timestamp", "predictions", ["model_id", "timestamp"])
    op.create_table(
        "labels",
        _pk(),
        _model_fk(),
        sa.Column("prediction_id", sa.String(200), nullable=False),
        sa.Column("label", sa.JSON(), nullable=True),
        sa.Column("timestamp", TS, nullable=False),
        sa.UniqueConstraint("model_id", "prediction_id", name="uq_labels_model_id_prediction_id"),
    )
    op.create_table(
        "feature_profiles",
        _pk(),
        _model_fk(),
        sa.Column("bucket_start", TS, nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint(
            "model_id", "bucket_start", name="uq_feature_profiles_model_id_bucket_start"
        ),
    )
    op.create_table(
        "evaluations",
        _pk(),
        _model_fk(),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("evaluated_at", TS, nullable=False),
        sa.UniqueConstraint(
            "model_id",
            "metric",
            "version",
            "window_start",
            "window_end",
            name="uq_evaluations_model_id_metric_version_window_start_window_end",
        ),
    )
    op.create_table(
        "alerts",
        _pk(),
        _model_fk(),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
    )
    op.create_index("ix_alerts_model_id_status", "alerts", ["model_id", "status"])
    op.create_table(
        "api_keys",
        _pk(),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.UniqueConstraint("key_id", name="uq_api_keys_key_id"),
    )


def downgrade() -> None:
    for table in (
        "api_keys",
        "alerts",
        "evaluations",
        "feature_profiles",
        "labels",
        "predictions",
        "model_versions",
        "models",
    ):
        op.drop_table(table)
