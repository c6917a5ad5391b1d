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
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from modelsteward.errors import ParameterError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: threads queue, processes poll
    fcntl = None  # type: ignore[assignment]

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


class _SQLiteWriters:
    """SQLite takes one writer at a time. Threads of this process queue on a lock, and
    processes that share the database file (``steward serve --workers N``) on an
    ``flock`` of a file beside it, instead of polling in SQLite's busy handler (which
    sleeps up to 100 ms between tries). Writers that take neither still wait there."""

    def __init__(self, path: Path | None) -> None:
        self.thread_lock = threading.RLock()
        self.path = path
        self._file: IO[bytes] | None = None
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self.thread_lock:
            self._depth += 1
            try:
                if self._depth == 1:
                    self._lock_file()
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._file is not None:
                    fcntl.flock(self._file, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file; a later writer would open it again."""
        with self.thread_lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _lock_file(self) -> None:
        if self.path is None or fcntl is None:
            return
        if self._file is None:
            try:
                self._file = self.path.open("ab")
            except OSError:  # a read-only folder: rely on SQLite's busy handler
                self.path = None
                return
        fcntl.flock(self._file, fcntl.LOCK_EX)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _SQLiteWriters] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _writers(engine: Engine) -> _SQLiteWriters | None:
    if engine.dialect.name != "sqlite":
        return None
    with _LOCKS_GUARD:
        writers = _WRITE_LOCKS.get(engine)
        if writers is None:
            database = engine.url.database or ""
            on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
            path = Path(f"{database}-steward-write.lock").expanduser() if on_disk else None
            writers = _WRITE_LOCKS[engine] = _SQLiteWriters(path)
    return writers


def release_writers(engine: Engine) -> None:
    """Forget ``engine``'s writer queue and close its lock file (when the store closes)."""
    with _LOCKS_GUARD:
        writers = _WRITE_LOCKS.pop(engine, None)
    if writers is not None:
        writers.close()


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
    writers = _writers(engine)
    with writers.hold() if writers is not None else nullcontext(), engine.connect() as conn:
        conn = conn.execution_options(steward_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction."""
    with engine.connect() as conn, conn.begin():
        yield conn
