"""Profile a table by streaming it batch by batch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

from modelsteward.data import ColumnKind, TableSource, infer_kind, open_table, parse_schema
from modelsteward.errors import ParameterError
from modelsteward.profiles._column import NUMERIC_KINDS, ColumnProfile, column_values
from modelsteward.profiles._histogram import Histogram
from modelsteward.profiles._kll import quantile_edges
from modelsteward.profiles._table import TableProfile

__all__ = ["KIND_SAMPLE_ROWS", "profile_table"]

#: Kinds are inferred from the first this many rows (whatever the batch size).
KIND_SAMPLE_ROWS = 65_536


def profile_table(
    data: Any,
    *,
    schema: Mapping[str, str | ColumnKind] | None = None,
    reference: TableProfile | None = None,
    bins: int = 20,
    k: int = 200,
    max_categories: int = 1000,
    batch_size: int = 262_144,
    on_batch: Callable[[int], None] | None = None,
    seed: int = 0,
) -> TableProfile:
    """Profile every column of a table in bounded memory.

    ``data`` is anything :func:`modelsteward.data.open_table` accepts (a path to CSV,
    Parquet or JSON Lines, a pandas or polars DataFrame, an Arrow table). The table is
    read ``batch_size`` rows at a time (Parquet straight from disk), so memory holds one
    batch plus the sketches (about ``3 k`` numbers per numeric column and at most
    ``max_categories`` counts per categorical one).

    Kinds come from ``schema``, else from ``reference``, else are inferred from the first
    :data:`KIND_SAMPLE_ROWS` rows (so they do not depend on ``batch_size``; a column with
    no values there is inferred from its first batch that has some).

    Histograms: with ``reference``, numeric columns are binned on the reference's edges
    during the single pass, so binned drift between the two is exact. Without it, and
    with ``bins > 0``, the edges are the ``bins``-quantiles of this data's own sketch
    (``bins - 1`` interior edges, fewer when values tie) and the histograms are filled
    by a *second* pass over the numeric columns. ``bins=0`` skips histograms (one pass).

    ``on_batch(rows_done)`` is called after every batch with the rows read so far,
    counted over both passes when there are two.

    >>> import pyarrow as pa
    >>> table = pa.table({"x": [float(i) for i in range(100)], "c": ["a", "b"] * 50})
    >>> ref = profile_table(table, bins=4)
    >>> ref["x"].histogram.edges.tolist(), ref["x"].histogram.counts.tolist()
    ([24.0, 49.0, 74.0], [24, 25, 25, 26])
    >>> cur = profile_table(pa.table({"x": [10.0, 60.0], "c": ["a", "z"]}), reference=ref)
    >>> cur["x"].histogram.counts.tolist(), cur["c"].categories.to_counts()
    ([1, 0, 1, 0], {'a': 1, 'z': 1})
    """
    _check_parameters(bins=bins, k=k, max_categories=max_categories, batch_size=batch_size)
    if reference is not None and not isinstance(reference, TableProfile):
        raise ParameterError(
            f"The 'reference' parameter of profile_table must be a TableProfile or None. "
            f"Got {type(reference).__name__} instead."
        )
    source = open_table(data)
    names = source.column_names
    kinds = _decide_kinds(source, parse_schema(schema), reference)
    settings = {"k": k, "max_categories": max_categories, "seed": seed}
    profiles: dict[str, ColumnProfile] = {}
    for name in names:
        edges = None
        ref_column = None if reference is None else reference.columns.get(name)
        if ref_column is not None and ref_column.histogram is not None:
            edges = ref_column.histogram.edges
        profiles[name] = ColumnProfile.new(name, kinds[name] or "empty", edges=edges, **settings)

    rows = 0
    for batch in source.iter_batches(names, batch_size):
        for name, column in zip(names, batch.columns, strict=True):
            if kinds[name] is None and column.null_count < len(column):
                kinds[name] = infer_kind(column).value
                pending = profiles[name]
                profiles[name] = ColumnProfile.new(name, kinds[name] or "empty", **settings)
                profiles[name].count, profiles[name].nulls = pending.count, pending.nulls
            profiles[name].update(column)
        rows += batch.num_rows
        if on_batch is not None:
            on_batch(rows)

    if reference is None and bins > 0:
        _second_pass(source, profiles, bins, batch_size, on_batch, rows)
    return TableProfile(profiles, rows=rows, coerced=source.coerced)


def _second_pass(
    source: TableSource,
    profiles: dict[str, ColumnProfile],
    bins: int,
    batch_size: int,
    on_batch: Callable[[int], None] | None,
    rows_done: int,
) -> None:
    binned = [
        p.name
        for p in profiles.values()
        if p.kind in NUMERIC_KINDS and p.sketch is not None and p.sketch.n > 0
    ]
    if not binned:
        return
    for name in binned:
        sketch = profiles[name].sketch
        assert sketch is not None
        profiles[name].histogram = Histogram(quantile_edges(sketch, bins))
    for batch in source.iter_batches(binned, batch_size):
        for name, column in zip(binned, batch.columns, strict=True):
            histogram = profiles[name].histogram
            assert histogram is not None
            histogram.update(column_values(name, profiles[name].kind, column).values)
        rows_done += batch.num_rows
        if on_batch is not None:
            on_batch(rows_done)


def _decide_kinds(
    source: TableSource,
    schema: dict[str, ColumnKind],
    reference: TableProfile | None,
) -> dict[str, str | None]:
    """Kind per column; ``None`` for a column to infer from its first non-null batch."""
    kinds: dict[str, str | None] = {}
    to_infer: list[str] = []
    for name in source.column_names:
        ref_column = None if reference is None else reference.columns.get(name)
        if name in schema:
            kinds[name] = schema[name].value
        elif ref_column is not None and ref_column.kind != ColumnKind.EMPTY.value:
            kinds[name] = ref_column.kind
        else:
            to_infer.append(name)
    if not to_infer:
        return kinds
    head = _head(source, to_infer)
    for name in to_infer:
        column = None if head is None else head.column(name)
        if column is None or (
            column.null_count == len(column) and not pa.types.is_null(column.type)
        ):
            kinds[name] = None  # no values yet: the first batch with some decides
        else:
            kinds[name] = infer_kind(column).value
    return kinds


def _head(source: TableSource, columns: list[str]) -> pa.Table | None:
    """The first :data:`KIND_SAMPLE_ROWS` rows, whatever the batches or row groups."""
    batches: list[pa.RecordBatch] = []
    rows = 0
    iterator = source.iter_batches(columns, KIND_SAMPLE_ROWS)
    try:
        for batch in iterator:
            batches.append(batch)
            rows += batch.num_rows
            if rows >= KIND_SAMPLE_ROWS:
                break
    finally:
        iterator.close()
    if not batches:
        return None
    return pa.Table.from_batches(batches).slice(0, KIND_SAMPLE_ROWS)


def _check_parameters(*, bins: int, k: int, max_categories: int, batch_size: int) -> None:
    checks = {
        "bins": (bins, 0, "an int >= 0 (0 skips histograms)"),
        "k": (k, 8, "an int in [8, 65535]"),
        "max_categories": (max_categories, 1, "an int >= 1"),
        "batch_size": (batch_size, 1, "an int >= 1"),
    }
    for name, (value, low, expected) in checks.items():
        bad = isinstance(value, bool) or not isinstance(value, int) or value < low
        if bad or (name == "k" and value > 65_535):
            raise ParameterError(
                f"The '{name}' parameter of profile_table must be {expected}. "
                f"Got {value!r} instead."
            )
