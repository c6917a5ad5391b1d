"""PostgreSQL: the model of stored predictions is checked once per batch, not per row.

``predictions.model_id``'s foreign key made PostgreSQL run a referential-integrity
trigger, a lookup of ``models``, for every row a ``COPY`` stored, which halved what the
table could take (``python -m bench.insert_floor``: 137,600 against 257,400 rows/s).
Its two jobs are kept, each done once:

* a batch takes ``FOR KEY SHARE`` on its model's row before it writes (the lock the
  trigger took per row; see ``store/_repos/_events.py``), so a model cannot be deleted
  under a batch, and a batch for a deleted model stores nothing;
* deleting a model deletes its predictions (the ``ON DELETE CASCADE``), by a row
  trigger on ``models``, which costs nothing when models stay. Unlike the key, it does
  not reach ``TRUNCATE models CASCADE`` (no row trigger fires) nor refuse a change of a
  model's ``id``; modelsteward does neither.

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

# The table is named through TG_TABLE_SCHEMA: a name inside a function is looked up on
# the search_path of whoever deletes, which may be another schema's (or none).
# Outside READ COMMITTED the DELETE would see the deleting transaction's old snapshot
# and miss a batch committed since (a foreign key's cascade would raise a serialization
# failure); such a delete is refused instead. Models are never deleted by modelsteward
# itself: this guards what an operator does by hand.
_CASCADE_FUNCTION = """
CREATE FUNCTION steward_delete_model_predictions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'delete models under READ COMMITTED: its predictions are deleted '
            'with it, and a stricter snapshot could miss some';
    END IF;
    EXECUTE format('DELETE FROM %I.predictions WHERE model_id = $1', TG_TABLE_SCHEMA)
        USING OLD.id;
    RETURN OLD;
END
$$
"""
_CASCADE_TRIGGER = (
    "CREATE TRIGGER steward_model_predictions_cascade BEFORE DELETE ON models "
    "FOR EACH ROW EXECUTE FUNCTION steward_delete_model_predictions()"
)
# Rows of a model deleted since (by TRUNCATE, say, which fires no row trigger) would
# stop the key from being created again.
_ORPHANS = (
    "DELETE FROM predictions p WHERE NOT EXISTS (SELECT 1 FROM models m WHERE m.id = p.model_id)"
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
    op.execute(_ORPHANS)
    op.create_foreign_key(
        FOREIGN_KEY, "predictions", "models", ["model_id"], ["id"], ondelete="CASCADE"
    )
