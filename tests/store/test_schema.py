from __future__ import annotations

import sqlalchemy as sa

from modelsteward.store import Store
from modelsteward.store._migrate import current_revision, head_revision


def test_upgrade_creates_every_table_and_is_idempotent(store: Store) -> None:
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {
        "models",
        "model_versions",
        "predictions",
        "labels",
        "feature_profiles",
        "evaluations",
        "alerts",
        "api_keys",
        "alembic_version",
    } <= tables
    assert current_revision(store.engine) == head_revision()
    store.upgrade()  # again: nothing to do
    assert store.ping()


def test_ping_is_false_before_migrations(db_url: str) -> None:
    s = Store(db_url)
    try:
        assert not s.ping()
    finally:
        s.close()


def test_migrations_match_the_orm(store: Store) -> None:
    """The hand-written revision and the ORM tables describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from modelsteward.store._orm import Base

    def include(obj: object, name: str | None, type_: str, *args: object) -> bool:
        # On PostgreSQL, predictions.model_id's foreign key is replaced by a per-batch
        # lock and a delete trigger (migration 0006); the ORM keeps it, as SQLite does.
        return not (
            store.engine.dialect.name == "postgresql"
            and type_ == "foreign_key_constraint"
            and name == "fk_predictions_model_id_models"
        )

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    s = Store(sqlite_url)
    s.upgrade()
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    s.close()
