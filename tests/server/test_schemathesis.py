"""schemathesis against ``/openapi.json``: no request, valid or not, gets a 5xx.

Every operation of the schema is called with cases schemathesis generates from it
(positive and negative), once with an admin API key and once with none, on SQLite and
on PostgreSQL (``STEWARD_TEST_POSTGRES_URL``). Besides "never a 5xx", the answers must
conform to the schema: documented status codes, content types, headers (``Allow`` on a
405) and bodies, and a request that violates the schema must be refused.

One built-in check is left out: ``positive_data_acceptance`` (every schema-valid request
answers 2xx). Some rules cannot be said in OpenAPI: ``start`` must come before ``end``,
``reference_start`` and ``reference_end`` come together, a JSON reference body must be a
saved profile and a binary one a readable table. Those get a clear 422 instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from modelsteward.server import create_app
from modelsteward.settings import Settings
from modelsteward.store import Store
from tests.conftest import PG_ENV, _pg_schema_url

# Bulk bodies are bytes like any other binary body.
schemathesis.serializer.alias(
    ["application/vnd.apache.arrow.stream", "application/vnd.apache.parquet"],
    "application/octet-stream",
)
# The schema is read from an app over an unopened in-memory store (building one does no
# I/O); each test sends its requests to the app of the ``target`` fixture instead.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(migrate_on_start=False), store=Store("sqlite://"))
)
EXAMPLES = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@dataclass
class Target:
    app: FastAPI
    admin: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The app over a migrated store with model ``m`` and an admin key, per dialect."""
    home: Path = tmp_path_factory.mktemp("schemathesis")
    cleanup = None
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'st.db'}"
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"{PG_ENV} is not set")
        import sqlalchemy as sa

        name = f"t_{uuid.uuid4().hex[:16]}"
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        url = _pg_schema_url(base, name)

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
            admin.dispose()

    store = Store(url)
    store.upgrade()
    store.models.create("m", "binary")
    _, token = store.keys.create("admin", "admin")
    app = create_app(
        Settings(home=str(home), migrate_on_start=False, evaluation_interval_seconds=0),
        store=store,
    )
    try:
        yield Target(app, {"Authorization": f"Bearer {token}"})
    finally:
        store.close()
        if cleanup is not None:
            cleanup()


def _excluded(case: Any, *, key_added: bool) -> list[Any]:
    """The checks that cannot judge ``case`` (see the module docstring)."""
    excluded = [positive_data_acceptance]
    meta = case.meta
    if meta is None:
        return excluded
    declared = {p.name for p in case.operation.query}
    undeclared = set(case.query or {}) - declared
    if (key_added and meta.is_negative_at(ParameterLocation.HEADER)) or undeclared:
        # a missing Authorization header that the test puts back is no longer invalid;
        # unknown query parameters are ignored, as HTTP APIs commonly do
        excluded.append(negative_data_rejection)
    return excluded


@schema.parametrize()
@EXAMPLES
def test_with_admin_key(case: Any, target: Target) -> None:
    case.call_and_validate(
        headers=target.admin, app=target.app, excluded_checks=_excluded(case, key_added=True)
    )


@schema.parametrize()
@settings(EXAMPLES, max_examples=10)
def test_without_key(case: Any, target: Target) -> None:
    case.call_and_validate(app=target.app, excluded_checks=_excluded(case, key_added=False))
