from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelsteward.rollout import (
    Gateway,
    InMemoryModelProvider,
    ModelSpec,
    PredictionSink,
)
from modelsteward.rollout._store_sink import StorePredictionSink
from modelsteward.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/sink.db")
    s.upgrade()
    s.models.create("churn", "binary")
    yield s
    s.close()


def test_gateway_traffic_lands_in_the_store(store: Store) -> None:
    sink = StorePredictionSink(store, batch_size=7)
    assert isinstance(sink, PredictionSink)
    provider = InMemoryModelProvider({"v1": lambda rows: [int(r["x"] > 0) for r in rows]})
    gw = Gateway([ModelSpec("churn", ["x"], provider, "v1")], sink=sink)
    for i in range(20):
        gw.predict("churn", {"x": float(i - 10)}, request_id=f"r{i}")
    gw.predict("churn", [{"x": 1.0}, {"x": -1.0}], request_id="batch")
    assert sink.flush(10.0)
    assert sink.written == 22 and sink.failed == 0
    assert store.models.stats("churn").predictions == 22
    gw.close()
    sink.close()


def test_unknown_model_is_counted_not_raised_and_full_buffer_drops(store: Store) -> None:
    sink = StorePredictionSink(store, max_buffer=3, flush_interval_s=60)
    sink.close()  # writer stopped: the buffer only fills
    for i in range(5):
        sink.record("nope", "v1", {"x": 1}, 0, 1.0, False, f"r{i}")
    assert sink.dropped == 2
    sink2 = StorePredictionSink(store)
    sink2.record("nope", "v1", {"x": 1}, 0, 1.0, False, "q")
    assert sink2.flush(10.0) and sink2.failed == 1
    sink2.close()
