"""Revision 0005: prediction ids collate byte-wise ("C") on PostgreSQL; SQLite unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from modelsteward.store import LabelRecord, PredictionRecord, Store
from modelsteward.store._migrate import _config, current_revision, head_revision

TS = datetime(2026, 1, 1, tzinfo=UTC)


def _collations(store: Store) -> dict[str, str | None]:
    """``information_schema``'s collation of each ``prediction_id`` (PostgreSQL)."""
    sql = sa.text(
        "SELECT table_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name = 'prediction_id'"
    )
    with store.engine.connect() as conn:
        return {str(t): c for t, c in conn.execute(sql)}


def _migrate(store: Store, revision: str, *, down: bool = False) -> None:
    with store.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_prediction_ids_collate_bytewise_on_postgresql(store: Store) -> None:
    assert current_revision(store.engine) == head_revision() == "0006_predictions_model_check"
    if store.engine.dialect.name == "postgresql":
        assert _collations(store) == {"predictions": "C", "labels": "C"}


def test_upgrade_from_0004_keeps_the_rows_and_downgrade_restores_the_default(
    db_url: str,
) -> None:
    store = Store(db_url)
    try:
        _migrate(store, "0004_rollout_state")
        store.models.create("m", "binary")
        ids = ["b", "B", "a", "é", "Z-1", "z-10"]
        records = [PredictionRecord(id=i, timestamp=TS, prediction=1) for i in ids]
        assert store.ingest_predictions("m", records).accepted == len(ids)
        store.ingest_labels("m", [LabelRecord(id="a", label=1)])
        pg = store.engine.dialect.name == "postgresql"
        before = _collations(store) if pg else {}

        store.upgrade()

        assert store.schema_is_current()
        with store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT prediction_id FROM predictions")).scalars()
            assert sorted(stored) == sorted(ids)
            assert conn.execute(sa.text("SELECT prediction_id FROM labels")).scalar() == "a"
        # still one row per id: a repeat is reported, not stored again
        again = store.ingest_predictions("m", records[:2])
        assert again.accepted == 0 and again.duplicates == ["b", "B"]
        assert store.models.stats("m").labels == 1
        if pg:
            assert _collations(store) == {"predictions": "C", "labels": "C"}
            with store.engine.connect() as conn:
                order = conn.execute(
                    sa.text("SELECT prediction_id FROM predictions ORDER BY prediction_id")
                ).scalars()
                assert list(order) == sorted(ids)  # byte order, as Python's str order

        _migrate(store, "0004_rollout_state", down=True)
        if pg:
            assert _collations(store) == before
            assert "C" not in before.values()
        assert store.models.stats("m").predictions == len(ids)
    finally:
        store.close()


def test_the_orm_declares_the_same_collation_per_dialect() -> None:
    """``compare_metadata`` does not compare collations: the ORM's DDL is checked here."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateTable

    from modelsteward.store._orm import LabelRow, PredictionRow

    for row in (PredictionRow, LabelRow):
        table = row.__table__
        pg = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        lite = str(CreateTable(table).compile(dialect=sqlite.dialect()))
        assert 'prediction_id VARCHAR(200) COLLATE "C" NOT NULL' in pg
        assert "prediction_id VARCHAR(200) NOT NULL" in lite and "COLLATE" not in lite
