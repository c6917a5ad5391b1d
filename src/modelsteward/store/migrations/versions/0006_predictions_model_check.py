"""PostgreSQL: the model of stored predictions is checked once per batch, not per row.

``predictions.model_id``'s foreign key made PostgreSQL run a referential-integrity
trigger, a lookup of ``models``, for every row a ``COPY`` stored, which halved what the
table could take (``python -m bench.insert_floor``: 137,600 against 257,400 rows/s).
Its two jobs are kept, each done once:

* a batch takes ``FOR KEY SHARE`` on its model's row before it writes (the lock the
  trigger took per row; see ``store/_repos/_events.py``), so a model cannot be deleted
  under a batch, and a batch for a deleted model stores nothing;
* deleting a model deletes its predictions (the ``ON DELETE CASCADE``), by a row
  trigger on ``models``, which costs nothing when models stay.

SQLite keeps the foreign key: its check is a B-tree lookup in the same process (about
4 % of a row's insert), and dropping it would mean rebuilding the table.

Revision ID: 0006_predictions_model_check
Revises: 0005_prediction_id_collation
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006_predictions_model_check"
down_revision = "0005_prediction_id_collation"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_predictions_model_id_models"

_CASCADE_FUNCTION = """
CREATE FUNCTION steward_delete_model_predictions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM predictions WHERE model_id = OLD.id;
    RETURN OLD;
END
$$
"""
_CASCADE_TRIGGER = (
    "CREATE TRIGGER steward_model_predictions_cascade BEFORE DELETE ON models "
    "FOR EACH ROW EXECUTE FUNCTION steward_delete_model_predictions()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(FOREIGN_KEY, "predictions", type_="foreignkey")
    op.execute(_CASCADE_FUNCTION)
    op.execute(_CASCADE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER steward_model_predictions_cascade ON models")
    op.execute("DROP FUNCTION steward_delete_model_predictions()")
    op.create_foreign_key(
        FOREIGN_KEY, "predictions", "models", ["model_id"], ["id"], ondelete="CASCADE"
    )
