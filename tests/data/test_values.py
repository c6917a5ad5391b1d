from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelsteward.data import as_numpy, category_counts, float_values, from_numpy, numeric_values
from modelsteward.data._kinds import _dictionary_shape as infer_shape
from tests.conftest import run_fresh_python


def test_numeric_values_drop_nulls_and_count_non_finite() -> None:
    values = numeric_values(pa.chunked_array([[1, None], [3, 4]]))
    assert values.values.dtype == np.float64
    assert values.values.tolist() == [1.0, 3.0, 4.0]
    assert values.nulls == 1
    out = numeric_values(pa.array([np.nan, np.inf, -np.inf, 2.0]))
    assert out.values.tolist() == [2.0] and out.non_finite == 2 and out.nulls == 1


def test_numeric_values_of_timestamps_are_epoch_numbers() -> None:
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    out = numeric_values(pa.array([stamp]))
    assert out.values[0] == pa.scalar(stamp).cast(pa.int64()).as_py()


def test_category_counts_as_text_sorted() -> None:
    counts = category_counts(pa.chunked_array([[2, 1, 2, None]]))
    assert counts.categories.tolist() == ["1", "2"]
    assert counts.counts.tolist() == [1, 2]
    assert counts.nulls == 1


def _chunked(values: list[object], type_: pa.DataType, cut: int) -> pa.ChunkedArray:
    """The values in two chunks, the second a slice (non-zero offset) of a bigger array."""
    head = pa.array(values[:cut], type=type_)
    padded = pa.array([values[0], *values[cut:]], type=type_)
    return pa.chunked_array([head, padded.slice(1)], type=type_)


@given(
    values=st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=60),
    cut=st.integers(0, 60),
    type_=st.sampled_from([pa.int64(), pa.float64(), pa.float32()]),
)
def test_as_numpy_equals_pyarrow_on_chunked_and_sliced_columns(
    values: list[int], cut: int, type_: pa.DataType
) -> None:
    column = _chunked(
        [float(v) if pa.types.is_floating(type_) else v for v in values],
        type_,
        min(cut, len(values)),
    )
    expected = column.to_numpy()
    got = as_numpy(column)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@given(
    values=st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), min_size=1, max_size=60),
    cut=st.integers(0, 60),
)
def test_float_values_put_nan_where_null(values: list[float | None], cut: int) -> None:
    column = _chunked(values, pa.float64(), min(cut, len(values)))
    got = float_values(column)
    expected = [np.nan if v is None else v for v in values]
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float64))
    got[:] = 0.0  # writable: callers clean it in place


def test_from_numpy_shares_values_and_type() -> None:
    source = np.array([5, 3, 9], dtype=np.int64)
    array = from_numpy(source)
    assert array.type == pa.int64() and array.to_pylist() == [5, 3, 9]
    assert from_numpy(np.array([0.5])).type == pa.float64()


def test_category_counts_of_a_dictionary_column_match_its_decoded_text() -> None:
    # Each chunk has its own dictionary, in a different order, with a null and a level
    # used in one chunk only: counts must still be summed per text value.
    first = pa.array(["b", "a", None, "b"]).dictionary_encode()
    second = pa.array(["c", "a", "a"]).dictionary_encode()
    column = pa.chunked_array([first, second])
    got = category_counts(column)
    expected = category_counts(column.cast(pa.string()))
    assert got.categories.tolist() == expected.categories.tolist() == ["a", "b", "c"]
    assert got.counts.tolist() == expected.counts.tolist() == [3, 2, 1]
    assert got.nulls == expected.nulls == 1


def test_drift_on_parquet_without_multivariate_never_imports_pandas(tmp_path: Path) -> None:
    # pyarrow's to_numpy and pa.array import pandas (0.3 s) on first use; the drift
    # path avoids both. Run in a fresh interpreter, where pandas is not yet loaded.
    table = pa.table({"x": np.arange(2000.0), "c": pa.array(["a", "b"] * 1000)})
    pq.write_table(table, tmp_path / "t.parquet")
    code = (
        "import sys\n"
        "from modelsteward import drift\n"
        f"drift({str(tmp_path / 't.parquet')!r}, {str(tmp_path / 't.parquet')!r}, "
        "multivariate=False)\n"
        "print('pandas' in sys.modules)\n"
    )
    assert run_fresh_python(code) == "False"


_INDEX_TYPES = [pa.int8(), pa.int32(), pa.uint64()]


@given(
    st.lists(
        st.tuples(st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=30), st.booleans()),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(_INDEX_TYPES),
    st.integers(0, 5),
)
def test_dictionary_counts_equal_counting_the_decoded_values(
    chunks: list[tuple[list[int | None], bool]], index_type: pa.DataType, offset: int
) -> None:
    # Chunks with their own dictionary or one shared dictionary, index types from int8
    # to uint64, nulls in the indices and a null entry in the dictionary, entries no row
    # uses, and a slice with a non-zero offset: counted on the indices, the result must
    # equal counting the decoded Python values.
    shared = pa.array(["a", "b", None, "é", ""])
    parts = []
    for indices, share in chunks:
        dictionary = shared if share else pa.array(["b", "x", "a", "unused", None])
        parts.append(pa.DictionaryArray.from_arrays(pa.array(indices, index_type), dictionary))
    column = pa.chunked_array(parts, type=pa.dictionary(index_type, pa.string()))
    column = column.slice(min(offset, len(column)))
    decoded = Counter(column.to_pylist())
    counted = category_counts(column)
    assert dict(zip(counted.categories.tolist(), counted.counts.tolist(), strict=True)) == {
        k: v for k, v in decoded.items() if k is not None
    }
    assert counted.nulls == decoded[None]
    distinct, mean_length = infer_shape(column)
    assert distinct == len(set(decoded) - {None})
    present = [v for v in column.to_pylist() if v is not None]
    assert mean_length == pytest.approx(sum(map(len, present)) / len(present) if present else 0)
