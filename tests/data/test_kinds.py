from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from modelsteward.data import ColumnKind, infer_kind, parse_schema
from modelsteward.errors import ParameterError


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1, 2, 3], ColumnKind.NUMERIC),
        ([1.5, None], ColumnKind.NUMERIC),
        ([True, False], ColumnKind.BOOLEAN),
        ([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)], ColumnKind.DATETIME),
        ([dt.date(2024, 1, 1)], ColumnKind.DATETIME),
        (["a", "b", "a"], ColumnKind.CATEGORICAL),
        ([None, None], ColumnKind.EMPTY),
        ([f"id-{i}" for i in range(60)], ColumnKind.ID),
        (
            ["a fairly long sentence of free text that goes on " + str(i % 3) for i in range(60)],
            ColumnKind.TEXT,
        ),
        ([f"v{i % 1500}" for i in range(2000)], ColumnKind.ID),
        ([f"v{i % 800}" for i in range(2000)], ColumnKind.CATEGORICAL),
    ],
)
def test_infer_kind(values: list[object], kind: ColumnKind) -> None:
    assert infer_kind(pa.array(values)) is kind


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b", None, "a"],
        [f"id-{i}" for i in range(60)],
        ["a fairly long sentence of free text that goes on " + str(i % 3) for i in range(60)],
        [f"v{i % 1500}" for i in range(2000)],
        [f"v{i % 800}" for i in range(2000)],
    ],
)
def test_dictionary_columns_get_the_kind_of_their_text(values: list[object]) -> None:
    # Read dictionary-encoded (as the drift engine reads Parquet text), in two chunks
    # with different dictionaries: distinct counts and mean lengths come from the counts.
    half = len(values) // 2
    column = pa.chunked_array(
        [pa.array(values[:half]).dictionary_encode(), pa.array(values[half:]).dictionary_encode()]
    )
    assert infer_kind(column) is infer_kind(pa.chunked_array([pa.array(values)]))


def test_dictionary_strings_are_categorical() -> None:
    array = pa.array(["x", "y", "x"]).dictionary_encode()
    assert infer_kind(array) is ColumnKind.CATEGORICAL


def test_schema_rejects_unknown_kind() -> None:
    with pytest.raises(ParameterError, match="kind 'nominal'"):
        parse_schema({"a": "nominal"})
