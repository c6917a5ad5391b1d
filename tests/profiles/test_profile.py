from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.errors import DataReadError, ParameterError, SchemaError
from modelsteward.profiles import ColumnProfile, TableProfile, profile_table
from tests.profiles._helpers import max_cdf_error

KINDS = {
    "x": "numeric",
    "n": "numeric",
    "city": "categorical",
    "flag": "boolean",
    "when": "datetime",
    "note": "text",
    "user": "id",
    "blank": "empty",
}


def finite_values(table: pa.Table, name: str, kind: str) -> np.ndarray:
    from modelsteward.profiles._column import column_values

    return column_values(name, kind, table.column(name)).values


def assert_same_profile(a: TableProfile, b: TableProfile, table: pa.Table) -> None:
    """Equal counts, moments and categories; sketches and histograms within their error."""
    assert a.rows == b.rows == table.num_rows
    assert a.column_names == b.column_names == table.column_names
    for name in a.column_names:
        x, y = a[name], b[name]
        assert (x.kind, x.count, x.nulls, x.non_finite) == (y.kind, y.count, y.nulls, y.non_finite)
        if x.categories is not None:
            assert y.categories is not None
            assert x.categories.to_dict() == y.categories.to_dict()
        if x.moments is not None:
            assert y.moments is not None and y.sketch is not None and x.sketch is not None
            assert x.moments.count == y.moments.count
            assert x.moments.mean == pytest.approx(y.moments.mean, rel=1e-9)
            assert x.moments.m2 == pytest.approx(y.moments.m2, rel=1e-9)
            assert (x.min, x.max) == (y.min, y.max)
            values = finite_values(table, name, x.kind)
            for profile in (x, y):
                assert profile.sketch is not None and profile.histogram is not None
                assert max_cdf_error(profile.sketch, values) <= profile.sketch.rank_error
                exact = np.bincount(
                    np.searchsorted(profile.histogram.edges, values, side="right"),
                    minlength=profile.histogram.counts.size,
                )
                np.testing.assert_array_equal(profile.histogram.counts, exact)


def test_kinds_counts_and_summaries(mixed_table: pa.Table) -> None:
    profile = profile_table(mixed_table)
    assert {name: c.kind for name, c in profile.columns.items()} == KINDS
    x = profile["x"]
    raw = mixed_table.column("x").to_numpy(zero_copy_only=False)
    assert x.nulls == mixed_table.column("x").null_count
    assert x.non_finite == int(np.isinf(raw).sum())
    finite = raw[np.isfinite(raw)]
    assert x.moments is not None and x.moments.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert x.histogram is not None and x.histogram.counts.size == 20
    assert profile["user"].moments is None and profile["user"].categories is None
    assert profile["blank"].nulls == profile["blank"].count == mixed_table.num_rows
    when = profile["when"]
    assert when.min == dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp()
    note = profile["note"]
    lengths = np.array([len(s) for s in mixed_table.column("note").to_pylist()])
    assert (note.min, note.max) == (lengths.min(), lengths.max())


@pytest.mark.parametrize("frame", ["arrow", "pandas", "polars", "parquet"])
def test_small_batches_agree_with_one_batch(
    frame: str, mixed_table: pa.Table, tmp_path: Path
) -> None:
    whole = profile_table(mixed_table)
    if frame == "arrow":
        data: object = mixed_table
    elif frame == "pandas":
        data = mixed_table.to_pandas()
    elif frame == "polars":
        import polars as pl

        data = pl.from_arrow(mixed_table)
    else:
        data = tmp_path / "t.parquet"
        pq.write_table(mixed_table, data, row_group_size=1_000)
    done: list[int] = []
    streamed = profile_table(data, batch_size=333, on_batch=done.append)
    assert_same_profile(whole, streamed, mixed_table)
    assert done[-1] == 2 * mixed_table.num_rows  # two passes: edges come from this data
    steps = np.diff([0, *done])
    assert steps.min() > 0 and steps.max() <= 333  # Parquet batches stop at row groups


def test_parquet_is_read_one_row_group_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "groups.parquet"
    pq.write_table(pa.table({"v": np.arange(1_000.0)}), path, row_group_size=100)
    done: list[int] = []
    profile = profile_table(path, batch_size=10_000, on_batch=done.append)
    assert done == list(range(100, 2_001, 100))  # two passes of ten row groups
    assert profile["v"].moments is not None and profile["v"].moments.mean == 499.5


