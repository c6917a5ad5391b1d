from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from modelsteward.store import BatchError, LabelRecord, NotFoundError, PredictionRecord, Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _preds(ids: list[str], **kw: object) -> list[PredictionRecord]:
    return [PredictionRecord(id=i, timestamp=T0, prediction=1, **kw) for i in ids]  # type: ignore[arg-type]


def test_ingest_is_idempotent_by_id(store: Store) -> None:
    store.models.create("m", "binary")
    r1 = store.ingest_predictions("m", _preds(["a", "b", "c"]))
    assert r1.accepted == 3 and r1.duplicates == []
    r2 = store.ingest_predictions("m", _preds(["c", "d", "d"]))
    assert r2.accepted == 1 and r2.duplicates == ["c", "d"]
    assert store.models.stats("m").predictions == 4


def test_ids_are_unique_per_model_not_globally(store: Store) -> None:
    store.models.create("m1", "binary")
    store.models.create("m2", "binary")
    assert store.ingest_predictions("m1", _preds(["a"])).accepted == 1
    assert store.ingest_predictions("m2", _preds(["a"])).accepted == 1


def test_fields_round_trip_and_timestamps_are_utc(store: Store) -> None:
    store.models.create("m", "multiclass")
    ts = datetime(2026, 1, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    store.ingest_predictions(
        "m",
        [
            PredictionRecord(
                id="x",
                timestamp=ts,
                prediction="cat",
                score={"cat": 0.7, "dog": 0.3},
                latency_ms=3.5,
                version="v1",
                error=False,
                segment="eu",
            )
        ],
    )
    w = store.events.window(store.models.id_of("m"), T0, T0 + timedelta(hours=1))
    assert w["id"] == ["x"]
    assert w["timestamp"][0] == T0 + timedelta(minutes=30)
    assert w["timestamp"][0].tzinfo is not None and w["timestamp"][0].utcoffset() == timedelta(0)
    assert w["prediction"] == ["cat"] and w["score"] == [{"cat": 0.7, "dog": 0.3}]
    assert w["latency_ms"] == [3.5] and w["segment"] == ["eu"] and w["version"] == ["v1"]
    assert w["label"] == [None]


def test_labels_late_and_out_of_order(store: Store) -> None:
    store.models.create("m", "binary")
    # the label for "b" arrives before its prediction
    store.ingest_labels("m", [LabelRecord(id="b", label=0)])
    store.ingest_predictions("m", _preds(["a", "b"]))
    store.ingest_labels("m", [LabelRecord(id="a", label=1), LabelRecord(id="a", label=0)])
    store.ingest_labels("m", [LabelRecord(id="b", label=1)])  # a correction replaces
    w = store.events.window(store.models.id_of("m"), T0, T0 + timedelta(seconds=1))
    assert dict(zip(w["id"], w["label"], strict=True)) == {"a": 0, "b": 1}
    assert store.models.stats("m").labels == 2


def test_bad_rows_reject_the_whole_batch(store: Store) -> None:
    store.models.create("m", "binary")
    rows = [
        *_preds(["ok"]),
        PredictionRecord(id="", timestamp=T0),
        PredictionRecord(id="x" * 300, timestamp=T0),
        PredictionRecord(id="neg", timestamp=T0, latency_ms=-1.0),
        PredictionRecord(id="naive", timestamp=datetime(2026, 1, 1)),
    ]
    with pytest.raises(BatchError) as info:
        store.ingest_predictions("m", rows)
    assert [(e["row"], e["field"]) for e in info.value.errors] == [
        (1, "id"),
        (2, "id"),
        (3, "latency_ms"),
        (4, "timestamp"),
    ]
    assert store.models.stats("m").predictions == 0


def test_times_outside_the_storable_range_are_refused_by_the_store(store: Store) -> None:
    # Every ingest path goes through the store: the in-process SDK and the demo too.
    store.models.create("m", "binary")
    early = datetime(1, 1, 1, tzinfo=UTC)
    late = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=14)))
    rows = [
        *_preds(["ok"]),
        PredictionRecord(id="a", timestamp=early),
        PredictionRecord(id="b", timestamp=late),
    ]
    with pytest.raises(BatchError) as info:
        store.ingest_predictions("m", rows)
    errors = [(e["row"], e["field"]) for e in info.value.errors]
    assert errors == [(1, "timestamp"), (2, "timestamp")]
    assert store.models.stats("m").predictions == 0
    with pytest.raises(BatchError) as labels:
        store.ingest_labels("m", [LabelRecord(id="ok", label=1, timestamp=early)])
    assert labels.value.errors[0]["field"] == "timestamp"


def test_unknown_model_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.ingest_predictions("ghost", _preds(["a"]))


def test_stats(store: Store) -> None:
    store.models.create("m", "binary")
    store.ingest_predictions("m", [*_preds(["a", "b"]), *_preds(["c"], error=True)])
    s = store.models.stats("m")
    assert (s.predictions, s.errors, s.labels) == (3, 1, 0)
    assert s.first_prediction == T0


def test_concurrent_threads_lose_nothing(store: Store) -> None:
    store.models.create("m", "binary")

    def write(k: int) -> None:
        for b in range(5):
            store.ingest_predictions("m", _preds([f"{k}-{b}-{i}" for i in range(100)]))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.models.stats("m").predictions == 2000
