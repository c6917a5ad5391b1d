"""Delayed labels: join labels to logged predictions by prediction id, vectorised with Arrow.

Rules (each tested):

- prediction ids must be unique; a duplicate is an :class:`~modelsteward.errors.InputError`
  naming one offending id;
- labels may come in any order, late or never; rows of the label table with a null id or
  a null label are ignored;
- the same id labelled more than once: the **last** row wins (a correction sent later
  replaces the earlier label); how many label rows were superseded is reported;
- labels whose id matches no prediction are counted and reported (with a few example
  ids), never silently dropped from the accounting.

Recomputing as labels arrive is re-running :func:`~modelsteward.performance.evaluate`
with the larger label table; :class:`LabelAccumulator` does the join incrementally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from modelsteward.errors import InputError

__all__ = ["LabelAccumulator", "LabelJoin", "check_unique_ids", "join_labels"]

ArrowLike = Any  # pa.Array | pa.ChunkedArray (pyarrow ships no type stubs)


@dataclass(frozen=True)
class LabelJoin:
    """Labels aligned to predictions (null where none arrived) and the join's accounting."""

    labels: pa.Array
    received: int
    matched: int
    unknown: int
    unknown_examples: list[Any] = field(default_factory=list)
    superseded: int = 0

    @property
    def coverage(self) -> float:
        """Share of predictions that have a label."""
        return self.matched / len(self.labels) if len(self.labels) else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "predictions": len(self.labels),
            "labels_received": self.received,
            "matched": self.matched,
            "coverage": self.coverage,
            "unknown_ids": self.unknown,
            "unknown_id_examples": self.unknown_examples,
            "superseded": self.superseded,
        }


