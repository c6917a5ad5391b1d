"""The profile of one column: counts plus the summaries that fit its kind."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike

from modelsteward.data import ColumnKind, NumericValues, category_counts, numeric_values
from modelsteward.errors import ParameterError, SchemaError
from modelsteward.profiles._categories import MisraGries
from modelsteward.profiles._histogram import Histogram
from modelsteward.profiles._kll import KLLSketch
from modelsteward.profiles._moments import Moments

__all__ = ["CATEGORY_KINDS", "NUMERIC_KINDS", "ColumnProfile", "column_values"]

#: Kinds summarised by moments, a quantile sketch and a histogram of numbers: numeric
#: values, datetimes as seconds since the Unix epoch (UTC), text as lengths in characters.
NUMERIC_KINDS = frozenset(
    {ColumnKind.NUMERIC.value, ColumnKind.DATETIME.value, ColumnKind.TEXT.value}
)
#: Kinds summarised by category counts.
CATEGORY_KINDS = frozenset({ColumnKind.CATEGORICAL.value, ColumnKind.BOOLEAN.value})

_UNITS_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}

Column: TypeAlias = Any  # a pyarrow Array or ChunkedArray


class ColumnProfile:
    """Mergeable summary of one column.

    ``count`` is every row, ``nulls`` the missing ones (NaN counts as missing, as in
    :func:`modelsteward.data.numeric_values`) and ``non_finite`` the infinite values of a
    numeric column (left out of the summaries). By ``kind``:

    - numeric: ``moments``, ``sketch`` (a :class:`KLLSketch`) and, when bin edges were
      given, ``histogram``, all over the finite values;
    - datetime: the same over seconds since the Unix epoch (UTC, float64);
    - text: the same over value lengths in characters;
    - categorical and boolean: ``categories`` (a :class:`MisraGries`);
    - id and empty: counts only.

    A column of kind ``empty`` merges with a column of any kind (it adds its counts).

    >>> import pyarrow as pa
    >>> p = ColumnProfile.new("age", "numeric", edges=[30.0]).update(pa.array([25, None, 41]))
    >>> p.count, p.nulls, p.moments.mean, p.histogram.counts.tolist()
    (3, 1, 33.0, [1, 1])
    >>> q = ColumnProfile.new("age", "numeric", edges=[30.0]).update(pa.array([52.0]))
    >>> merged = p.merge(q)
    >>> merged.count, merged.max, merged.sketch.n
    (4, 52.0, 3)
    """

    def __init__(
        self,
        name: str,
        kind: str | ColumnKind,
        *,
        count: int = 0,
        nulls: int = 0,
        non_finite: int = 0,
        moments: Moments | None = None,
        sketch: KLLSketch | None = None,
        histogram: Histogram | None = None,
        categories: MisraGries | None = None,
    ) -> None:
        self.name = name
        self.kind: str = ColumnKind(kind).value
        self.count = count
        self.nulls = nulls
        self.non_finite = non_finite
        self.moments = moments
        self.sketch = sketch
        self.histogram = histogram
        self.categories = categories

    @classmethod
    def new(
        cls,
        name: str,
        kind: str | ColumnKind,
        *,
        k: int = 200,
        max_categories: int = 1000,
        edges: ArrayLike | None = None,
        seed: int = 0,
    ) -> ColumnProfile:
        """An empty profile with the summaries ``kind`` needs (a histogram if ``edges``)."""
        kind = ColumnKind(kind).value
        profile = cls(name, kind)
        if kind in NUMERIC_KINDS:
            profile.moments = Moments()
            profile.sketch = KLLSketch(k, seed=seed)
            profile.histogram = None if edges is None else Histogram(edges)
        elif kind in CATEGORY_KINDS:
            profile.categories = MisraGries(max_categories)
        return profile

    @property
    def min(self) -> float:
        """Smallest finite value (numbers, epoch seconds, or text length); NaN otherwise."""
        return self.moments.min if self.moments is not None and self.moments.count else math.nan

    @property
    def max(self) -> float:
        """Largest finite value (numbers, epoch seconds, or text length); NaN otherwise."""
        return self.moments.max if self.moments is not None and self.moments.count else math.nan

    def update(self, column: Column) -> ColumnProfile:
        """Add a batch of this column's values (an Arrow array) in place; returns ``self``."""
        self.count += len(column)
        if self.kind in NUMERIC_KINDS:
            assert self.moments is not None and self.sketch is not None
            values = column_values(self.name, self.kind, column)
            self.nulls += values.nulls
            self.non_finite += values.non_finite
            self.moments.update(values.values)
            self.sketch.update(values.values)
            if self.histogram is not None:
                self.histogram.update(values.values)
        elif self.kind in CATEGORY_KINDS:
            assert self.categories is not None
            counted = category_counts(column)
            self.nulls += counted.nulls
            self.categories.update(counted.categories, counted.counts)
        else:
            self.nulls += int(column.null_count)
        return self

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """A new profile of both inputs' rows.

        Raises :class:`SchemaError` when the kinds differ (unless one is ``empty``).
        Histograms on different edges cannot be added: the merged profile then has no
        histogram (its sketch still merges; see ``_merge_histograms``).
        """
        if other.name != self.name:
            raise ParameterError(f"cannot merge the profile of {other.name!r} into {self.name!r}")
        if self.kind == ColumnKind.EMPTY.value or other.kind == ColumnKind.EMPTY.value:
            base, extra = (other, self) if self.kind == ColumnKind.EMPTY.value else (self, other)
            out = copy.deepcopy(base)
            out.count += extra.count
            out.nulls += extra.nulls
            out.non_finite += extra.non_finite
            return out
        if self.kind != other.kind:
            raise SchemaError(
                f"column {self.name!r} is {self.kind} in one profile and {other.kind} in the "
                "other; profile both with the same kinds (pass schema= or reference=)"
            )
        out = ColumnProfile(
            self.name,
            self.kind,
            count=self.count + other.count,
            nulls=self.nulls + other.nulls,
            non_finite=self.non_finite + other.non_finite,
        )
        if self.moments is not None and other.moments is not None:
            out.moments = self.moments.merge(other.moments)
        if self.sketch is not None and other.sketch is not None:
            out.sketch = self.sketch.merge(other.sketch)
        out.histogram = self._merge_histograms(other)
        if self.categories is not None and other.categories is not None:
            out.categories = self.categories.merge(other.categories)
        return out

    def _merge_histograms(self, other: ColumnProfile) -> Histogram | None:
        """Add histograms on the same edges; profiles binned differently lose the histogram.

        Dropping it (rather than refusing the merge) lets independently made profiles,
        such as one per day, merge; binned drift against the merged profile is then
        estimated from its sketch within the bound :func:`binned_counts` states. Profile
        the parts against one reference (``profile_table(..., reference=...)``) to keep
        exact bins. The result has a histogram exactly when every part with values has
        one on the same edges, so merging stays associative and commutative.
        """
        mine, theirs = self.histogram, other.histogram
        if mine is not None and theirs is not None:
            if np.array_equal(mine.edges, theirs.edges):
                return mine.merge(theirs)
            return None
        if mine is None and theirs is None:
            return None
        lone, bare = (mine, other) if mine is not None else (theirs, self)
        if bare.moments is None or bare.moments.count == 0:
            return copy.deepcopy(lone)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "non_finite": self.non_finite,
            "moments": None if self.moments is None else self.moments.to_dict(),
            "sketch": None if self.sketch is None else self.sketch.to_dict(),
            "histogram": None if self.histogram is None else self.histogram.to_dict(),
            "categories": None if self.categories is None else self.categories.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """Read back ``to_dict``; ValueError/KeyError/TypeError when malformed."""
        name = data["name"]
        if not isinstance(name, str):
            raise ValueError("column name must be a string")
        counts = [data[key] for key in ("count", "nulls", "non_finite")]
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise ValueError(f"column {name!r}: counts must be non-negative integers")
        profile = cls(name, data["kind"], count=counts[0], nulls=counts[1], non_finite=counts[2])
        parts = {key: data[key] for key in ("moments", "sketch", "histogram", "categories")}
        if parts["moments"] is not None:
            profile.moments = Moments.from_dict(parts["moments"])
        if parts["sketch"] is not None:
            profile.sketch = KLLSketch.from_dict(parts["sketch"])
        if parts["histogram"] is not None:
            profile.histogram = Histogram.from_dict(parts["histogram"])
        if parts["categories"] is not None:
            profile.categories = MisraGries.from_dict(parts["categories"])
        profile._check(name)
        return profile

    def _check(self, name: str) -> None:
        numeric = self.kind in NUMERIC_KINDS
        if numeric != (self.moments is not None and self.sketch is not None):
            raise ValueError(f"column {name!r}: a {self.kind} column needs moments and a sketch")
        if (self.kind in CATEGORY_KINDS) != (self.categories is not None):
            raise ValueError(f"column {name!r}: a {self.kind} column needs category counts")
        if self.histogram is not None and not numeric:
            raise ValueError(f"column {name!r}: a {self.kind} column has no histogram")
        if self.moments is not None and self.sketch is not None:
            finite = self.count - self.nulls - self.non_finite
            if not self.moments.count == self.sketch.n == finite:
                raise ValueError(f"column {name!r}: the value counts disagree")
            if self.histogram is not None and self.histogram.total != finite:
                raise ValueError(f"column {name!r}: the histogram counts disagree")
        if self.categories is not None and self.categories.n != self.count - self.nulls:
            raise ValueError(f"column {name!r}: the category counts disagree")
        if self.nulls > self.count:
            raise ValueError(f"column {name!r}: more nulls than rows")

    def __repr__(self) -> str:
        return f"ColumnProfile({self.name!r}, kind={self.kind!r}, count={self.count})"


