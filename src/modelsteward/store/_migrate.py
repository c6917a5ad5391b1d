"""Run the Alembic migrations that ship inside this package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from modelsteward.store._engine import retrying

__all__ = [
    "current_revision",
    "current_revisions",
    "head_revision",
    "head_revisions",
    "upgrade",
]

_LOCK_ID = 0x5737_4557  # PostgreSQL advisory lock held while migrating


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (every head by default, so revisions written in
    parallel branches all apply); concurrent callers wait for each other."""

    def run() -> None:
        with engine.connect() as conn:
            conn = conn.execution_options(steward_write=True)  # BEGIN IMMEDIATE on SQLite
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
                cfg = _config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)

    retrying(run)


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())


def head_revision() -> str | None:
    """The newest revision (several, comma-separated, while branches are unmerged)."""
    return ",".join(sorted(head_revisions())) or None


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def current_revision(engine: Engine) -> str | None:
    return ",".join(sorted(current_revisions(engine))) or None
