from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.data import open_table
from modelsteward.errors import DataReadError, StewardError


@pytest.fixture
def table() -> pa.Table:
    return pa.table({"x": [1.0, 2.5, None], "c": ["a", "b", "a"], "n": [1, 2, 3]})


def test_parquet_reads_one_column_at_a_time(tmp_path: Path, table: pa.Table) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    source = open_table(path)
    assert source.num_rows == 3
    assert source.column_names == ["x", "c", "n"]
    assert source.column("c").to_pylist() == ["a", "b", "a"]
    batches = list(source.iter_batches(["x"], batch_size=2))
    assert [b.num_rows for b in batches] == [2, 1]


def test_parquet_text_can_be_read_dictionary_encoded(tmp_path: Path, table: pa.Table) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    source = open_table(path)
    text = source.column("c", dictionary=True)
    assert pa.types.is_dictionary(text.type)
    assert text.cast(pa.string()).to_pylist() == ["a", "b", "a"]
    # Numbers are read as they are; in-memory tables are returned untouched.
    assert source.column("x", dictionary=True).type == pa.float64()
    assert open_table(table).column("c", dictionary=True).type == pa.string()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".ndjson"])
def test_text_formats_match_arrow(tmp_path: Path, table: pa.Table, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    frame = table.to_pandas()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    source = open_table(path)
    assert source.column("c").to_pylist() == ["a", "b", "a"]
    assert source.column("x").to_pylist()[:2] == [1.0, 2.5]


def test_pandas_polars_and_arrow_agree(table: pa.Table) -> None:
    for obj in (table, table.to_pandas(), pl.from_arrow(table)):
        source = open_table(obj)
        assert source.column("n").to_pylist() == [1, 2, 3]


def test_pandas_mixed_type_column_is_read_as_text_and_noted() -> None:
    frame = pd.DataFrame({"m": [1, "two", 3.0], "ok": [1, 2, 3]})
    source = open_table(frame)
    assert source.column("m").to_pylist() == ["1", "two", "3.0"]
    assert "mixed types" in source.coerced["m"]


def test_jsonl_mixed_types_fall_back_to_text(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"a": 1, "b": 1}\n{"a": "x", "b": 2}\n{"b": 3}\n')
    source = open_table(path)
    assert source.column("a").to_pylist() == ["1", "x", None]
    assert source.column("b").to_pylist() == [1, 2, 3]
    assert "a" in source.coerced


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("bad.csv", "x,c\n1,caf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("t.txt", b"x\n1\n", "cannot tell the format"),
        ("noext", b"x\n1\n", "cannot tell the format"),
        ("trunc.parquet", b"PAR1\x00\x00garbage", "not a readable Parquet file"),
        ("bad.jsonl", b"{not json}\n", "cannot parse as JSON Lines"),
    ],
)
def test_bad_files_raise_clear_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataReadError, match=message) as info:
        source = open_table(path)
        for column in source.column_names:  # non-UTF-8 text may only fail when read
            source.column(column)
    assert str(path) in str(info.value)


def test_truncated_real_parquet(tmp_path: Path, table: pa.Table) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataReadError, match="Parquet"):
        open_table(path)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataReadError, match="no such file"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(DataReadError, match="is a directory"):
        open_table(tmp_path)


def test_unsupported_object() -> None:
    with pytest.raises(StewardError, match="cannot read an object of type ndarray"):
        open_table(np.zeros(3))
