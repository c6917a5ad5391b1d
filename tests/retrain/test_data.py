from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import DataReadError, ParameterError, SchemaError
from modelsteward.retrain import (
    AllHistory,
    ReferencePlusRecent,
    SlidingWindow,
    TrainingDataError,
    build_training_data,
    fingerprint,
    join_labels,
    load_partitions,
)

T0 = datetime(2026, 2, 1, tzinfo=UTC)
N = 100


def features(n: int = N, start: int = 0) -> pa.Table:
    i = np.arange(start, start + n)
    return pa.table(
        {
            "id": pa.array([f"p{k}" for k in i]),
            "timestamp": pa.array(
                [T0 + timedelta(hours=int(k)) for k in i], pa.timestamp("us", tz="UTC")
            ),
            "x": i.astype(float),
            "segment": pa.array((["a", "b"] * n)[:n]),
        }
    )


def labels(ids: list[int]) -> pa.Table:
    return pa.table({"id": [f"p{k}" for k in ids], "y": [k % 2 for k in ids]})


ALL = labels(list(range(N)))


def test_join_is_by_id_last_label_wins_unlabeled_drop() -> None:
    lab = pa.table({"id": ["p3", "p1", "p3", "p7"], "y": [0, 1, 1, None]})
    joined = join_labels(features(10), lab, label="y").sort_by("id")
    assert joined["id"].to_pylist() == ["p1", "p3"]
    assert joined["y"].to_pylist() == [1, 1]


def test_join_casts_ids_and_rejects_missing_columns() -> None:
    f = features(4).set_column(0, "id", pa.array([1, 2, 3, 4]))
    lab = pa.table({"id": ["2", "4"], "y": [0, 1]})
    assert sorted(join_labels(f, lab, label="y")["id"].to_pylist()) == [2, 4]
    with pytest.raises(SchemaError, match="no column 'y'"):
        join_labels(features(4), pa.table({"id": ["p1"]}), label="y")


def test_all_history_holds_out_the_most_recent_labeled_rows() -> None:
    data = build_training_data(features(), ALL, AllHistory(), label="y", holdout=0.2)
    assert data.holdout.num_rows == 20 and data.train.num_rows == 80
    assert data.train.column_names == ["x", "segment", "y"]
    assert data.holdout["x"].to_pylist() == [float(k) for k in range(80, 100)]
    assert data.window["holdout_start"] == (T0 + timedelta(hours=80)).isoformat()
    assert data.window["train_end"] == (T0 + timedelta(hours=79)).isoformat()
    lineage = data.lineage()
    assert lineage["strategy"] == "AllHistory" and len(lineage["train_fingerprint"]) == 64
    assert lineage["features"] == ["x", "segment"]


def test_holdout_by_rows_and_by_time_span() -> None:
    by_rows = build_training_data(features(), ALL, AllHistory(), label="y", holdout=7)
    assert by_rows.holdout.num_rows == 7
    by_span = build_training_data(
        features(), ALL, AllHistory(), label="y", holdout=timedelta(hours=10)
    )
    assert by_span.holdout.num_rows == 10  # rows strictly after the last minus 10 h


def test_sliding_window_span_and_rows() -> None:
    span = build_training_data(
        features(), ALL, SlidingWindow(span=timedelta(hours=24)), label="y", holdout=10
    )
    assert span.train["x"].to_pylist() == [float(k) for k in range(66, 90)]
    rows = build_training_data(features(), ALL, SlidingWindow(rows=5), label="y", holdout=10)
    assert rows.train["x"].to_pylist() == [85.0, 86.0, 87.0, 88.0, 89.0]
    with pytest.raises(ParameterError):
        SlidingWindow()


