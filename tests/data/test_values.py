from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from modelsteward.data import category_counts, numeric_values


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
