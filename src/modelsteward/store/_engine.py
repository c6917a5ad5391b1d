"""Engines for SQLite (WAL, busy timeout, explicit BEGIN) and PostgreSQL, and write retries."""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from modelsteward.errors import ParameterError

__all__ = ["make_engine", "read_tx", "retrying", "write_tx"]

log = logging.getLogger("modelsteward.store")
T = TypeVar("T")

#: SQLite page cache per connection, KiB (SQLite's default is 2,000).
SQLITE_CACHE_KIB = 32_768
#: WAL pages after which a commit checkpoints (SQLite's default is 1,000).
SQLITE_WAL_CHECKPOINT_PAGES = 10_000


def make_engine(url: str, *, busy_timeout_ms: int = 30_000) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL mode, a busy timeout and real BEGINs."""
    try:
        parsed = sa.make_url(url)
    except Exception as exc:
        raise ParameterError(
            f"The database URL {url!r} cannot be parsed; expected e.g. "
            "'sqlite:///path/steward.db' or 'postgresql+psycopg://user@host/db'."
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_engine(url: sa.URL, busy_timeout_ms: int) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Ingest dirties index pages all over the (model, prediction id) index: a bigger
        # page cache keeps them in memory, and checkpointing every 10,000 WAL pages
        # (about 40 MB) instead of every 1,000 writes a page rewritten by several
        # batches back once, not once per batch (commit CPU -35% in bench/ingest.py).
        cur.execute(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
        cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock at once, so a read-then-write
        # (profile merge, idempotent insert) never fails half-way on lock upgrade.
        immediate = conn.get_execution_options().get("steward_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text or "deadlock" in text


def retrying(fn: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``fn``; retry with jittered backoff while the database is locked."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if not _is_locked(exc) or attempt == attempts - 1:
                raise
            log.warning("database locked, retrying (%d/%d)", attempt + 1, attempts)
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def _write_lock(engine: Engine) -> threading.RLock | None:
    """SQLite takes one writer at a time: threads of this process queue on a lock instead
    of sleeping in SQLite's busy handler (other processes still wait there)."""
    if engine.dialect.name != "sqlite":
        return None
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        lock = _WRITE_LOCKS.setdefault(engine, threading.RLock())
    return lock


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
    lock = _write_lock(engine)
    with lock if lock is not None else nullcontext(), engine.connect() as conn:
        conn = conn.execution_options(steward_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction."""
    with engine.connect() as conn, conn.begin():
        yield conn