def test_reference_plus_recent() -> None:
    ref = pa.table({"x": [-1.0, -2.0], "segment": ["a", "a"], "y": [0, 0], "extra": [1, 2]})
    data = build_training_data(
        features(), ALL, ReferencePlusRecent(ref, timedelta(hours=5)), label="y", holdout=10
    )
    assert data.train["x"].to_pylist() == [-1.0, -2.0, 85.0, 86.0, 87.0, 88.0, 89.0]
    bad = pa.table({"x": [1.0], "y": [0]})
    with pytest.raises(SchemaError, match="reference data have no column 'segment'"):
        build_training_data(
            features(), ALL, ReferencePlusRecent(bad, timedelta(hours=5)), label="y", holdout=10
        )


def test_label_column_already_in_features_and_explicit_feature_columns() -> None:
    table = features().append_column("y", pa.array([k % 3 for k in range(N)]))
    data = build_training_data(
        table, None, AllHistory(), label="y", holdout=10, feature_columns=["x"]
    )
    assert data.train.column_names == ["x", "y"] and data.train.num_rows == 90


def test_directory_of_parquet_partitions(tmp_path: Path) -> None:
    for day in range(4):
        folder = tmp_path / f"date=2026-02-0{day + 1}"
        folder.mkdir()
        pq.write_table(features(25, start=25 * day), folder / "part-0.parquet")
    loaded = load_partitions(tmp_path)
    assert loaded.num_rows == 100 and "date" not in loaded.column_names
    data = build_training_data(tmp_path, ALL, AllHistory(), label="y", holdout=0.1)
    assert data.train.num_rows == 90
    files = sorted(tmp_path.glob("*/part-0.parquet"))
    assert load_partitions([files[0], features(3, start=500)]).num_rows == 28


def test_unreadable_sources() -> None:
    with pytest.raises(DataReadError, match="no such file"):
        load_partitions("/nonexistent/partitions")
    with pytest.raises(DataReadError):
        load_partitions([])
    with pytest.raises(SchemaError, match="timestamp"):
        build_training_data(features().drop_columns(["timestamp"]), ALL, AllHistory(), label="y")


def test_too_little_data() -> None:
    with pytest.raises(TrainingDataError, match="No labeled rows"):
        build_training_data(features(), labels([]), AllHistory(), label="y")
    with pytest.raises(TrainingDataError, match="Only 0 training rows"):
        build_training_data(features(), labels([1, 2]), AllHistory(), label="y", holdout=5)
    with pytest.raises(ParameterError):
        build_training_data(features(), ALL, AllHistory(), label="y", holdout=1.5)


def test_fingerprint_changes_with_data() -> None:
    assert fingerprint(pa.table({"a": [1, 2]})) != fingerprint(pa.table({"a": [2, 1]}))


@settings(max_examples=40, deadline=None)
@given(
    labeled=st.sets(st.integers(0, N - 1), min_size=2, max_size=N),
    holdout=st.one_of(
        st.integers(1, 30),
        st.floats(0.05, 0.9),
        st.integers(1, 48).map(lambda h: timedelta(hours=h)),
    ),
    strategy=st.sampled_from(
        [AllHistory(), SlidingWindow(rows=10), SlidingWindow(span=timedelta(hours=12))]
    ),
    shuffle_seed=st.integers(0, 1000),
)
def test_gate_rows_are_never_in_the_training_set(
    labeled: set[int],
    holdout: float | int | timedelta,
    strategy: AllHistory | SlidingWindow,
    shuffle_seed: int,
) -> None:
    table = features()
    table = table.take(np.random.default_rng(shuffle_seed).permutation(N))  # arrival order
    try:
        data = build_training_data(
            table, labels(sorted(labeled)), strategy, label="y", holdout=holdout, min_train_rows=0
        )
    except TrainingDataError:
        return
    train_ids = set(data.train_ids.to_pylist())
    gate_ids = set(data.holdout_ids.to_pylist())
    assert not train_ids & gate_ids
    assert gate_ids <= {f"p{k}" for k in labeled}
    # the held-out rows are the most recent labeled ones
    if train_ids:
        assert max(int(i[1:]) for i in train_ids) < min(int(i[1:]) for i in gate_ids)
    assert data.train.num_rows == len(train_ids)
    assert pc.all(pc.is_valid(data.holdout["y"])).as_py()
