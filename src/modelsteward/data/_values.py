"""Turn Arrow columns into the numpy arrays the statistics take, without per-row Python."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CategoryCounts", "NumericValues", "category_counts", "numeric_values"]


@dataclass(frozen=True)
class NumericValues:
    """Finite values of a numeric column plus counts of what was left out.

    ``nulls`` counts missing values (Arrow nulls and NaN, as pandas sees both);
    ``non_finite`` counts infinities.

    >>> v = numeric_values(pa.chunked_array([[1.0, None, float("inf"), float("nan"), 3.0]]))
    >>> v.values.tolist(), v.nulls, v.non_finite
    ([1.0, 3.0], 2, 1)
    """

    values: np.ndarray
    nulls: int
    non_finite: int


@dataclass(frozen=True)
class CategoryCounts:
    """Distinct values of a column (as text) with their counts, and the null count.

    >>> c = category_counts(pa.chunked_array([["a", "b", "a", None]]))
    >>> dict(zip(c.categories.tolist(), c.counts.tolist())), c.nulls
    ({'a': 2, 'b': 1}, 1)
    """

    categories: np.ndarray
    counts: np.ndarray
    nulls: int


def numeric_values(column: pa.ChunkedArray | pa.Array) -> NumericValues:
    """Finite float64 values of a numeric, boolean or temporal column."""
    nulls = int(column.null_count)
    if pa.types.is_temporal(column.type):
        column = (
            pc.cast(column, pa.int64())
            if not pa.types.is_date(column.type)
            else (pc.cast(pc.cast(column, pa.date32()), pa.int32()))
        )
    if nulls:
        column = pc.drop_null(column)
    if isinstance(column, pa.ChunkedArray):
        array = np.asarray(column.to_numpy(), dtype=np.float64)
    else:
        array = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = np.isfinite(array)
    dropped = int(array.size - np.count_nonzero(finite))
    if dropped:
        nan = int(np.count_nonzero(np.isnan(array)))
        return NumericValues(values=array[finite], nulls=nulls + nan, non_finite=dropped - nan)
    return NumericValues(values=array, nulls=nulls, non_finite=0)


def category_counts(column: pa.ChunkedArray | pa.Array) -> CategoryCounts:
    """Count each distinct value of a column; values are compared as text."""
    nulls = int(column.null_count)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    counted = pc.value_counts(column)
    values = counted.field("values")
    counts = counted.field("counts").to_numpy(zero_copy_only=False).astype(np.int64)
    keep = pc.is_valid(values).to_numpy(zero_copy_only=False)
    categories = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)[keep]
    order = np.argsort(categories.astype(str), kind="stable")
    return CategoryCounts(categories=categories[order], counts=counts[keep][order], nulls=nulls)
