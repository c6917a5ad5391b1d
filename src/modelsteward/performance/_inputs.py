"""From user tables to encoded arrays: columns, labels, classes, scores, windows, segments."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from modelsteward.data import TableSource
from modelsteward.errors import InputError, ParameterError, SchemaError
from modelsteward.performance._validate import check_probabilities

__all__ = ["Columns", "Rows", "column", "parse_window", "read_rows", "time_windows"]

ScoreSpec = str | Sequence[str] | Mapping[Any, str] | None
_UNITS = {"s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Columns:
    label: str
    prediction: str
    score: ScoreSpec = None
    time: str | None = None
    segment: str | None = None


@dataclass
class Rows:
    """Raw (not yet encoded) values of one table; ``labelled`` marks rows with a label."""

    n: int
    labels: NDArray[Any]  # values of the labelled rows only
    labelled: NDArray[np.bool_]
    pred: NDArray[Any]
    scores: NDArray[np.float64] | None  # (n, s) in the column order of the score spec
    score_keys: list[Any]
    time_us: NDArray[np.int64] | None
    segment: NDArray[Any] | None


def column(src: TableSource, name: str, role: str) -> pa.ChunkedArray:
    """Read a column, or raise :class:`SchemaError` listing the columns there are."""
    if name not in src.column_names:
        raise SchemaError(
            f"{src.name}: no {role} column {name!r}; the columns are {src.column_names}"
        )
    return src.column(name)


def _values(arr: pa.ChunkedArray | pa.Array) -> NDArray[Any]:
    out = np.asarray(arr.to_numpy(zero_copy_only=False))
    if out.dtype.kind == "f" and out.size and np.all(np.mod(out, 1) == 0):
        return out.astype(np.int64)
    return out


def harmonise(*arrays: NDArray[Any]) -> list[NDArray[Any]]:
    """Bring label-like arrays to one comparable dtype (text when numbers meet text)."""
    kinds = {a.dtype.kind for a in arrays if a.size}
    if kinds <= {"i", "u", "f", "b"} or len(kinds) <= 1:
        return list(arrays)
    return [a.astype(str) for a in arrays]


def score_keys(score: ScoreSpec) -> tuple[list[str], list[Any]]:
    """Column names and (for a mapping) their class keys."""
    if score is None:
        return [], []
    if isinstance(score, str):
        return [score], []
    if isinstance(score, Mapping):
        return [str(v) for v in score.values()], list(score.keys())
    return [str(s) for s in score], []


def read_rows(
    src: TableSource, cols: Columns, labels: pa.Array | None, *, multiclass: bool
) -> Rows:
    """Read label, prediction, score, time and segment columns of ``src``."""
    n = src.num_rows
    label_arr = labels if labels is not None else column(src, cols.label, "label")
    labelled = np.asarray(label_arr.is_valid(), dtype=bool)
    pred_arr = column(src, cols.prediction, "prediction")
    if pred_arr.null_count:
        row = int(np.flatnonzero(~np.asarray(pred_arr.is_valid()))[0])
        raise InputError(
            f"{src.name}: prediction column {cols.prediction!r} is empty in row "
            f"{row}; every logged prediction needs a value"
        )
    names, keys = score_keys(cols.score)
    scores = None
    if names:
        mats = [_score_column(src, c) for c in names]
        scores = np.column_stack(mats)
        check_probabilities(
            scores,
            f"{src.name}: score columns {names}",
            rows_sum_to_one=multiclass and len(names) > 1,
        )
    return Rows(
        n=n,
        labels=_values(label_arr.filter(pa.array(labelled))),
        labelled=labelled,
        pred=_values(pred_arr),
        scores=scores,
        score_keys=keys,
        time_us=_time_us(column(src, cols.time, "time")) if cols.time else None,
        segment=_segment(column(src, cols.segment, "segment")) if cols.segment else None,
    )


def _score_column(src: TableSource, name: str) -> NDArray[np.float64]:
    arr = column(src, name, "score")
    try:
        return np.asarray(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"{src.name}: score column {name!r} is not numeric ({arr.type}); "
            "pass a column of probabilities"
        ) from exc


def _time_us(arr: pa.ChunkedArray) -> NDArray[np.int64]:
    """Microseconds since the epoch, UTC. Naive timestamps are taken as UTC; numbers as seconds."""
    if arr.null_count:
        raise InputError("the time column has missing values; every prediction needs a time")
    t = arr.type
    try:
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            secs = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
            return (secs * 1e6).astype(np.int64)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            arr = pc.cast(arr, pa.timestamp("us", tz="UTC"))
        elif pa.types.is_date(t):
            arr = pc.cast(arr, pa.timestamp("us"))
        if pa.types.is_timestamp(arr.type):
            arr = pc.cast(arr, pa.timestamp("us", tz=arr.type.tz)).cast(pa.int64())
            return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"cannot read the time column as timestamps: {exc}") from exc
    raise SchemaError(
        f"the time column has type {t}; use timestamps, ISO 8601 text or Unix seconds"
    )


def _segment(arr: pa.ChunkedArray) -> NDArray[Any]:
    text = pc.fill_null(pc.cast(arr, pa.string()), "(missing)")
    return np.asarray(text.to_numpy(zero_copy_only=False)).astype(str)


def parse_window(window: str | int | None) -> tuple[str, int] | None:
    """``("count", rows)`` or ``("time", microseconds)`` from ``10000``, ``"1d"``, ``"6h"``, ...

    >>> parse_window("1d"), parse_window(500), parse_window("15min")
    (('time', 86400000000), ('count', 500), ('time', 900000000))
    """
    if window is None:
        return None
    if isinstance(window, int) or (isinstance(window, str) and window.isdigit()):
        size = int(window)
        if size < 1:
            raise ParameterError(f"window must be a positive row count. Got {window!r} instead.")
        return "count", size
    match = re.fullmatch(r"(\d+)\s*(s|min|m|h|d|w)", str(window).strip())
    if not match or int(match.group(1)) == 0:
        raise ParameterError(
            f"window must be a row count (e.g. 10000) or a duration such as '1h', '1d', '15min' "
            f"or '1w'. Got {window!r} instead."
        )
    return "time", int(match.group(1)) * _UNITS[match.group(2)] * 1_000_000


def time_windows(time_us: NDArray[np.int64], width_us: int) -> NDArray[np.int64]:
    """Window number of each row for fixed-width windows aligned to the Unix epoch."""
    return np.floor_divide(time_us, width_us)
