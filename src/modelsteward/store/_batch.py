"""A batch of predictions as columns: what every ingest path hands the store.

The server builds a :class:`PredictionBatch` straight from a JSON body or an Arrow /
Parquet table; the in-process SDK and the gateway hand over :class:`PredictionRecord`
lists, turned into the same columns by :meth:`PredictionBatch.from_records`. The store
then inserts, profiles, retains and counts column by column, with no per-row Python
objects on the way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelsteward.errors import InputError
from modelsteward.store._domain import PredictionRecord
from modelsteward.store._profiling import rows_to_table

__all__ = ["TIMESTAMP", "PredictionBatch", "features_table", "json_text", "json_texts"]

#: The Arrow type of :attr:`PredictionBatch.timestamps`.
TIMESTAMP = pa.timestamp("us", tz="UTC")

_encode_str = json.encoder.encode_basestring  # the C encoder json.dumps uses for text


def json_text(value: Any) -> str:
    """JSON text of ``value``; NaN and infinities (which JSON lacks) become ``null``.

    >>> json_text(1), json_text(0.5), json_text("a"), json_text(True), json_text([1.0, None])
    ('1', '0.5', '"a"', 'true', '[1.0, null]')
    >>> json_text(float("nan")), json_text({"x": float("inf")})
    ('null', '{"x": null}')
    """
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else "null"
    if kind is str:
        return _encode_str(value)
    if kind is bool:
        return "true" if value else "false"
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:  # NaN or infinity inside: stored as null, as JSON has no such numbers
        return json.dumps(_finite(value), allow_nan=False)
    except TypeError as exc:
        raise InputError(f"a value cannot be stored as JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError("a value is nested too deeply to be stored as JSON") from exc


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# Text is not here: json_column would turn it back into Python strings to encode them,
# the same per-value loop as json_texts' own, plus the trip through Arrow.
_COLUMN_WISE = {int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def json_texts(values: Sequence[Any]) -> pa.Array:
    """JSON text of each value (``None`` stays null), as an Arrow string array.

    Integers, floats or booleans all of one type (besides ``None``) are converted
    column-wise by :func:`json_column`; anything else, text included, value by value.

    >>> json_texts([1, None, "x", 2.5, [1]]).to_pylist()
    ['1', None, '"x"', '2.5', '[1]']
    >>> json_texts([1, None, 3]).to_pylist(), json_texts([0.5, 2.0]).to_pylist()
    (['1', None, '3'], ['0.5', '2.0'])
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1:
        arrow_type = _COLUMN_WISE.get(kinds.pop())
        if arrow_type is not None:
            try:
                return json_column(pa.array(values, arrow_type))
            except (pa.ArrowInvalid, OverflowError):  # an int beyond 64 bits
                pass
    return pa.array([None if v is None else json_text(v) for v in values], pa.string())


def _float_texts(col: pa.Array) -> pa.Array:
    """JSON text of each float: the shortest text that reads back as the same float
    (Arrow's cast, exact like ``repr``; integral values get a ``.0`` so that they read
    back as floats, not ints), and ``null`` for NaN and infinities."""
    values = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    texts = col.cast(pa.float64()).cast(pa.string())
    finite = np.isfinite(values)
    bare = pc.and_(
        pa.array(finite & (np.floor(values) == values)), pc.invert(pc.match_substring(texts, "e"))
    )
    texts = pc.if_else(bare, pc.binary_join_element_wise(texts, ".0", ""), texts)
    texts = pc.if_else(pa.array(finite), texts, "null")
    return pc.if_else(col.is_null(), pa.scalar(None, pa.string()), texts)


