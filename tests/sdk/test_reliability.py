"""The SDK loses nothing: a server SIGKILLed mid-stream, many processes on one SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelsteward.sdk import Monitor
from modelsteward.store import Store
from tests.conftest import ServerProcess


def test_server_killed_mid_stream_stores_every_prediction_once(db_url: str, tmp_path: Path) -> None:
    """SIGKILL ``steward serve`` while the SDK streams 100,000 predictions, restart it.

    Every prediction must be stored exactly once: no id missing, none twice, and the
    feature profiles merged at ingest must count each row once (a batch the dead server
    committed but never answered is sent again and must be reported as duplicates).
    """
    store = Store(db_url)
    store.upgrade()
    store.models.create("m", "binary")
    _, token = store.keys.create("svc", "ingest")
    home = tmp_path / "home"
    home.mkdir()
    server = ServerProcess(home, args=("--database", db_url)).start()
    mon = Monitor(
        "m",
        url=server.url,
        api_key=token,
        spool_dir=tmp_path / "spool",
        batch_size=1000,
        flush_interval=0.02,
        max_retries=2,
        backoff=0.05,
        max_backoff=0.5,
        timeout=5,
    )
    n, chunk = 100_000, 1000
    started = datetime.now(UTC) - timedelta(minutes=1)
    stored_at_kill = 0
    try:
        for c in range(n // chunk):
            for i in range(c * chunk, (c + 1) * chunk):
                mon.log_prediction({"x": float(i)}, i % 2, id=f"p{i}", latency_ms=1.0)
            time.sleep(0.01)
            if c == 30:  # part delivered, the stream still going: the server dies
                deadline = time.monotonic() + 30
                while stored_at_kill < 10_000 and time.monotonic() < deadline:
                    time.sleep(0.01)
                    stored_at_kill = store.models.stats("m").predictions
                server.kill()
            if c == 60:
                server.start()
        assert mon.flush(timeout=120), mon.stats
    finally:
        mon.close(timeout=5)
        server.stop()
    assert 0 < stored_at_kill < n  # the kill came mid-stream
    assert mon.stats["spooled"] > 0 and mon.stats["dropped"] == 0  # the outage was felt
    ids = store.events.window(store.models.id_of("m"), started, datetime.now(UTC))["id"]
    assert len(ids) == n and set(ids) == {f"p{i}" for i in range(n)}
    assert store.models.stats("m").predictions == n
    _, profiled = store.merged_profile(
        "m", started - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    )
    assert profiled == n  # features counted once, too
    store.close()


WRITER = textwrap.dedent(
    """
    import json, sys
    from modelsteward.sdk import Monitor
    url, spool, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mon = Monitor("m", database_url=url, spool_dir=spool, batch_size=50, flush_interval=0.01,
                  backoff=0.02, max_backoff=0.2)
    for i in range(n):
        mon.log_prediction({"x": float(i)}, 0, id=f"w{k}-{i}")
        if i % 100 == 0:
            mon.log_label(f"w{k}-{i}", k)
    ok = mon.flush(timeout=120)
    mon.close()
    print(json.dumps(mon.stats))
    sys.exit(0 if ok else 3)
    """
)

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    # Another process holding SQLite's write lock, 50 ms at a time, longer than the
    # writers' 1 ms busy timeout: their writes meet "database is locked" for certain.
    db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    deadline = time.monotonic() + float(sys.argv[2])
    print("locking", flush=True)
    while time.monotonic() < deadline:
        db.execute("BEGIN IMMEDIATE")
        time.sleep(0.05)
        db.execute("COMMIT")
        time.sleep(0.02)
    """
)


