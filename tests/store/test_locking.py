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
