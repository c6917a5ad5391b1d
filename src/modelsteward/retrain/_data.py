"""Training data for a retrain: logged features joined with their labels, the most recent
labeled rows held out for the gate, and a strategy choosing the training rows from the rest.

Strategies: :class:`AllHistory` (every labeled row before the held-out ones),
:class:`SlidingWindow` (the last ``span`` of time and/or the last ``rows`` rows), and
:class:`ReferencePlusRecent` (a labeled reference table plus the recent ``span``). The gate
rows are split off first, by position after sorting by time, so they are never in the
training set whatever the strategy.

Features come from a directory of Parquet files (the store's retained partitions, in any
folder layout; folder names such as ``date=...`` do not become columns), a list of such
files, or a list of Arrow tables.

>>> from datetime import UTC, datetime, timedelta
>>> import pyarrow as pa
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> feats = pa.table({"id": [str(i) for i in range(10)],
...                   "timestamp": [t0 + timedelta(days=i) for i in range(10)],
...                   "x": [float(i) for i in range(10)]})
>>> labels = pa.table({"id": ["9", "1", "2", "3", "5", "8"], "y": [1, 0, 0, 0, 1, 1]})
>>> data = build_training_data(feats, labels, AllHistory(), label="y", holdout=2)
>>> data.train.column_names, data.train.num_rows, data.holdout_ids.to_pylist()
(['x', 'y'], 4, ['8', '9'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from modelsteward.errors import DataReadError, ParameterError, SchemaError
from modelsteward.retrain._errors import TrainingDataError

__all__ = [
    "AllHistory",
    "ReferencePlusRecent",
    "SlidingWindow",
    "TrainingData",
    "build_training_data",
    "fingerprint",
    "join_labels",
    "load_partitions",
]

Source: TypeAlias = "str | Path | pa.Table | Sequence[str | Path | pa.Table]"


@dataclass(frozen=True)
class AllHistory:
    """Every labeled row older than the held-out ones."""


@dataclass(frozen=True)
class SlidingWindow:
    """The labeled rows of the last ``span`` before the held-out ones, at most the last
    ``rows`` of them (either may be None; not both)."""

    span: timedelta | None = None
    rows: int | None = None

    def __post_init__(self) -> None:
        if self.span is None and self.rows is None:
            raise ParameterError("SlidingWindow needs a span, a number of rows, or both.")
        if self.rows is not None and self.rows < 1:
            raise ParameterError(f"SlidingWindow.rows must be >= 1. Got {self.rows}.")


@dataclass(frozen=True)
class ReferencePlusRecent:
    """A labeled ``reference`` table (features and label) plus the labeled rows of the
    last ``span`` before the held-out ones."""

    reference: pa.Table
    span: timedelta


Strategy = AllHistory | SlidingWindow | ReferencePlusRecent


@dataclass(frozen=True)
class TrainingData:
    """The training and held-out tables (feature columns then the label), the ids of the
    logged rows in each, and where they came from."""

    train: pa.Table
    holdout: pa.Table
    train_ids: pa.Array
    holdout_ids: pa.Array
    label: str
    feature_columns: tuple[str, ...]
    window: dict[str, str | None]
    strategy: str

    def lineage(self) -> dict[str, Any]:
        """JSON data describing the training data, for the registry and the audit log."""
        return {
            "strategy": self.strategy,
            "train_rows": self.train.num_rows,
            "holdout_rows": self.holdout.num_rows,
            "train_fingerprint": fingerprint(self.train),
            "holdout_fingerprint": fingerprint(self.holdout),
            "label": self.label,
            "features": list(self.feature_columns),
            "window": dict(self.window),
        }


def fingerprint(table: pa.Table) -> str:
    """SHA-256 of the table's Arrow IPC stream: equal tables (schema and values in the
    same order) give equal fingerprints.

    >>> fingerprint(pa.table({"a": [1]})) == fingerprint(pa.table({"a": [1]}))
    True
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def load_partitions(source: Source) -> pa.Table:
    """One table from a directory of Parquet files, Parquet file paths or Arrow tables."""
    items = [source] if isinstance(source, (str, Path, pa.Table)) else list(source)
    if not items:
        raise DataReadError("No feature partitions given; pass a directory or tables.")
    tables: list[pa.Table] = []
    for item in items:
        if isinstance(item, pa.Table):
            tables.append(item)
            continue
        path = Path(item)
        if not path.exists():
            raise DataReadError(f"{path}: no such file or directory of Parquet partitions.")
        try:
            # Folder names (``date=...``) are storage layout, not features: no partitioning.
            dataset = ds.dataset(path, format="parquet", exclude_invalid_files=True)
            tables.append(dataset.to_table())
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataReadError(f"{path}: cannot read as Parquet partitions: {exc}") from exc
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaError(f"The feature partitions have incompatible schemas: {exc}") from exc


