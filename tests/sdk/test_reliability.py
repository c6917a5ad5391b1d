"""The SDK loses nothing: a server SIGKILLed mid-stream, many processes on one SQLite file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
    import sys
    from modelsteward.sdk import Monitor
    url, spool, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mon = Monitor("m", database_url=url, spool_dir=spool, batch_size=50, flush_interval=0.01)
    for i in range(n):
        mon.log_prediction({"x": float(i)}, 0, id=f"w{k}-{i}")
        if i % 500 == 0:
            mon.log_label(f"w{k}-{i}", 1)
    ok = mon.flush(timeout=120)
    mon.close()
    sys.exit(0 if ok else 3)
    """
)


def test_concurrent_writer_processes_on_sqlite_lose_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    store.models.create("m", "binary")
    n, procs = 3000, 4
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url, str(tmp_path / f"spool{k}"), str(k), str(n)]
        )
        for k in range(procs)
    ]
    assert [w.wait(180) for w in workers] == [0] * procs
    stats = store.models.stats("m")
    assert stats.predictions == n * procs
    assert stats.labels == procs * len(range(0, n, 500))
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
