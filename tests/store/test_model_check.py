"""Revision 0006: on PostgreSQL the model of stored predictions is checked once per batch.

The foreign key's two jobs must survive its removal there: deleting a model deletes its
predictions, and a batch can neither store rows for a missing model nor have its model
deleted while it writes. Both dialects are checked, SQLite still by its foreign key.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from modelsteward.store import PredictionRecord, Store
from modelsteward.store._batch import PredictionBatch
from modelsteward.store._errors import NotFoundError
from tests.store.test_id_collation import _migrate

TS = datetime(2026, 1, 1, tzinfo=UTC)


def _records(prefix: str, n: int) -> list[PredictionRecord]:
    return [PredictionRecord(id=f"{prefix}{i}", timestamp=TS, prediction=1) for i in range(n)]


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_deleting_a_model_deletes_its_predictions(store: Store) -> None:
    store.models.create("m", "binary")
    store.models.create("n", "binary")
    store.ingest_predictions("m", _records("m", 3))
    store.ingest_predictions("n", _records("n", 2))
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM models WHERE name = 'm'"))
    assert _count(store, "SELECT count(*) FROM predictions") == 2
    assert _count(store, "SELECT count(DISTINCT model_id) FROM predictions") == 1


def test_a_batch_for_a_deleted_model_stores_nothing(store: Store) -> None:
    store.models.create("m", "binary")
    store.ingest_predictions("m", _records("a", 2))  # the store now knows m's id
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM models WHERE name = 'm'"))
    with pytest.raises(NotFoundError, match="no longer exists"):
        store.ingest_predictions("m", _records("b", 2))
    # also when the batch brings a version never seen (model_versions refers to m too)
    fresh = [PredictionRecord(id="c", timestamp=TS, prediction=1, version="v9")]
    with pytest.raises(NotFoundError, match="No model named 'm'"):
        store.ingest_predictions("m", fresh)
    assert _count(store, "SELECT count(*) FROM predictions") == 0
    # created again under the same name, the model has a new id, and batches find it
    store.models.create("m", "binary")
    assert store.ingest_predictions("m", fresh).accepted == 1


def test_a_new_version_of_a_deleted_model_is_a_not_found(store: Store) -> None:
    store.models.create("m", "binary")
    store.ingest_predictions("m", _records("a", 1))
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM models WHERE name = 'm'"))
    fresh = [PredictionRecord(id="b", timestamp=TS, prediction=1, version="v2")]
    with pytest.raises(NotFoundError, match="no longer exists"):
        store.ingest_predictions("m", fresh)


def test_a_model_cannot_be_deleted_under_a_batch(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing can run under a batch")
    model = store.models.create("m", "binary")
    batch = PredictionBatch.from_records(_records("a", 3))
    with store.engine.connect() as writer:
        writer.begin()
        # what Store.ingest_batch does in its transaction, left open here
        store.events.hold_model(writer, model.id)
        assert store.events.insert_batch(writer, model.id, batch).all()
        with (
            store.engine.connect() as other,
            pytest.raises(sa.exc.OperationalError, match="lock timeout"),
        ):
            other.execute(sa.text("SET lock_timeout = '300ms'"))
            other.execute(sa.text("DELETE FROM models WHERE name = 'm'"))
        writer.commit()
    assert _count(store, "SELECT count(*) FROM predictions") == 3


def _model_m_on_postgresql(store: Store, predictions: int) -> None:
    """Model "m" with some predictions, for the trigger's tests (PostgreSQL only)."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite cascades by its foreign key")
    store.models.create("m", "binary")
    store.ingest_predictions("m", _records("a", predictions))


def test_the_cascade_finds_its_own_schema_from_any_search_path(store: Store) -> None:
    _model_m_on_postgresql(store, 3)
    with store.engine.begin() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        conn.execute(sa.text("SET LOCAL search_path TO pg_catalog"))  # not our schema
        conn.execute(sa.text(f"DELETE FROM \"{schema}\".models WHERE name = 'm'"))
    assert _count(store, "SELECT count(*) FROM predictions") == 0


def test_a_model_is_deleted_only_under_read_committed(store: Store) -> None:
    _model_m_on_postgresql(store, 2)
    with (
        pytest.raises(sa.exc.DBAPIError, match="READ COMMITTED"),
        store.engine.connect() as conn,
    ):
        conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        conn.execute(sa.text("DELETE FROM models WHERE name = 'm'"))
    assert _count(store, "SELECT count(*) FROM predictions") == 2


def test_postgresql_drops_the_foreign_key_and_downgrade_restores_it(db_url: str) -> None:
    store = Store(db_url)
    if store.engine.dialect.name != "postgresql":
        store.close()
        pytest.skip("SQLite keeps its foreign key (migration 0006 is a no-op there)")

    def foreign_keys() -> list[str]:
        sql = (
            "SELECT conname FROM pg_constraint WHERE conrelid = 'predictions'::regclass "
            "AND contype = 'f'"
        )
        with store.engine.connect() as conn:
            return [str(name) for name in conn.execute(sa.text(sql)).scalars()]

    try:
        _migrate(store, "0005_prediction_id_collation")
        store.models.create("m", "binary")
        store.ingest_predictions("m", _records("a", 4))
        assert foreign_keys() == ["fk_predictions_model_id_models"]
        store.upgrade()
        assert foreign_keys() == []
        assert (
            _count(
                store,
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'models'::regclass "
                "AND NOT tgisinternal",
            )
            == 1
        )
        assert _count(store, "SELECT count(*) FROM predictions") == 4
        _migrate(store, "0005_prediction_id_collation", down=True)
        assert foreign_keys() == ["fk_predictions_model_id_models"]
        triggers = "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'models'::regclass"
        assert _count(store, triggers + " AND NOT tgisinternal") == 0
    finally:
        store.close()