def column_values(name: str, kind: str, column: Column) -> NumericValues:
    """The finite numbers a numeric-like column is profiled on (see :data:`NUMERIC_KINDS`).

    >>> column_values("t", "datetime", pa.array([86_400_000], pa.timestamp("ms"))).values
    array([86400.])
    >>> column_values("note", "text", pa.array(["héllo", None])).values
    array([5.])
    """
    try:
        if kind == ColumnKind.TEXT.value:
            return numeric_values(_lengths(column))
        if kind == ColumnKind.DATETIME.value and _is_text(column.type):
            column = _parse_times(column)
        if kind == ColumnKind.DATETIME.value and pa.types.is_temporal(column.type):
            raw = numeric_values(column)
            if pa.types.is_date(column.type):  # numeric_values gives dates as days
                seconds = raw.values * 86_400.0
            else:
                seconds = raw.values / _UNITS_PER_SECOND.get(getattr(column.type, "unit", "s"), 1.0)
            return NumericValues(seconds, raw.nulls, raw.non_finite)
        if _is_text(column.type):
            column = pc.cast(column, pa.float64())
        return numeric_values(column)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise SchemaError(
            f"column {name!r} should hold {kind} values but has Arrow type {column.type} "
            f"({exc}); fix the data or give the column its kind with schema="
        ) from exc


def _is_text(type_: pa.DataType) -> bool:
    return bool(pa.types.is_string(type_) or pa.types.is_large_string(type_))


def _parse_times(column: Column) -> Column:
    """ISO 8601 text as timestamps: with a zone offset, else as UTC wall time."""
    try:
        return pc.cast(column, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        return pc.cast(column, pa.timestamp("us"))


def _lengths(column: Column) -> Column:
    type_ = column.type
    if pa.types.is_dictionary(type_):
        column = pc.cast(column, type_.value_type)
        type_ = column.type
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return pc.utf8_length(column)
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_):
        return pc.binary_length(column)
    try:
        return pc.utf8_length(pc.cast(column, pa.string()))
    except pa.ArrowException:
        # Nested values (lists, structs) have no Arrow cast to text: measure their repr.
        # A per-row Python step, but only for such columns.
        texts = [None if v is None else str(v) for v in column.to_pylist()]
        return pc.utf8_length(pa.array(texts, type=pa.string()))
