"""Shared fixtures for the store, server and SDK tests.

``db_url`` runs a test once on SQLite and once on PostgreSQL; the PostgreSQL run needs
``STEWARD_TEST_POSTGRES_URL`` (``.ci/run`` sets it) and is skipped without it. Each
PostgreSQL test gets a schema of its own, dropped afterwards, so parallel workers never
collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "STEWARD_TEST_POSTGRES_URL"


def _pg_schema_url(base: str, schema: str) -> str:
    import sqlalchemy as sa

    url = sa.make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty database, on each dialect in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[object]:
    """A migrated :class:`modelsteward.store.Store` on each dialect."""
    from modelsteward.store import Store

    s = Store(db_url)
    s.upgrade()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database URL only (process and file-level tests)."""
    return f"sqlite:///{tmp_path / 'steward.db'}"
