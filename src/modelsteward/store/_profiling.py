"""Feature profiles at ingest through :mod:`modelsteward.profiles`.

Raw feature rows are never stored: each batch's features become a TableProfile per time
bucket, merged into the stored bucket. With a reference profile the batch is binned on
the reference's edges and takes its column kinds, so bucket histograms merge exactly and
compare exactly with the reference; without one, histograms are skipped (moments,
quantile sketches and category counts still merge).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from modelsteward.errors import ParameterError, SchemaError, StewardError
from modelsteward.profiles import TableProfile, profile_table

__all__ = ["merge_parsed", "merge_profiles", "profile_batch", "rows_to_table"]

log = logging.getLogger("modelsteward.store")


def _column(values: list[Any]) -> pa.Array:
    if any(isinstance(v, dict | list) for v in values):
        return pa.array([None if v is None else json.dumps(v) for v in values], pa.string())
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed types, huge ints
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def rows_to_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Feature dicts as an Arrow table; mixed-type or nested values become text."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    return pa.table({n: _column([r.get(n) for r in rows]) for n in names})


def profile_batch(table: pa.Table, ref: TableProfile | None = None) -> TableProfile | None:
    """The batch's TableProfile, binned like ``ref`` when there is one; ``None`` for no
    rows or columns.

    A column that cannot be profiled (text in a numeric feature, say) is left out of the
    profile and logged; it never costs the batch its predictions.
    """
    if table.num_rows == 0 or table.num_columns == 0:
        return None
    try:
        return _profile(table, ref)
    except (StewardError, pa.ArrowException, ValueError, TypeError) as exc:
        log.warning("feature profile: profiling column by column after: %s", exc)
    columns = []
    for name in dict.fromkeys(table.column_names):
        try:
            columns.append(_profile(table.select([name]), ref).columns[name])
        except (StewardError, pa.ArrowException, ValueError, TypeError, KeyError) as exc:
            log.warning("feature %r left out of the profile: %s", name, exc)
    if not columns:
        return None
    return TableProfile(columns, rows=table.num_rows)


def _profile(table: pa.Table, ref: TableProfile | None) -> TableProfile:
    if ref is not None:
        return profile_table(table, reference=ref)
    return profile_table(table, bins=0)


def merge_profiles(a: str, b: str) -> str:
    """Merge ``b`` into ``a``; should that fail outright, ``a`` is kept (and logged), so a
    profile problem never costs a batch its predictions."""
    try:
        return _merge(a, b)
    except (StewardError, ValueError, TypeError, KeyError):
        log.exception("feature profile of a batch could not be merged; bucket kept as it was")
        return a


def merge_parsed(
    stored: str, parsed: TableProfile | None, batch: TableProfile
) -> tuple[str, TableProfile | None]:
    """Merge the batch's profile into a stored bucket; the new text and, when cheap to
    keep, its parsed form (for the next merge into the same bucket).

    ``parsed`` is ``stored`` already parsed (``None``: parse it here). The merge result
    is the same text :func:`merge_profiles` writes: a merged profile is fresh (merging
    copies), so keeping it for the next batch is the same as parsing its text again.
    """
    try:
        first = parsed if parsed is not None else TableProfile.from_json(stored)
        merged = first.merge(batch)
        return str(merged.to_json()), merged
    except StewardError:
        pass
    except (ValueError, TypeError, KeyError):
        log.exception("feature profile of a batch could not be merged; bucket kept as it was")
        return stored, None
    return merge_profiles(stored, str(batch.to_json())), None


def _merge(a: str, b: str) -> str:
    """Merge two serialised profiles, column by column.

    A column whose histograms cannot merge (the reference changed its edges) keeps its
    other summaries; a column whose kind changed keeps the stored profile and says so.
    """
    first, second = TableProfile.from_json(a), TableProfile.from_json(b)
    try:
        return str(first.merge(second).to_json())
    except StewardError:
        pass
    columns = dict(first.columns)
    for name, col in second.columns.items():
        if name not in columns:
            columns[name] = col
            continue
        try:
            columns[name] = columns[name].merge(col)
        except ParameterError:
            columns[name].histogram = None
            col.histogram = None
            columns[name] = columns[name].merge(col)
        except SchemaError as exc:
            log.warning("feature profile of column %r not merged: %s", name, exc)
    merged = TableProfile(
        list(columns.values()),
        rows=first.rows + second.rows,
        coerced={**first.coerced, **second.coerced},
    )
    return str(merged.to_json())