def _flat(values: ArrowLike | Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(np.asarray(values))


def _common(a: pa.Array, b: pa.Array) -> tuple[pa.Array, pa.Array]:
    if a.type == b.type:
        return a, b
    if pa.types.is_integer(a.type) and pa.types.is_integer(b.type):
        return a.cast(pa.int64()), b.cast(pa.int64())
    return a.cast(pa.string()), b.cast(pa.string())


def check_unique_ids(ids: ArrowLike, where: str = "predictions") -> None:
    """Raise :class:`InputError` naming an example when ``ids`` has a duplicate or a null.

    >>> check_unique_ids(pa.array(["a", "b", "a"]))
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: predictions: prediction id 'a' appears 2 times; ...
    """
    flat = _flat(ids)
    if flat.null_count:
        row = int(np.flatnonzero(~np.asarray(flat.is_valid()))[0])
        raise InputError(
            f"{where}: the prediction id is missing in row {row}; "
            "every prediction needs an id to receive its label"
        )
    if pa.types.is_integer(flat.type):
        ordered = np.sort(np.asarray(flat))
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        if same.size == 0:
            return
        value = ordered[same[0]]
        times = int(np.sum(ordered == value))
        raise InputError(
            f"{where}: prediction id {value.item()!r} appears {times} times; prediction ids "
            "must be unique — deduplicate the predictions before evaluating"
        )
    if len(pc.unique(flat)) == len(flat):
        return
    counts = pc.value_counts(flat)
    dup = counts.filter(pc.greater(counts.field("counts"), 1))[0]
    raise InputError(
        f"{where}: prediction id {dup['values'].as_py()!r} appears {dup['counts'].as_py()} "
        "times; prediction ids must be unique — deduplicate the predictions before evaluating"
    )


def _last_wins(ids: pa.Array, values: pa.Array) -> tuple[pa.Array, pa.Array, int]:
    """Distinct ids with the value of their last row, and how many rows were superseded."""
    uniq = pc.unique(ids)
    if len(uniq) == len(ids):
        return ids, values, 0
    reversed_ids = ids.take(pa.array(np.arange(len(ids) - 1, -1, -1)))
    first_in_reversed = np.asarray(pc.index_in(uniq, value_set=reversed_ids))
    last = len(ids) - 1 - first_in_reversed
    return uniq, values.take(pa.array(last)), len(ids) - len(uniq)


def _join_sorted(pred: pa.Array, lab: pa.Array, vals: pa.Array) -> tuple[pa.Array, pa.Array, int]:
    """Integer ids: a sort-merge join in numpy (faster than hashing at 10M rows)."""
    p = np.asarray(pred.fill_null(0))
    order_p = np.argsort(p)
    sorted_p = p[order_p]
    ids = np.asarray(lab)
    order_l = np.argsort(ids, kind="stable")
    sorted_l = ids[order_l]
    last = np.ones(sorted_l.size, dtype=bool)
    last[:-1] = sorted_l[1:] != sorted_l[:-1]  # the last row of each id wins (stable sort)
    uniq, source = sorted_l[last], order_l[last]
    pos = np.searchsorted(sorted_p, uniq).clip(0, max(sorted_p.size - 1, 0))
    found = sorted_p[pos] == uniq if sorted_p.size else np.zeros(uniq.size, bool)
    take = np.full(p.size, -1, dtype=np.int64)
    take[order_p[pos[found]]] = source[found]
    aligned = vals.take(pa.array(take, mask=take < 0))
    return aligned, pa.array(uniq[~found]), int(ids.size - uniq.size)


def join_labels(
    prediction_ids: ArrowLike,
    label_ids: ArrowLike,
    label_values: ArrowLike,
    *,
    where: str = "predictions",
) -> LabelJoin:
    """Align ``label_values`` (keyed by ``label_ids``) to ``prediction_ids``.

    >>> j = join_labels(pa.array([1, 2, 3]), pa.array([3, 9, 1, 3]), pa.array([0, 1, 1, 1]))
    >>> j.labels.to_pylist(), j.coverage, j.unknown, j.superseded
    ([1, None, 1], 0.666..., 1, 1)
    """
    pred = _flat(prediction_ids)
    check_unique_ids(pred, where)
    lab, vals = _flat(label_ids), _flat(label_values)
    received = len(lab)
    keep = pc.and_(lab.is_valid(), vals.is_valid())
    lab, vals = lab.filter(keep), vals.filter(keep)
    pred, lab = _common(pred, lab)
    if pa.types.is_integer(pred.type):
        aligned, unknown_ids, superseded = _join_sorted(pred, lab, vals)
    else:
        uniq, uniq_vals, superseded = _last_wins(lab, vals)
        aligned = uniq_vals.take(pc.index_in(pred, value_set=uniq))
        unknown_ids = uniq.filter(pc.invert(pc.is_in(uniq, value_set=pred)))
    return LabelJoin(
        labels=aligned,
        received=received,
        matched=len(aligned) - aligned.null_count,
        unknown=len(unknown_ids),
        unknown_examples=unknown_ids.slice(0, 5).to_pylist(),
        superseded=superseded,
    )


class LabelAccumulator:
    """Labels for a fixed set of predictions, updated batch by batch as they arrive.

    Each :meth:`add` costs a lookup of the new batch only (integer ids: a merge
    against the predictions sorted once); :meth:`result` gives a
    :class:`LabelJoin` that :func:`~modelsteward.performance.evaluate` accepts as ``labels``.

    >>> acc = LabelAccumulator(pa.array(["a", "b", "c"]))
    >>> acc.add(pa.array(["c", "zz"]), pa.array([1, 0])).add(pa.array(["a", "c"]), pa.array([0, 0]))
    LabelAccumulator(predictions=3, matched=2, unknown=1)
    >>> acc.result().labels.to_pylist()
    [0, None, 0]
    """

    def __init__(self, prediction_ids: ArrowLike, *, where: str = "predictions") -> None:
        self._ids = _flat(prediction_ids)
        check_unique_ids(self._ids, where)
        self._pos = np.full(len(self._ids), -1, dtype=np.int64)
        self._values: list[pa.Array] = []
        self._offset = 0
        self._received = 0
        self._superseded = 0
        self._unknown: set[Any] = set()
        self._unknown_examples: list[Any] = []
        self._sorted: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None

    def _locate(self, ids: pa.Array, uniq: pa.Array) -> NDArray[np.int64]:
        """Row of each id of ``uniq`` among the predictions, -1 when unknown.

        Integer ids: the predictions are sorted once, each batch is a merge (searchsorted
        of the sorted batch); other types: an Arrow hash lookup.
        """
        if not (pa.types.is_integer(ids.type) and pa.types.is_integer(uniq.type)):
            return np.asarray(pc.index_in(uniq, value_set=ids).fill_null(-1), dtype=np.int64)
        if self._sorted is None:
            p = np.asarray(ids.cast(pa.int64()))
            order = np.argsort(p)
            self._sorted = (order, p[order])
        order, sorted_p = self._sorted
        u = np.asarray(uniq.cast(pa.int64()))
        u_order = np.argsort(u)
        pos = np.searchsorted(sorted_p, u[u_order]).clip(0, max(sorted_p.size - 1, 0))
        hit = sorted_p[pos] == u[u_order] if sorted_p.size else np.zeros(u.size, bool)
        where = np.full(u.size, -1, dtype=np.int64)
        where[u_order[hit]] = order[pos[hit]]
        return where

    def add(self, label_ids: ArrowLike, label_values: ArrowLike) -> LabelAccumulator:
        """Record a batch of labels (last wins within and across batches); returns ``self``."""
        lab, vals = _flat(label_ids), _flat(label_values)
        self._received += len(lab)
        keep = pc.and_(lab.is_valid(), vals.is_valid())
        lab, vals = lab.filter(keep), vals.filter(keep)
        ids, lab = _common(self._ids, lab)
        uniq, uniq_vals, superseded = _last_wins(lab, vals)
        where = self._locate(ids, uniq)
        known = where >= 0
        unknown = uniq.filter(pa.array(~known)).to_pylist()
        self._superseded += len(self._unknown.intersection(unknown))
        self._unknown.update(unknown)
        self._unknown_examples.extend(unknown[: max(0, 5 - len(self._unknown_examples))])
        self._superseded += superseded + int(np.sum(self._pos[where[known]] >= 0))
        self._pos[where[known]] = self._offset + np.flatnonzero(known)
        self._values.append(uniq_vals)
        self._offset += len(uniq_vals)
        return self

    def result(self) -> LabelJoin:
        """The labels so far, aligned to the predictions."""
        if self._values:
            values = pa.concat_arrays([v.cast(self._values[0].type) for v in self._values])
        else:
            values = pa.array([], type=pa.null())
        take = pa.array(self._pos, mask=self._pos < 0)
        aligned = values.take(take)
        return LabelJoin(
            aligned,
            self._received,
            len(aligned) - aligned.null_count,
            len(self._unknown),
            list(self._unknown_examples),
            self._superseded,
        )

    def __repr__(self) -> str:
        r = self.result()
        return (
            f"LabelAccumulator(predictions={len(self._ids)}, matched={r.matched}, "
            f"unknown={r.unknown})"
        )
