from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import DataReadError, SchemaError
from modelsteward.profiles import PROFILE_VERSION, TableProfile, profile_table
from tests.profiles._helpers import max_cdf_error


def test_json_round_trip_is_exact(mixed_table: pa.Table, tmp_path: Path) -> None:
    profile = profile_table(mixed_table, k=64)
    path = profile.save(tmp_path / "p.json")
    loaded = TableProfile.load(path)
    assert loaded.to_dict() == profile.to_dict()
    assert loaded.to_json() == profile.to_json()
    raw = json.loads(path.read_text())
    assert raw["version"] == PROFILE_VERSION == 1 and raw["format"] == "modelsteward.profile"
    assert datetime.fromisoformat(raw["created_at"]).utcoffset() is not None
    assert [c["name"] for c in raw["columns"]] == mixed_table.column_names


def test_bad_files_are_data_read_errors(mixed_table: pa.Table, tmp_path: Path) -> None:
    text = profile_table(mixed_table.slice(0, 300)).to_json()
    cases = {
        "truncated.json": text[: len(text) // 2],
        "foreign.json": json.dumps({"name": "something else", "columns": []}),
        "list.json": "[1, 2, 3]",
        "empty.json": "",
        "binary.json": "\udcff",
    }
    for name, body in cases.items():
        path = tmp_path / name
        path.write_bytes(body.encode("utf-8", errors="surrogateescape"))
        with pytest.raises(DataReadError, match=rf"{name}: not a modelsteward profile"):
            TableProfile.load(path)
    data = json.loads(text)
    data["columns"][0]["sketch"]["n"] += 1
    with pytest.raises(DataReadError, match=r"not a modelsteward profile \(sketch items weigh"):
        TableProfile.from_json(json.dumps(data), source="edited.json")
    data = json.loads(text)
    del data["rows"]
    with pytest.raises(DataReadError, match="missing field 'rows'"):
        TableProfile.from_dict(data)
    data = json.loads(text)
    data["version"] = PROFILE_VERSION + 1
    with pytest.raises(DataReadError, match="upgrade modelsteward"):
        TableProfile.from_dict(data)
    with pytest.raises(DataReadError, match="no such file"):
        TableProfile.load(tmp_path / "absent.json")


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(-2, 5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [path] + [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [path] + [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


SMALL = pa.table({"x": [1.0, 2.5, None], "c": ["a", "b", "a"], "i": ["u1", "u2", "u3"]})


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_edit_loads_or_is_a_data_read_error(data: st.DataObject) -> None:
    """A hand-edited profile never fails with anything but DataReadError."""
    document = json.loads(profile_table(SMALL, k=8, bins=2).to_json())
    paths = _leaves(document)
    path = data.draw(st.sampled_from(paths[1:]))
    replacement = data.draw(json_values)
    node = document
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    node[path[-1]] = replacement  # type: ignore[index]
    try:
        TableProfile.from_dict(document, source="edited.json")
    except DataReadError as exc:
        assert str(exc).startswith("edited.json: ")


def test_merge_keeps_one_sided_columns_and_checks_kinds() -> None:
    a = profile_table(pa.table({"x": [1.0, 2.0], "only_a": ["u", "v"]}), bins=0)
    b = profile_table(pa.table({"x": [3.0], "only_b": [True]}), bins=0)
    merged = a.merge(b)
    assert merged.column_names == ["x", "only_a", "only_b"]
    assert merged["x"].count == 3 and merged["only_a"].count == 2 and merged["only_b"].count == 1
    assert merged.rows == 3
    clash = profile_table(pa.table({"x": ["a", "b"]}), bins=0)
    with pytest.raises(SchemaError, match="column 'x' is numeric in one profile and categorical"):
        a.merge(clash)
    differently_binned = profile_table(pa.table({"x": [1.0, 5.0]})).merge(
        profile_table(pa.table({"x": [2.0, 9.0]}))
    )
    assert differently_binned["x"].histogram is None
    assert differently_binned["x"].sketch is not None and differently_binned["x"].sketch.n == 4
    assert a.merge().to_dict()["columns"] == a.to_dict()["columns"]


def test_empty_column_merges_with_any_kind() -> None:
    a = profile_table(pa.table({"x": pa.nulls(3, pa.float64())}))
    b = profile_table(pa.table({"x": [1.0, 2.0]}), bins=0)
    for merged in (a.merge(b), b.merge(a)):
        column = merged["x"]
        assert column.kind == "numeric" and column.count == 5 and column.nulls == 3
        assert column.moments is not None and column.moments.mean == 1.5


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 3_000),
    st.lists(st.integers(0, 3_000), min_size=1, max_size=4),
    st.integers(0, 10_000),
)
def test_profile_of_parts_merges_into_profile_of_whole(n: int, cuts: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "x": rng.lognormal(size=n),
            "c": rng.choice(["a", "b", "c"], size=n),
            "t": pa.array(rng.integers(0, 10**12, n), pa.timestamp("ms")),
        }
    )
    reference = profile_table(table.slice(0, max(1, n // 3)))
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    parts = [
        profile_table(table.slice(lo, hi - lo), reference=reference)
        for lo, hi in itertools.pairwise(bounds)
    ]
    whole = profile_table(table, reference=reference)
    merged = parts[0].merge(*parts[1:])
    other_order = parts[-1].merge(*parts[:-1])
    for result in (merged, other_order):
        assert result.rows == whole.rows == n
        for name in ("x", "t"):
            got, want = result[name], whole[name]
            assert got.histogram is not None and want.histogram is not None
            np.testing.assert_array_equal(got.histogram.counts, want.histogram.counts)
            assert got.moments is not None and want.moments is not None
            assert got.moments.mean == pytest.approx(want.moments.mean, rel=1e-9)
            assert got.moments.m2 == pytest.approx(want.moments.m2, rel=1e-7, abs=1e-12)
            assert got.sketch is not None
            values = np.asarray(
                table.column(name).cast(pa.int64() if name == "t" else pa.float64())
            )
            values = values / 1000.0 if name == "t" else values
            assert max_cdf_error(got.sketch, values) <= got.sketch.rank_error + 1e-12
        categories = result["c"].categories
        assert categories is not None and whole["c"].categories is not None
        assert categories.to_dict() == whole["c"].categories.to_dict()