def _require(table: pa.Table, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SchemaError(
            f"The {what} have no column {missing[0]!r}; they have {table.column_names}."
        )


def _last_per_id(table: pa.Table, id_column: str) -> pa.Table:
    """Keep the last row of each id (a re-sent label or prediction replaces the earlier)."""
    indexed = table.append_column("__row", pa.array(np.arange(table.num_rows)))
    last = indexed.group_by(id_column).aggregate([("__row", "max")])
    return table.take(np.sort(last["__row_max"].to_numpy()))


def join_labels(
    features: pa.Table, labels: pa.Table, *, label: str, id_column: str = "id"
) -> pa.Table:
    """Inner-join ``features`` with ``labels`` (columns ``id_column`` and ``label``) by
    prediction id, vectorised; the last label of an id wins, rows without one drop out.

    >>> f = pa.table({"id": ["a", "b", "c"], "x": [1, 2, 3]})
    >>> l = pa.table({"id": ["c", "a", "c"], "y": [0, 1, 1]})
    >>> join_labels(f, l, label="y").sort_by("id").to_pydict()
    {'id': ['a', 'c'], 'x': [1, 3], 'y': [1, 1]}
    """
    _require(features, [id_column], "features")
    _require(labels, [id_column, label], "labels")
    labels = labels.select([id_column, label]).filter(pc.is_valid(labels[label]))
    if pa.types.is_null(labels.schema.field(label).type):  # no label at all: nothing to join
        labels = labels.set_column(1, label, labels[label].cast(pa.int64()))
    labels = _last_per_id(labels, id_column)
    if label in features.column_names:
        features = features.drop_columns([label])
    features = _last_per_id(features, id_column)
    key_type = features.schema.field(id_column).type
    if labels.schema.field(id_column).type != key_type:
        try:
            labels = labels.set_column(0, id_column, labels[id_column].cast(key_type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaError(f"Label ids cannot be matched with prediction ids: {exc}") from exc
    return features.join(labels, keys=id_column, join_type="inner")


def _scalar(when: datetime, type_: pa.DataType) -> pa.Scalar:
    if when.tzinfo is None:
        raise ParameterError(f"Times must be timezone-aware (UTC). Got {when!r}.")
    if getattr(type_, "tz", None) is None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return pa.scalar(when, type=type_)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _holdout_start(n: int, holdout: float | int | timedelta, ts: pa.ChunkedArray) -> int:
    if isinstance(holdout, timedelta):
        end = pc.max(ts).as_py()
        if end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        return n - int(pc.sum(pc.greater(ts, _scalar(end - holdout, ts.type))).as_py() or 0)
    if isinstance(holdout, float):
        if not 0 < holdout < 1:
            raise ParameterError(f"A holdout fraction must be in (0, 1). Got {holdout}.")
        return n - max(1, round(n * holdout))
    if holdout < 1:
        raise ParameterError(f"A holdout row count must be >= 1. Got {holdout}.")
    return n - holdout


def build_training_data(
    features: Source,
    labels: pa.Table | None,
    strategy: Strategy,
    *,
    label: str,
    id_column: str = "id",
    timestamp: str = "timestamp",
    holdout: float | int | timedelta = 0.2,
    feature_columns: Sequence[str] | None = None,
    min_train_rows: int = 1,
) -> TrainingData:
    """Join, sort by time, hold out the most recent labeled rows, apply ``strategy``.

    ``labels`` is a table of ``id_column`` and ``label`` (None when the features already
    carry the label column). ``holdout`` is a fraction of the labeled rows, a row count,
    or a time span ending at the last labeled row. ``feature_columns`` defaults to every
    column but the id, timestamp and label.
    """
    table = load_partitions(features)
    _require(table, [id_column, timestamp], "features")
    if labels is not None:
        table = join_labels(table, labels, label=label, id_column=id_column)
    else:
        _require(table, [label], "features")
        table = _last_per_id(table.filter(pc.is_valid(table[label])), id_column)
    if not pa.types.is_timestamp(table.schema.field(timestamp).type):
        raise SchemaError(
            f"Column {timestamp!r} must be a timestamp; it is {table.schema.field(timestamp).type}."
        )
    table = table.sort_by([(timestamp, "ascending"), (id_column, "ascending")])
    names = (
        list(feature_columns)
        if feature_columns is not None
        else [c for c in table.column_names if c not in (id_column, timestamp, label)]
    )
    _require(table, names, "features")
    n = table.num_rows
    cut = max(0, _holdout_start(n, holdout, table[timestamp]))
    if n == 0 or cut >= n:
        raise TrainingDataError(
            f"No labeled rows to hold out for the gate ({n} labeled rows); wait for more labels."
        )
    pool, gate = table.slice(0, cut), table.slice(cut)
    chosen, reference = _apply(strategy, pool, timestamp)
    cols = [*names, label]
    train = chosen.select(cols)
    if reference is not None:
        _require(reference, cols, "reference data")
        try:
            ref = reference.select(cols).cast(train.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaError(
                f"The reference data does not fit the logged features: {exc}"
            ) from exc
        train = pa.concat_tables([ref, train])
    if train.num_rows < min_train_rows:
        raise TrainingDataError(
            f"Only {train.num_rows} training rows (min_train_rows={min_train_rows}) with "
            f"{type(strategy).__name__}; widen the window or wait for more labels."
        )
    ts_gate = gate[timestamp]
    overlap = pc.sum(pc.is_in(gate[id_column], value_set=chosen[id_column])).as_py()
    assert not overlap, "held-out rows leaked into the training set"
    window = {
        "train_start": _iso(pc.min(chosen[timestamp]).as_py()) if chosen.num_rows else None,
        "train_end": _iso(pc.max(chosen[timestamp]).as_py()) if chosen.num_rows else None,
        "holdout_start": _iso(pc.min(ts_gate).as_py()),
        "holdout_end": _iso(pc.max(ts_gate).as_py()),
    }
    return TrainingData(
        train=train,
        holdout=gate.select(cols),
        train_ids=chosen[id_column].combine_chunks(),
        holdout_ids=gate[id_column].combine_chunks(),
        label=label,
        feature_columns=tuple(names),
        window=window,
        strategy=type(strategy).__name__,
    )


def _apply(strategy: Strategy, pool: pa.Table, timestamp: str) -> tuple[pa.Table, pa.Table | None]:
    if isinstance(strategy, AllHistory):
        return pool, None
    span = strategy.span
    if span is not None and pool.num_rows:
        end = pc.max(pool[timestamp]).as_py()
        end = end.replace(tzinfo=UTC) if end.tzinfo is None else end
        pool = pool.filter(pc.greater(pool[timestamp], _scalar(end - span, pool[timestamp].type)))
    if isinstance(strategy, SlidingWindow):
        if strategy.rows is not None and pool.num_rows > strategy.rows:
            pool = pool.slice(pool.num_rows - strategy.rows)
        return pool, None
    if isinstance(strategy, ReferencePlusRecent):
        return pool, strategy.reference
    raise ParameterError(f"Unknown training-data strategy {strategy!r}.")
