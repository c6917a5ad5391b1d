from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from modelsteward.store import PredictionRecord, Store
from modelsteward.store._engine import retrying


def test_database_is_locked_is_retried_not_dropped(sqlite_url: str) -> None:
    store = Store(sqlite_url, busy_timeout_ms=20)
    store.upgrade()
    store.models.create("m", "binary")
    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    result = store.ingest_predictions("m", [PredictionRecord(id="a", timestamp=datetime.now(UTC))])
    release.join()
    assert result.accepted == 1 and store.models.stats("m").predictions == 1
    other.close()
    store.close()


def test_retrying_gives_up_on_other_errors() -> None:
    calls = []

    def boom() -> None:
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("no such table: x"))

    with pytest.raises(OperationalError):
        retrying(boom)
    assert len(calls) == 1


def test_closing_the_store_closes_its_write_lock_file(sqlite_url: str) -> None:
    import gc
    import warnings

    from modelsteward.store._engine import _WRITE_LOCKS

    store = Store(sqlite_url)
    store.upgrade()
    store.models.create("m", "binary")  # a write: the lock file is opened
    writers = _WRITE_LOCKS[store.engine]
    assert writers._file is not None and not writers._file.closed
    opened = writers._file
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        store.close()
        gc.collect()
    assert opened.closed and store.engine not in _WRITE_LOCKS
