from __future__ import annotations

import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelsteward.sdk import Monitor, RetryableError
from modelsteward.server import create_app
from modelsteward.settings import Settings
from modelsteward.store import Store


@pytest.fixture
def model(store: Store) -> Store:
    store.models.create("m", "binary")
    return store


def test_local_predictions_labels_and_flush(model: Store, tmp_path: Path) -> None:
    with Monitor("m", store=model, spool_dir=tmp_path, flush_interval=0.05) as mon:
        ids = [
            mon.log_prediction({"x": i, "c": "a"}, i % 2, score=0.5, latency_ms=1.0, version="v1")
            for i in range(2500)
        ]
        mon.log_prediction({"x": 1}, 1, id="given", segment="eu")
        for pid in ids[:100]:
            mon.log_label(pid, 1)
        mon.log_label("given", 0)
        assert mon.flush(timeout=30)
    assert len(set(ids)) == 2500
    assert ids == sorted(ids)  # time-ordered: each lands at the end of the unique index
    assert all(uuid.UUID(hex=pid).version == 7 for pid in ids)
    stats = model.models.stats("m")
    assert (stats.predictions, stats.labels) == (2501, 101)
    assert model.models.get("m").versions == ("v1",)


def test_watch_records_latency_and_reraises(model: Store, tmp_path: Path) -> None:
    mon = Monitor("m", store=model, spool_dir=tmp_path, flush_interval=0.05)

    @mon.watch
    def predict(features: dict[str, float]) -> int:
        if features["x"] < 0:
            raise ValueError("negative")
        return 1

    @mon.watch(version="v9")
    def predict2(a: float, b: float = 0.0) -> float:
        return a + b

    assert predict({"x": 1.0}) == 1
    with pytest.raises(ValueError, match="negative") as info:
        predict({"x": -1.0})
    assert info.type is ValueError
    assert predict2(1.0, b=2.0) == 3.0
    assert predict.__name__ == "predict"
    assert mon.flush(timeout=10)
    mon.close()
    w = model.events.window(model.models.id_of("m"), *_day(), version=None)
    assert sorted(w["error"]) == [False, False, True]
    assert all(lat is not None and lat >= 0 for lat in w["latency_ms"])
    assert "v9" in w["version"]


def _day() -> tuple[Any, Any]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(days=1)


class _Flaky:
    """Fails the first ``fails`` sends, then stores into ``sink``."""

    def __init__(self, fails: int) -> None:
        self.fails = fails
        self.sink: list[dict[str, Any]] = []
        self.calls = 0

    def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise RetryableError("down")
        self.sink.extend(rows)

    def close(self) -> None:
        pass


def test_retries_then_delivers(tmp_path: Path) -> None:
    t = _Flaky(fails=2)
    mon = Monitor("m", transport=t, spool_dir=tmp_path, backoff=0.01, flush_interval=0.01)
    mon.log_prediction({"x": 1}, 1, id="a")
    assert mon.flush(timeout=10)
    mon.close()
    assert [r["id"] for r in t.sink] == ["a"] and mon.stats["spooled"] == 0


def test_spools_when_down_and_a_new_process_resends(model: Store, tmp_path: Path) -> None:
    down = Monitor(
        "m",
        url="http://127.0.0.1:1",
        spool_dir=tmp_path,
        max_retries=1,
        backoff=0.01,
        flush_interval=0.01,
    )
    for i in range(300):
        down.log_prediction({"x": i}, 0, id=f"p{i}")
    down.log_label("p1", 1)
    assert not down.flush(timeout=0.5)
    down.close(timeout=0.5)
    assert list((tmp_path / "m").glob("*.json"))
    assert model.models.stats("m").predictions == 0

    again = Monitor("m", store=model, spool_dir=tmp_path, flush_interval=0.01)
    assert again.flush(timeout=20)
    again.close()
    assert model.models.stats("m").predictions == 300
    assert model.models.stats("m").labels == 1
    assert not list((tmp_path / "m").glob("*.json"))


def test_remote_drops_only_invalid_rows(model: Store, tmp_path: Path) -> None:
    app = create_app(Settings(home=str(tmp_path), migrate_on_start=False), store=model, dev=True)
    with TestClient(app) as client:
        mon = Monitor(
            "m",
            url="http://testserver",
            http_client=client,
            spool_dir=tmp_path,
            flush_interval=0.01,
        )
        mon.log_prediction({"x": 1}, 1, id="ok1")
        mon.log_prediction({"x": 2}, 1, id="bad", latency_ms=-5)
        mon.log_prediction({"x": 3}, 0, id="ok2")
        assert mon.flush(timeout=10)
        mon.close()
    assert model.models.stats("m").predictions == 2
    assert mon.stats["rejected"] == 1


