"""Columnar ingest (``Store.ingest_batch``): duplicates, odd values, profiles, pragmas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.profiles import TableProfile, profile_table
from modelsteward.store import PredictionBatch, PredictionRecord, Store, _profiling
from modelsteward.store._batch import TIMESTAMP, features_table, json_column, json_texts

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _batch(ids: list[str], features: pa.Table | None = None) -> PredictionBatch:
    n = len(ids)
    return PredictionBatch(
        ids=pa.array(ids, pa.string()),
        timestamps=pa.array([T0] * n, TIMESTAMP),
        prediction=pa.array(["1"] * n, pa.string()),
        score=pa.nulls(n, pa.string()),
        latency_ms=pa.array([1.5] * n, pa.float64()),
        version=pa.array(["v1"] * n, pa.string()),
        error=pa.array([False] * n, pa.bool_()),
        segment=pa.nulls(n, pa.string()),
        features=features,
    )


def test_batch_reports_which_rows_were_stored(store: Store) -> None:
    store.models.create("m", "binary")
    result, stored = store.ingest_batch("m", _batch(["a", "b", "c"]))
    assert result.accepted == 3 and stored.tolist() == [True, True, True]
    result, stored = store.ingest_batch("m", _batch(["c", "d", "d", "e", "a"]))
    assert result.accepted == 2 and result.duplicates == ["c", "d", "a"]
    assert stored.tolist() == [False, True, False, True, False]
    assert store.models.stats("m").predictions == 5


def test_profiles_count_only_the_rows_stored(store: Store) -> None:
    """Profiles are made before the transaction for a batch of new rows; a batch with
    duplicates is profiled again over the rows actually stored."""
    store.models.create("m", "binary")
    store.ingest_batch("m", _batch(["a", "b"], pa.table({"x": [1.0, 2.0]})))
    store.ingest_batch("m", _batch(["b", "c", "c"], pa.table({"x": [2.0, 3.0, 30.0]})))
    profile, rows = store.merged_profile("m", T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert rows == 3 and profile is not None
    parsed = TableProfile.from_json(profile)
    assert parsed["x"].count == 3 and parsed["x"].moments is not None
    assert parsed["x"].moments.mean == pytest.approx(2.0)


def test_rows_without_features_stay_out_of_the_profile(store: Store) -> None:
    store.models.create("m", "binary")
    records = [
        PredictionRecord(id="a", timestamp=T0, features={"x": 1.0}),
        PredictionRecord(id="b", timestamp=T0),
        PredictionRecord(id="c", timestamp=T0, features={"x": 3.0, "c": "u"}),
    ]
    assert store.ingest_predictions("m", records).accepted == 3
    profile, rows = store.merged_profile("m", T0, T0 + timedelta(hours=1))
    assert rows == 2 and profile is not None
    assert TableProfile.from_json(profile)["x"].count == 2


def test_odd_text_round_trips(store: Store) -> None:
    """Quotes, commas, newlines and non-ASCII text survive the CSV COPY (PostgreSQL) and
    the prepared insert (SQLite) alike."""
    store.models.create("m", "multiclass")
    odd = 'a "quoted", comma\nnew line; naïve ✓ \\ back'
    records = [
        PredictionRecord(
            id=odd, timestamp=T0, prediction=odd, score={"k,\n": 0.5}, segment=odd, version=odd
        ),
        PredictionRecord(id="n", timestamp=T0, prediction=None, latency_ms=None),
        PredictionRecord(id="f", timestamp=T0, prediction=0.1, score=[1e-05, 2.5], error=True),
    ]
    assert store.ingest_predictions("m", records).accepted == 3
    w = store.events.window(store.models.id_of("m"), T0, T0 + timedelta(seconds=1))
    got = {
        i: (p, s, seg)
        for i, p, s, seg in zip(w["id"], w["prediction"], w["score"], w["segment"], strict=True)
    }
    assert got[odd] == (odd, {"k,\n": 0.5}, odd)
    assert got["n"] == (None, None, None)
    assert got["f"] == (0.1, [1e-05, 2.5], None)
    assert w["error"][w["id"].index("f")] is True
    assert store.models.get("m").versions == (odd,)


def test_a_bucket_written_by_another_store_is_merged_from_what_is_stored(db_url: str) -> None:
    """The parsed-profile cache is used only while the stored text is the one this store
    wrote; a write by another process (here: another Store) is read afresh."""
    a, b = Store(db_url), Store(db_url)
    a.upgrade()
    a.models.create("m", "binary")
    feats = pa.table({"x": [1.0, 2.0]})
    a.ingest_batch("m", _batch(["a1", "a2"], feats))
    b.ingest_batch("m", _batch(["b1", "b2"], feats))
    a.ingest_batch("m", _batch(["a3", "a4"], feats))
    profile, rows = a.merged_profile("m", T0, T0 + timedelta(hours=1))
    assert rows == 6 and profile is not None
    assert TableProfile.from_json(profile)["x"].count == 6
    a.close()
    b.close()


def test_merging_parsed_profiles_writes_what_merging_text_writes() -> None:
    rng = np.random.default_rng(1)

    def table(n: int) -> pa.Table:
        return pa.table(
            {
                "a": rng.normal(size=n),
                "n": rng.integers(0, 17, n),
                "plan": rng.choice(["x", "y"] + [f"c{i}" for i in range(1500)], n),
            }
        )

    for reference in (None, profile_table(table(3000))):
        first = _profiling.profile_batch(table(500), reference)
        assert first is not None
        text = old = first.to_json()
        parsed: TableProfile | None = first
        for i in range(12):
            batch = _profiling.profile_batch(table(400 + i), reference)
            assert batch is not None
            text, parsed = _profiling.merge_parsed(text, parsed, batch)
            old = _profiling.merge_profiles(old, batch.to_json())
        ours, theirs = json.loads(text), json.loads(old)
        ours.pop("created_at")
        theirs.pop("created_at")
        assert ours == theirs


def test_json_column_reads_back_as_the_same_values() -> None:
    """Floats are written column-wise (not with ``repr``): each text must read back as
    the very same float (never an int), NaN and infinities as null."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=5000) * 10.0 ** rng.integers(-30, 30, 5000)
    special = [0.0, -0.0, 1.0, 1e15, 1e16, 2.0**60, 5e-324, 1.7976931348623157e308, 1e-05]
    floats = [*values.tolist(), *special]
    texts = json_column(pa.array(floats)).to_pylist()
    back = [json.loads(t) for t in texts]
    assert back == floats and all(type(v) is float for v in back)
    assert json_column(pa.array([float("nan"), float("-inf"), None])).to_pylist() == [
        "null",
        "null",
        None,
    ]
    assert json_column(pa.array([True, None, False])).to_pylist() == ["true", None, "false"]
    assert json_column(pa.array([[1, 2], None])).to_pylist() == ["[1, 2]", None]
    assert json_column(pa.array(["x"]).dictionary_encode()).to_pylist() == ['"x"']
    assert json_column(pa.array([2**63 - 1, -1])).to_pylist() == [str(2**63 - 1), "-1"]


