"""``steward serve --workers 2``: every row stored once and counted once in /metrics."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelsteward.store import Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, Store]]:
    store = Store(db_url)
    store.upgrade()
    store.models.create("m", "binary")
    _, token = store.keys.create("k", "admin")
    port = _free_port()
    env = {**os.environ, "STEWARD_HOME": str(tmp_path), "STEWARD_EVALUATION_INTERVAL_SECONDS": "0"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-c", "from modelsteward.cli import run; run()", "serve"),
            *("--port", str(port), "--database", db_url, "--workers", "2"),
        ],
        env=env,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (
                tmp_path / "server.log"
            ).read_text()
            time.sleep(0.2)
        yield url, token, store
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
        store.close()


def _counter(text: str, name: str) -> float:
    return sum(
        s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name == name and s.labels.get("model") == "m"
    )


def test_two_workers_store_and_count_every_row_once(served: tuple[str, str, Store]) -> None:
    url, token, store = served
    headers = {"Authorization": f"Bearer {token}"}
    batches = [
        [{"id": f"b{b}-{i}", "version": "v1", "latency_ms": 2.0} for i in range(50)]
        for b in range(12)
    ]
    answers: list[dict[str, object]] = []

    def send(part: list[list[dict[str, object]]]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for rows in part:
                r = client.post("/api/v1/models/m/predictions", json=rows)
                assert r.status_code == 200, r.text
                answers.append(r.json())
                # the same batch again: reported as duplicates, stored once
                again = client.post("/api/v1/models/m/predictions", json=rows).json()
                assert again == {"accepted": 0, "duplicates": [row["id"] for row in rows]}

    threads = [threading.Thread(target=send, args=(batches[k::3],)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(a["accepted"] for a in answers) == 600  # type: ignore[misc]
    assert store.models.stats("m").predictions == 600
    # whichever worker answers the scrape, the counters are the sum over both
    for _ in range(6):
        text = httpx.get(f"{url}/metrics", timeout=10).text
        assert _counter(text, "steward_predictions_total") == 600
        assert _counter(text, "steward_duplicate_predictions_total") == 600
        assert _counter(text, "steward_prediction_latency_seconds_count") == 600


def test_one_process_holds_the_scheduler_lock(tmp_path: Path) -> None:
    from modelsteward.server._app import _try_lock

    first = _try_lock(tmp_path / "scheduler.lock")
    assert first is not None
    code = (
        "import sys; from pathlib import Path; from modelsteward.server._app import _try_lock; "
        "sys.exit(0 if _try_lock(Path(sys.argv[1])) is None else 1)"
    )
    held = [sys.executable, "-c", code, str(tmp_path / "scheduler.lock")]
    assert subprocess.run(held, check=False).returncode == 0  # another process: refused
    first.close()
    assert subprocess.run(held, check=False).returncode == 1  # released: taken