def test_never_raises_nor_blocks(tmp_path: Path) -> None:
    class Boom:
        def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
            raise RuntimeError("unexpected")

        def close(self) -> None:
            raise RuntimeError("also")

    gate = threading.Event()

    class Slow(_Flaky):
        def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
            gate.wait(5)
            super().send(kind, rows)

    mon = Monitor("m", transport=Boom(), spool_dir=tmp_path, flush_interval=0.01)
    assert mon.log_prediction(object(), 1)  # type: ignore[arg-type]
    mon.log_prediction({"x": float("nan"), "o": object()}, {1, 2})
    time.sleep(0.05)
    assert not mon.flush(timeout=0.2)
    mon.close(timeout=0.2)

    slow = Monitor(
        "m2",
        transport=Slow(0),
        spool_dir=tmp_path,
        max_queue=100,
        batch_size=10,
        flush_interval=0.01,
    )
    started = time.perf_counter()
    for i in range(1000):
        slow.log_prediction({"i": i}, 0)
    assert time.perf_counter() - started < 0.5
    assert slow.stats["dropped"] > 0
    gate.set()
    slow.close(timeout=5)


def test_caller_overhead_is_small(tmp_path: Path) -> None:
    mon = Monitor("m", transport=_Flaky(0), spool_dir=tmp_path, flush_interval=0.05)
    features = {"age": 31, "plan": "pro", "income": 52_000.0}
    samples = []
    for _ in range(20):
        t0 = time.perf_counter_ns()
        for _ in range(500):
            mon.log_prediction(features, 1, score=0.9, latency_ms=3.0)
        samples.append((time.perf_counter_ns() - t0) / 500)
    mon.close()
    assert statistics.median(samples) < 50_000  # ns; bench/ingest.py measures it properly


def test_a_batch_refused_without_row_numbers_is_bisected(tmp_path: Path) -> None:
    from modelsteward.sdk import RejectedError

    class Picky(_Flaky):
        def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
            if any(r["id"] == "bad" for r in rows):
                raise RejectedError("422: a value cannot be stored", None)
            super().send(kind, rows)

    t = Picky(0)
    mon = Monitor("m", transport=t, spool_dir=tmp_path, flush_interval=0.01, batch_size=64)
    for i in range(50):
        mon.log_prediction({"x": i}, 1, id="bad" if i == 17 else f"ok{i}")
    assert mon.flush(timeout=10)
    mon.close()
    assert len(t.sink) == 49 and mon.stats["rejected"] == 1


def test_local_store_refusals_cost_only_the_bad_row(model: Store, tmp_path: Path) -> None:
    mon = Monitor("m", store=model, spool_dir=tmp_path, flush_interval=0.01)
    for i in range(20):
        mon.log_prediction({"x": i}, "a\x00b" if i == 5 else i, id=f"r{i}", segment="s")
    mon.log_prediction({"x": 1}, 1, id="neg", latency_ms=-1.0)
    assert mon.flush(timeout=20)
    mon.close()
    stored = model.models.stats("m").predictions
    # SQLite keeps NUL characters; PostgreSQL refuses them and only that row is dropped
    assert stored in (20, 19) and mon.stats["rejected"] == 21 - stored


@pytest.mark.parametrize("remote", [False, True])
def test_a_bad_timestamp_costs_only_its_row(model: Store, tmp_path: Path, remote: bool) -> None:
    """A time that is no date, or that UTC puts past year 9999, is dropped and counted;
    the rest of its batch is stored (they used to be lost with it, or stuck in the spool
    behind it, while flush still said True)."""
    from datetime import datetime, timedelta, timezone

    app = create_app(Settings(home=str(tmp_path), migrate_on_start=False), store=model, dev=True)
    with TestClient(app) as client:
        where: dict[str, Any] = {"url": "http://testserver", "http_client": client}
        mon = Monitor("m", **(where if remote else {"store": model}), spool_dir=tmp_path)
        year_10000 = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-14)))
        for i in range(50):
            mon.log_prediction({"x": i}, 1, id=f"g{i}")
        mon.log_prediction({"x": 1}, 1, id="far", timestamp=1e20)
        mon.log_prediction({"x": 1}, 1, id="late", timestamp=year_10000)
        mon.log_prediction({"x": 1}, 1, id="text", timestamp="yesterday")  # type: ignore[arg-type]
        mon.log_label("g0", 1, timestamp=year_10000)
        for i in range(50):
            mon.log_prediction({"x": i}, 1, id=f"h{i}")
        assert mon.flush(timeout=20)
        mon.close()
    assert mon.stats["rejected"] == 4 and mon.stats["spooled"] == 0
    assert model.models.stats("m").predictions == 100
    assert not list(tmp_path.rglob("*.json"))