def json_column(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The JSON text of every value of an Arrow column, vectorised for the common types.

    Integers, booleans, floats and text are converted column-wise; anything else goes
    value by value through :func:`json_text`. Nulls stay null.

    >>> json_column(pa.array([1, None, 3])).to_pylist()
    ['1', None, '3']
    >>> json_column(pa.array([0.5, float("nan"), 1.0, 1e-05, None])).to_pylist()
    ['0.5', 'null', '1.0', '0.00001', None]
    >>> json_column(pa.array(['a"b', None])).to_pylist()
    ['"a\\\\"b"', None]
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_integer(t):
        return pc.cast(col, pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_floating(t):
        return _float_texts(col)
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        values = col.to_pylist()
        return pa.array([None if v is None else _encode_str(v) for v in values], pa.string())
    return json_texts(col.to_pylist())


def _flat(t: pa.DataType) -> bool:
    return not (
        pa.types.is_struct(t)
        or pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_map(t)
    )


def features_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Feature dicts as an Arrow table; mixed-type or nested values become text.

    Arrow infers the whole batch at once when the values are flat and of one type per
    feature; otherwise each feature is converted on its own (text where types mix).

    >>> features_table([{"x": 1.0, "c": "a"}, {"x": 2}]).to_pydict()
    {'x': [1.0, 2.0], 'c': ['a', None]}
    >>> features_table([{"x": 1}, {"x": "a"}]).to_pydict()
    {'x': ['1', 'a']}
    >>> features_table([{"x": {"a": 1}}]).to_pydict()
    {'x': ['{"a": 1}']}
    """
    if not rows:
        return pa.table({})
    try:
        struct = pa.array(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return rows_to_table(rows)
    if not pa.types.is_struct(struct.type) or not all(_flat(f.type) for f in struct.type):
        return rows_to_table(rows)
    names = [f.name for f in struct.type]
    if len(set(names)) != len(names):
        return rows_to_table(rows)
    return pa.Table.from_arrays(struct.flatten(), names=names)


@dataclass(frozen=True)
class PredictionBatch:
    """Predictions as aligned columns (Arrow arrays of one length).

    ``ids`` (text, no nulls), ``timestamps`` (:data:`TIMESTAMP`, no nulls), ``prediction``
    and ``score`` (JSON text, null when absent), ``latency_ms`` (float64), ``version``
    and ``segment`` (text), ``error`` (bool, no nulls). ``features`` holds the features
    of the rows listed in ``feature_rows`` (every row when ``feature_rows`` is ``None``),
    or is ``None`` when no row has any.
    """

    ids: pa.Array
    timestamps: pa.Array
    prediction: pa.Array
    score: pa.Array
    latency_ms: pa.Array
    version: pa.Array
    error: pa.Array
    segment: pa.Array
    features: pa.Table | None = None
    feature_rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_records(
        cls, records: Sequence[PredictionRecord], features: pa.Table | None = None
    ) -> PredictionBatch:
        """The columns of ``records``; ``features`` (aligned with them) overrides each
        record's ``features`` mapping."""
        n = len(records)
        feature_rows: np.ndarray | None = None
        if features is None:
            keep = [i for i, r in enumerate(records) if r.features]
            if keep:
                features = rows_to_table([records[i].features or {} for i in keep])
                feature_rows = None if len(keep) == n else np.asarray(keep, dtype=np.int64)
        elif features.num_rows != n:
            raise InputError(f"the features table has {features.num_rows} rows for {n} predictions")
        return cls(
            ids=pa.array([r.id for r in records], pa.string()),
            timestamps=pa.array([_utc(r.timestamp) for r in records], TIMESTAMP),
            prediction=json_texts([r.prediction for r in records]),
            score=json_texts([r.score for r in records]),
            latency_ms=pa.array([r.latency_ms for r in records], pa.float64()),
            version=pa.array([r.version for r in records], pa.string()),
            error=pa.array([bool(r.error) for r in records], pa.bool_()),
            segment=pa.array([r.segment for r in records], pa.string()),
            features=features,
            feature_rows=feature_rows,
        )

    def take(self, rows: np.ndarray) -> PredictionBatch:
        """The rows at positions ``rows`` (without features: for counting only)."""
        index = pa.array(rows, pa.int64())
        return PredictionBatch(
            *(getattr(self, name).take(index) for name in _META),
        )

    def stored_features(self, stored: np.ndarray) -> tuple[np.ndarray, pa.Table | None]:
        """Positions of the stored rows that have features, and those features."""
        if self.features is None or self.features.num_columns == 0:
            return np.zeros(0, dtype=np.int64), None
        if self.feature_rows is None:
            rows = np.flatnonzero(stored)
            table = self.features if rows.size == len(self) else self.features.take(rows)
            return rows, table
        keep = stored[self.feature_rows]
        rows = self.feature_rows[keep]
        table = self.features if keep.all() else self.features.filter(pa.array(keep))
        return rows, table


_META = ("ids", "timestamps", "prediction", "score", "latency_ms", "version", "error", "segment")


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
