from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from modelsteward.store import PredictionRecord, Store

D0 = datetime(2026, 1, 10, 23, 0, tzinfo=UTC)


def test_raw_features_are_retained_per_day_and_pruned(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url, feature_dir=tmp_path / "features")
    store.upgrade()
    store.models.create("m", "binary")
    recs = [
        PredictionRecord(id=f"p{i}", timestamp=D0 + timedelta(minutes=30 * i), features={"x": i})
        for i in range(4)
    ]
    store.ingest_predictions("m", recs)
    store.ingest_predictions("m", recs[:2])  # resent: nothing archived twice
    table = pa.table({"x": [10, 11], "c": ["a", "b"]})
    more = [PredictionRecord(id=f"q{i}", timestamp=D0 + timedelta(days=1)) for i in range(2)]
    store.ingest_predictions("m", more, features=table, validated=True)
    archive = store.features
    assert archive is not None
    assert [d.isoformat() for d in archive.days("m")] == ["2026-01-10", "2026-01-11"]
    got = archive.read("m", D0 - timedelta(days=1), D0 + timedelta(days=3))
    assert got is not None and sorted(got.column("prediction_id").to_pylist()) == [
        "p0",
        "p1",
        "p2",
        "p3",
        "q0",
        "q1",
    ]
    first_day = archive.read("m", D0, D0 + timedelta(hours=1))
    assert first_day is not None and first_day.column("x").to_pylist() == [0, 1]
    assert archive.prune(D0 + timedelta(days=2), keep_days=1) == 1
    assert [d.isoformat() for d in archive.days("m")] == ["2026-01-11"]
    store.close()


def test_retention_is_off_by_default(store: Store) -> None:
    assert store.features is None
