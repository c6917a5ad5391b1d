"""Column kinds and how they are inferred from Arrow types and values."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelsteward.data._values import as_numpy, dictionary_value_counts
from modelsteward.errors import ParameterError

__all__ = ["ColumnKind", "infer_kind", "parse_schema"]

#: A string column whose values are all distinct is an identifier once it has this many rows.
ID_MIN_ROWS = 50
#: Above this many distinct values (and half the rows) a string column is high-cardinality.
MAX_CATEGORIES = 1000
#: Strings this long on average are free text, not categories.
TEXT_MEAN_LENGTH = 40


class ColumnKind(StrEnum):
    """What a column holds, which decides the statistics that apply to it.

    >>> ColumnKind("numeric") is ColumnKind.NUMERIC
    True
    """

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id"
    EMPTY = "empty"


def parse_schema(schema: Mapping[str, str | ColumnKind] | None) -> dict[str, ColumnKind]:
    """Validate an explicit ``column -> kind`` mapping.

    >>> parse_schema({"city": "categorical"})
    {'city': <ColumnKind.CATEGORICAL: 'categorical'>}
    """
    if schema is None:
        return {}
    parsed: dict[str, ColumnKind] = {}
    for column, kind in schema.items():
        try:
            parsed[column] = ColumnKind(kind)
        except ValueError:
            allowed = ", ".join(k.value for k in ColumnKind)
            raise ParameterError(
                f"The schema gives column {column!r} the kind {kind!r}; expected one of: {allowed}."
            ) from None
    return parsed


def infer_kind(column: pa.ChunkedArray | pa.Array) -> ColumnKind:
    """Infer the kind of one column from its Arrow type and, for strings, its values.

    Numbers are numeric; booleans boolean; timestamps and dates datetime. Strings are
    ``id`` when every value is distinct (and there are at least 50), ``text`` when long
    on average, ``id`` again when there are more than 1000 distinct values making up more
    than half the rows, and categorical otherwise. A column with no values is ``empty``.

    >>> infer_kind(pa.array([1.5, 2.0, None]))
    <ColumnKind.NUMERIC: 'numeric'>
    >>> infer_kind(pa.array(["a", "b", "a"]))
    <ColumnKind.CATEGORICAL: 'categorical'>
    >>> infer_kind(pa.array([f"user-{i}" for i in range(100)]))
    <ColumnKind.ID: 'id'>
    """
    kind_of_type = _kind_of_type(column.type)
    valid = len(column) - column.null_count
    if valid == 0:
        return ColumnKind.EMPTY
    if kind_of_type is not None:
        return kind_of_type
    if pa.types.is_dictionary(column.type):
        distinct, mean_length = _dictionary_shape(column)
    else:
        distinct = pc.count_distinct(column, mode="only_valid").as_py()
        lengths = pc.utf8_length(column) if is_text_type(column.type) else pc.binary_length(column)
        mean_length = pc.mean(lengths).as_py() or 0.0
    if distinct == valid and valid >= ID_MIN_ROWS:
        return ColumnKind.ID
    if mean_length >= TEXT_MEAN_LENGTH:
        return ColumnKind.TEXT
    if distinct > MAX_CATEGORIES and distinct > valid / 2:
        return ColumnKind.ID
    return ColumnKind.CATEGORICAL


def _dictionary_shape(column: pa.ChunkedArray | pa.Array) -> tuple[int, float]:
    """Distinct values and mean value length of a dictionary column, from its counts.

    Counting works on the indices, so no value is decoded per row.
    """
    values, counts = dictionary_value_counts(column)
    if values.null_count:  # entries that are null themselves (few: one per dictionary)
        valid = values.is_valid()
        values, counts = values.filter(valid), counts[np.array(valid.to_pylist(), dtype=bool)]
    distinct = pc.count_distinct(values).as_py()
    text = is_text_type(values.type)
    lengths = pc.utf8_length(values) if text else pc.binary_length(values)
    total = int(counts.sum())
    weighted = int(np.dot(as_numpy(lengths).astype(np.int64), counts)) if total else 0
    return int(distinct), (weighted / total if total else 0.0)


def is_text_type(type_: pa.DataType) -> bool:
    """True for Arrow string types (plain, large and, where pyarrow has it, view)."""
    return bool(pa.types.is_string(type_) or pa.types.is_large_string(type_)) or bool(
        getattr(pa.types, "is_string_view", lambda _t: False)(type_)
    )


def _kind_of_type(type_: pa.DataType) -> ColumnKind | None:
    if pa.types.is_boolean(type_):
        return ColumnKind.BOOLEAN
    if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return ColumnKind.NUMERIC
    if pa.types.is_temporal(type_):
        return ColumnKind.DATETIME
    if pa.types.is_null(type_):
        return ColumnKind.EMPTY
    if pa.types.is_dictionary(type_) or is_text_type(type_) or pa.types.is_binary(type_):
        return None
    # Lists, structs and other nested values: compared as their text form.
    return ColumnKind.TEXT