def test_features_table_falls_back_per_column() -> None:
    assert features_table([{"x": 1, "y": True}, {"x": 2.5}]).to_pydict() == {
        "x": [1.0, 2.5],
        "y": [True, None],
    }
    assert features_table([{"x": True}, {"x": 1}]).to_pydict() == {"x": ["True", "1"]}


def test_sqlite_connections_get_the_ingest_pragmas(tmp_path: object) -> None:
    from modelsteward.store._engine import SQLITE_CACHE_KIB, SQLITE_WAL_CHECKPOINT_PAGES

    store = Store(f"sqlite:///{tmp_path}/s.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
        assert (
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            == SQLITE_WAL_CHECKPOINT_PAGES
        )
    store.close()


def test_sqlite_writers_of_several_processes_queue_on_a_file_lock(tmp_path: object) -> None:
    """While one process writes, another cannot take the lock beside the database file
    (it queues there instead of polling in SQLite's busy handler)."""
    import fcntl
    from pathlib import Path

    from modelsteward.store._engine import write_tx

    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.upgrade()
    lock = Path(f"{tmp_path}/s.db-steward-write.lock")

    def free() -> bool:
        with lock.open("ab") as other:  # another open file: like another process
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    with write_tx(store.engine):
        assert not free()
    assert free()
    store.close()


@pytest.mark.parametrize(
    "values",
    [
        [1, None, -3, 2**63 - 1],
        [2**70, 1],
        [0.5, None, 1.0, 1e-05, float("nan")],
        ["a", None, 'q"uote\n', "ünï"],
        [True, False, None],
        [1, 2.5],
        [1, True],
        [{"a": 1}, [1, 2], None],
    ],
)
def test_json_texts_read_back_as_the_values(values: list[object]) -> None:
    """Column-wise or value by value, every text reads back as its value, of its type
    (an int stays an int next to floats; NaN becomes null)."""
    texts = json_texts(values).to_pylist()
    for value, text in zip(values, texts, strict=True):
        if value is None:
            assert text is None
            continue
        back = json.loads(text)
        if isinstance(value, float) and value != value:
            assert back is None
        else:
            assert back == value and type(back) is type(value)


def test_versions_are_recorded_once_and_new_ones_still_are(store: Store) -> None:
    store.models.create("m", "binary")
    store.ingest_predictions("m", [PredictionRecord(id="a", timestamp=T0, version="v1")])
    store.ingest_predictions("m", [PredictionRecord(id="b", timestamp=T0, version="v1")])
    store.ingest_predictions(
        "m",
        [
            PredictionRecord(id="c", timestamp=T0, version="v2"),
            PredictionRecord(id="d", timestamp=T0, version="v1"),
        ],
    )
    assert store.models.get("m").versions == ("v1", "v2")


def test_sqlite_takes_the_row_count_fast_path_unless_an_id_repeats(tmp_path: object) -> None:
    from unittest import mock

    from modelsteward.store._repos import _events

    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.upgrade()
    store.models.create("m", "binary")
    with mock.patch.object(_events, "_insert_sql", wraps=_events._insert_sql) as slow:
        store.ingest_batch("m", _batch([f"a{i}" for i in range(50)]))
        assert slow.call_count == 0  # every row new: one executemany, no RETURNING
        result, _ = store.ingest_batch("m", _batch(["a49", "b1"]))
        assert slow.call_count == 1 and result.duplicates == ["a49"]
    store.close()


def test_a_postgresql_deadlock_in_the_copy_is_retried(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's COPY path")
    from unittest import mock

    import psycopg

    from modelsteward.store._repos import _events

    store.models.create("m", "binary")
    real = _events._copy_insert_raw
    calls = []

    def deadlock_once(*args: object) -> np.ndarray:
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return real(*args)  # type: ignore[arg-type]

    with mock.patch.object(_events, "_copy_insert_raw", deadlock_once):
        result, _ = store.ingest_batch("m", _batch(["a", "b"]))
    assert len(calls) == 2 and result.accepted == 2
    assert store.models.stats("m").predictions == 2