def test_against_a_reference_is_one_pass_and_exactly_binned(mixed_table: pa.Table) -> None:
    reference = profile_table(mixed_table.slice(0, 2_000))
    current_table = mixed_table.slice(2_000)
    done: list[int] = []
    one = profile_table(current_table, reference=reference, on_batch=done.append)
    many = profile_table(current_table, reference=reference, batch_size=101)
    assert done == [current_table.num_rows]
    for name in ("x", "n", "when", "note"):
        ref_hist, cur_hist = reference[name].histogram, one[name].histogram
        assert ref_hist is not None and cur_hist is not None
        np.testing.assert_array_equal(cur_hist.edges, ref_hist.edges)
        other = many[name].histogram
        assert other is not None
        np.testing.assert_array_equal(cur_hist.counts, other.counts)
    merged = reference.merge(one)
    assert merged.rows == mixed_table.num_rows


def test_kinds_from_schema_and_reference() -> None:
    table = pa.table({"code": [1, 2, 2, 3], "v": [1.0, 2.0, 3.0, 4.0]})
    profile = profile_table(table, schema={"code": "categorical"})
    assert profile["code"].kind == "categorical"
    assert profile["code"].categories is not None
    assert profile["code"].categories.to_counts() == {"1": 1, "2": 2, "3": 1}
    again = profile_table(table, reference=profile)
    assert again["code"].kind == "categorical"
    with pytest.raises(SchemaError, match="'v' should hold numeric"):
        profile_table(pa.table({"v": ["a", "b"]}), reference=profile)
    with pytest.raises(ParameterError, match="kind"):
        profile_table(table, schema={"code": "weird"})


def test_kinds_do_not_depend_on_the_batch_size(tmp_path: Path) -> None:
    # The first 50 values are distinct (an "id" on their own); the column repeats later.
    table = pa.table({"code": [f"v{i % 60}" for i in range(600)]})
    path = tmp_path / "codes.parquet"
    pq.write_table(table, path, row_group_size=50)
    for data in (table, path):
        assert profile_table(data, batch_size=50)["code"].kind == "categorical"


def test_a_column_empty_at_the_start_is_inferred_later() -> None:
    values = [None] * 70_000 + [1.5, 2.5]
    profile = profile_table(pa.table({"late": pa.array(values, pa.float64())}), batch_size=50_000)
    late = profile["late"]
    assert late.kind == "numeric" and late.nulls == 70_000 and late.count == 70_002
    assert late.moments is not None and late.moments.mean == 2.0


def test_datetime_units_give_epoch_seconds() -> None:
    stamp = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    for unit in ("s", "ms", "us", "ns"):
        table = pa.table({"t": pa.array([stamp], pa.timestamp(unit, tz="UTC"))})
        assert profile_table(table)["t"].min == stamp.timestamp()
    dates = pa.table({"d": pa.array([dt.date(1970, 1, 2)], pa.date32())})
    assert profile_table(dates)["d"].max == 86_400.0


def test_datetime_text_is_parsed_when_the_schema_says_so() -> None:
    table = pa.table({"t": ["1970-01-01T00:01:00Z", "1970-01-01T02:00:00+01:00", None]})
    profile = profile_table(table, schema={"t": "datetime"})
    assert (profile["t"].min, profile["t"].max, profile["t"].nulls) == (60.0, 3_600.0, 1)
    naive = profile_table(pa.table({"t": ["1970-01-02"]}), schema={"t": "datetime"})
    assert naive["t"].min == 86_400.0
    with pytest.raises(SchemaError, match="'t' should hold datetime"):
        profile_table(pa.table({"t": ["yesterday"]}), schema={"t": "datetime"})


def test_bins_zero_skips_histograms_and_bad_parameters() -> None:
    table = pa.table({"v": np.arange(10.0)})
    done: list[int] = []
    assert profile_table(table, bins=0, on_batch=done.append)["v"].histogram is None
    assert done == [10]
    for kwargs in ({"bins": -1}, {"k": 4}, {"max_categories": 0}, {"batch_size": 0}):
        with pytest.raises(ParameterError, match="parameter of profile_table"):
            profile_table(table, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="reference"):
        profile_table(table, reference="ref.json")  # type: ignore[arg-type]
    with pytest.raises(DataReadError, match="no such file"):
        profile_table("missing.parquet")


def test_empty_table() -> None:
    profile = profile_table(pa.table({"v": pa.array([], pa.float64())}))
    assert profile.rows == 0 and profile["v"].kind == "empty"
    assert isinstance(profile["v"], ColumnProfile)


def test_categories_beyond_the_cap() -> None:
    rng = np.random.default_rng(0)
    values = np.where(
        rng.uniform(size=20_000) < 0.5, "common", rng.integers(0, 400, 20_000).astype(str)
    )
    profile = profile_table(pa.table({"c": values}), max_categories=50, batch_size=1_000)
    summary = profile["c"].categories
    assert profile["c"].kind == "categorical" and summary is not None
    assert not summary.is_exact and len(summary.to_counts()) <= 50
    truth = int((values == "common").sum())
    assert truth - summary.error_bound <= summary.to_counts()["common"] <= truth