def _start_locker(path: str, seconds: float) -> subprocess.Popen[str]:
    """The LOCKER process, returned once it is taking the lock."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locking"
    return locker


def test_concurrent_writer_processes_on_sqlite_lose_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Four SDK processes write to one SQLite file while a fifth keeps taking its write
    lock. With a 1 ms busy timeout, "database is locked" is certain; it must be retried
    (by the store, then by the SDK), never dropped: every id stored once, every label
    on its prediction, nothing rejected, dropped or left in a spool."""
    store = Store(sqlite_url)
    store.upgrade()
    store.models.create("m", "binary")
    n, procs = 3000, 4
    env = {**os.environ, "STEWARD_SQLITE_BUSY_TIMEOUT_MS": "1"}
    path = sqlite_url.removeprefix("sqlite:///")
    locker = _start_locker(path, 6)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url, str(tmp_path / f"spool{k}"), str(k), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(procs)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    locker.communicate(timeout=30)  # and close its pipe
    assert [w.returncode for w in workers] == [0] * procs, [err[-2000:] for _, err in outputs]
    stats = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert all(s["rejected"] == 0 and s["dropped"] == 0 for s in stats), stats
    retried = sum(err.count("database locked, retrying") for _, err in outputs)
    assert retried + sum(s["spooled"] for s in stats) > 0  # the lock was met, and survived
    rows = store.events.window(
        store.models.id_of("m"), datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(1)
    )
    expected = {f"w{k}-{i}" for k in range(procs) for i in range(n)}
    assert len(rows["id"]) == n * procs and set(rows["id"]) == expected
    labels = {pid: y for pid, y in zip(rows["id"], rows["label"], strict=True) if y is not None}
    assert labels == {f"w{k}-{i}": k for k in range(procs) for i in range(0, n, 100)}
    left = [p for k in range(procs) for p in (tmp_path / f"spool{k}").rglob("*.json")]
    assert left == []  # nothing left waiting in a spool
    store.close()


def test_two_servers_on_one_sqlite_file_lose_nothing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``steward serve`` processes on one SQLite file (1 ms busy timeout), each fed by
    its own SDK, while a third process keeps taking the write lock: every prediction and
    label is stored once."""
    store = Store(sqlite_url)
    store.upgrade()
    store.models.create("m", "binary")
    _, token = store.keys.create("svc", "ingest")
    path = sqlite_url.removeprefix("sqlite:///")
    monkeypatch.setenv("STEWARD_SQLITE_BUSY_TIMEOUT_MS", "1")  # passed on to the servers
    servers = []
    for k in range(2):
        (tmp_path / f"home{k}").mkdir()
        servers.append(ServerProcess(tmp_path / f"home{k}", args=("--database", sqlite_url)))
    with ThreadPoolExecutor(2) as pool:  # both start at once (each takes seconds)
        list(pool.map(ServerProcess.start, servers))
    locker = _start_locker(path, 3)
    n = 3000
    monitors = [
        Monitor("m", url=s.url, api_key=token, spool_dir=tmp_path / f"spool{k}", batch_size=100,
                flush_interval=0.01, backoff=0.02, max_backoff=0.2, timeout=10)
        for k, s in enumerate(servers)
    ]  # fmt: skip
    try:
        for i in range(n):
            for k, mon in enumerate(monitors):
                mon.log_prediction({"x": float(i)}, 1, id=f"s{k}-{i}")
                if i % 100 == 0:
                    mon.log_label(f"s{k}-{i}", k)
            if i % 500 == 0:
                time.sleep(0.01)
        assert all(mon.flush(timeout=120) for mon in monitors), [m.stats for m in monitors]
    finally:
        for mon in monitors:
            mon.close(timeout=5)
        for server in servers:
            server.stop()
        locker.communicate(timeout=30)  # and close its pipe
    retried = sum(s.log().count("database locked, retrying") for s in servers)
    assert retried > 0  # the servers met the lock, and retried
    assert all(m.stats["rejected"] == 0 and m.stats["dropped"] == 0 for m in monitors)
    rows = store.events.window(
        store.models.id_of("m"), datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(1)
    )
    assert len(rows["id"]) == 2 * n
    assert set(rows["id"]) == {f"s{k}-{i}" for k in range(2) for i in range(n)}
    labels = {pid: y for pid, y in zip(rows["id"], rows["label"], strict=True) if y is not None}
    assert labels == {f"s{k}-{i}": k for k in range(2) for i in range(0, n, 100)}
    store.close()


EXITING = textwrap.dedent(
    """
    import sys
    from modelsteward.sdk import Monitor
    mon = Monitor("m", database_url=sys.argv[1], spool_dir=sys.argv[2], flush_interval=60)
    for i in range(500):
        mon.log_prediction({"x": i}, 1, id=f"e{i}")
    # no flush, no close: the interpreter exits and the monitor flushes on its way out
    """
)


def test_flushes_at_exit(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    store.models.create("m", "binary")
    done = subprocess.run(
        [sys.executable, "-c", EXITING, sqlite_url, str(tmp_path / "spool")], timeout=120
    )
    assert done.returncode == 0
    assert store.models.stats("m").predictions == 500
    store.close()
