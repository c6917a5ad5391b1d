"""``evaluate``: metrics with intervals per window and per segment, with delayed labels.

One call reads the predictions (and, separately, the labels joined by prediction id),
encodes them once, then measures each slice: the whole data (``overall``), each window
(by prediction time, e.g. ``"1d"``, or by row count, e.g. ``10000``, in time order) and
each value of a segment column — the reference's value for the same segment alongside.
Windows are assigned by when the *prediction* was made, not when its label arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelsteward.data import open_table
from modelsteward.errors import InputError, ParameterError, SchemaError
from modelsteward.performance._inputs import (
    Columns,
    Rows,
    ScoreSpec,
    column,
    harmonise,
    parse_window,
    read_rows,
    time_windows,
)
from modelsteward.performance._labels import LabelAccumulator, LabelJoin, join_labels
from modelsteward.performance._registry import (
    Measurement,
    Sample,
    check_metrics,
    compare,
    default_metrics,
    measure_all,
)
from modelsteward.performance._results import (
    INSUFFICIENT,
    OK,
    UNDEFINED,
    MetricResult,
    PerformanceReport,
    SliceResult,
)
from modelsteward.performance._validate import check_known_classes

__all__ = ["evaluate"]

TASKS = ("binary", "multiclass", "regression")


class _Encoded:
    """All rows of one table as codes: ``true`` is meaningful where ``labelled``."""

    def __init__(
        self,
        task: str,
        rows: Rows,
        encode: Any,
        proba: NDArray[np.float64] | None,
        k: int,
        options: dict[str, Any],
    ) -> None:
        self.task, self.k, self.options = task, k, options
        self.n = rows.n
        self.labelled = rows.labelled
        self.time_us = rows.time_us
        self.segment = rows.segment
        self.pred = encode(rows.pred)
        self.true = np.zeros(rows.n, dtype=self.pred.dtype)
        self.true[rows.labelled] = encode(rows.labels)
        self.proba = proba

    def sample(self, idx: NDArray[np.int64] | None = None) -> Sample:
        keep = np.flatnonzero(self.labelled) if idx is None else idx[self.labelled[idx]]
        proba = None if self.proba is None else self.proba[keep]
        return Sample(self.task, self.true[keep], self.pred[keep], proba, self.k, self.options)


def _positive(classes: NDArray[Any], positive: Any) -> Any:
    if positive is not None:
        return positive
    as_set = set(classes.tolist())
    if as_set <= {0, 1}:
        return True if classes.dtype.kind == "b" else 1
    if classes.size == 2:
        return classes[1].item()
    raise ParameterError("cannot tell the positive class; pass positive=<label value>")


def _encoders(task: str, cur: Rows, ref: Rows | None, positive: Any) -> tuple[Any, NDArray[Any]]:
    """A function from raw values to codes, and the classes (empty for regression)."""
    if task == "regression":

        def to_float(v: NDArray[Any]) -> NDArray[np.float64]:
            try:
                return np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise SchemaError("regression labels and predictions must be numbers") from exc

        return to_float, np.array([])
    parts = [cur.labels, cur.pred] + ([ref.labels, ref.pred] if ref is not None else [])
    parts = harmonise(*parts)
    if ref is not None:
        known = np.unique(np.concatenate(parts[2:]))
        check_known_classes(parts[0], known, "current labels")
        check_known_classes(parts[1], known, "current predictions")
    classes = np.unique(np.concatenate(parts))
    text = parts[0].dtype.kind == "U" and cur.labels.dtype.kind != "U"
    if task == "binary":
        if classes.size > 2:
            raise SchemaError(
                f"a binary task, but labels and predictions hold {classes.size} "
                f"classes {classes.tolist()[:10]}; use task='multiclass'"
            )
        pos = _positive(classes, positive)
        if pos not in set(classes.tolist()) and classes.size == 2:
            raise ParameterError(f"positive class {pos!r} is not among {classes.tolist()}")

        def to_binary(v: NDArray[Any]) -> NDArray[np.int64]:
            v = np.asarray(v).astype(str) if text else np.asarray(v)
            return np.asarray(v == pos, dtype=np.int64)

        return to_binary, classes

    def to_codes(v: NDArray[Any]) -> NDArray[np.int64]:
        v = np.asarray(v).astype(str) if text else np.asarray(v)
        return np.searchsorted(classes, v).astype(np.int64)

    return to_codes, classes


def _proba(task: str, rows: Rows, classes: NDArray[Any]) -> NDArray[np.float64] | None:
    if rows.scores is None:
        return None
    if task == "binary":
        if rows.scores.shape[1] != 1:
            raise ParameterError("a binary task takes one score column: p(positive class)")
        p = rows.scores[:, 0]
        return np.column_stack([1.0 - p, p])
    if task != "multiclass":
        raise ParameterError("score columns apply to classification tasks only")
    if rows.score_keys:
        keys = harmonise(np.asarray(rows.score_keys), classes)[0]
        if classes.dtype.kind in "iu" and keys.dtype.kind == "U":
            keys = keys.astype(np.int64)
        missing = [c for c in classes.tolist() if c not in set(keys.tolist())]
        if missing:
            raise SchemaError(
                f"no score column for class {missing[0]!r}; map every class "
                "to its probability column"
            )
        order = [int(np.flatnonzero(keys == c)[0]) for c in classes]
        return rows.scores[:, order]
    if rows.scores.shape[1] != classes.size:
        raise SchemaError(
            f"{rows.scores.shape[1]} score columns for {classes.size} classes "
            f"{classes.tolist()}; give one per class, in this order"
        )
    return rows.scores


def _result(
    m: Measurement, ref: Measurement | None, *, confidence: float, alpha: float
) -> MetricResult:
    def num(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    status = OK if m.reason is None else (INSUFFICIENT if m.reason == INSUFFICIENT else UNDEFINED)
    change = None if ref is None else compare(m, ref, confidence=confidence, alpha=alpha)
    return MetricResult(
        m.name,
        num(m.value),
        num(m.lower),
        num(m.upper),
        m.method,
        status,
        m.reason,
        None if ref is None else num(ref.value),
        change,
        m.details,
    )


class _Measurer:
    def __init__(
        self, names: list[str], confidence: float, alpha: float, n_boot: int, seed: int
    ) -> None:
        self.names, self.confidence, self.alpha = names, confidence, alpha
        self.n_boot, self.seed, self.counter = n_boot, seed, 0

    def raw(self, sample: Sample) -> dict[str, Measurement]:
        self.counter += 1
        return measure_all(
            self.names,
            sample,
            confidence=self.confidence,
            n_boot=self.n_boot,
            seed=(self.seed, self.counter),
        )

    def slice(
        self,
        kind: str,
        key: str,
        n: int,
        sample: Sample,
        ref: dict[str, Measurement] | None,
        start: str | None = None,
        end: str | None = None,
    ) -> SliceResult:
        got = self.raw(sample)
        metrics = {
            k: _result(
                v, None if ref is None else ref[k], confidence=self.confidence, alpha=self.alpha
            )
            for k, v in got.items()
        }
        status = OK if sample.n > 0 else INSUFFICIENT
        return SliceResult(kind, key, n, sample.n, status, metrics, start, end)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def _groups(keys: NDArray[Any]) -> list[tuple[Any, NDArray[np.int64]]]:
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    bounds = [*starts.tolist(), keys.size]
    return [(uniq[j], order[bounds[j] : bounds[j + 1]]) for j in range(uniq.size)]


def _windows(
    enc: _Encoded, window: str | int | None, meas: _Measurer, ref: dict[str, Measurement] | None
) -> list[SliceResult]:
    spec = parse_window(window)
    if spec is None:
        return []
    kind, size = spec
    if kind == "time":
        if enc.time_us is None:
            raise ParameterError(
                f"window {window!r} is a duration; pass the time column (time=... / --time-column)"
            )
        ids = time_windows(enc.time_us, size)
    else:
        order = np.arange(enc.n) if enc.time_us is None else np.argsort(enc.time_us, kind="stable")
        ids = np.empty(enc.n, dtype=np.int64)
        ids[order] = np.arange(enc.n) // size
    out = []
    for wid, idx in _groups(ids):
        if kind == "time":
            start, end = _iso(int(wid) * size), _iso((int(wid) + 1) * size)
        elif enc.time_us is not None:
            start, end = _iso(int(enc.time_us[idx].min())), _iso(int(enc.time_us[idx].max()))
        else:
            start, end = None, None
        key = (
            start if kind == "time" else f"rows {int(wid) * size}-{int(wid) * size + idx.size - 1}"
        )
        out.append(meas.slice("window", str(key), idx.size, enc.sample(idx), ref, start, end))
    return out


def _join(src: Any, labels: Any, id_col: str, label_col: str) -> LabelJoin | None:
    if labels is None:
        return None
    if isinstance(labels, LabelAccumulator):
        join = labels.result()
    elif isinstance(labels, LabelJoin):
        join = labels
    else:
        lsrc = open_table(labels, name="labels")
        join = join_labels(
            column(src, id_col, "prediction id"),
            column(lsrc, id_col, "prediction id"),
            column(lsrc, label_col, "label"),
            where=src.name,
        )
    if len(join.labels) != src.num_rows:
        raise InputError(
            f"the labels were joined to {len(join.labels)} predictions but "
            f"{src.name} has {src.num_rows} rows; join against the same predictions"
        )
    return join


def evaluate(
    predictions: Any,
    labels: Any = None,
    *,
    task: str,
    label: str = "label",
    prediction: str = "prediction",
    score: str | Sequence[str] | Mapping[Any, str] | None = None,
    time: str | None = None,
    id: str = "id",
    window: str | int | None = None,
    segment: str | None = None,
    reference: Any = None,
    metrics: Sequence[str] | None = None,
    positive: Any = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
    n_boot: int = 200,
    seed: int = 0,
    quantile: float = 0.5,
    n_bins: int = 10,
    mape_zeros: str = "epsilon",
) -> PerformanceReport:
    """Measure model quality per window and per segment, with intervals and change tests.

    ``predictions``: a table (pandas/polars/Arrow or a file path) with ``prediction``,
    optional ``score`` (binary: the column of p(positive); multiclass: a mapping
    class → column, or one column per class in sorted class order), ``time``,
    ``segment`` and ``id`` columns. ``labels``: None (the ``label`` column of
    ``predictions``, null where not yet known), a table with ``id`` and ``label``
    columns joined by prediction id (see :mod:`~modelsteward.performance._labels` for
    the rules), or a :class:`LabelJoin`/:class:`LabelAccumulator`. ``reference``: a
    labelled table with the same column names; each metric is then tested against it.

    >>> import pyarrow as pa
    >>> preds = pa.table({"id": [1, 2, 3, 4], "prediction": [1, 0, 1, 1],
    ...                   "score": [0.9, 0.2, 0.7, 0.6]})
    >>> labels = pa.table({"id": [4, 1, 2, 99], "label": [0, 1, 0, 1]})
    >>> r = evaluate(preds, labels, task="binary", score="score", window=2,
    ...              metrics=["accuracy", "roc_auc"])
    >>> r.labels["coverage"], r.labels["unknown_ids"]
    (0.75, 1)
    >>> [(w.key, w.n_labelled, w.metrics["accuracy"].value) for w in r.windows]
    [('rows 0-1', 2, 1.0), ('rows 2-3', 1, 0.0)]
    >>> r.windows[1].metrics["roc_auc"].status, r.windows[1].metrics["roc_auc"].reason
    ('undefined', 'only one class among the labels (ROC AUC needs positives and negatives)')
    """
    if task not in TASKS:
        raise ParameterError(f"task must be one of {list(TASKS)}. Got {task!r} instead.")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1). Got {confidence!r} instead.")
    score_spec: ScoreSpec = score
    cols = Columns(label, prediction, score_spec, time, segment)
    src = open_table(predictions, name="predictions")
    join = _join(src, labels, id, label)
    multi = task == "multiclass"
    cur = read_rows(src, cols, None if join is None else join.labels, multiclass=multi)
    ref_rows = None
    if reference is not None:
        rsrc = open_table(reference, name="reference")
        ref_rows = read_rows(rsrc, replace(cols, time=None), None, multiclass=multi)
        if not ref_rows.labelled.any():
            raise InputError("reference: no labelled rows; the reference needs labels")
    names = check_metrics(
        metrics or default_metrics(task, score is not None), task, score is not None
    )
    encode, classes = _encoders(task, cur, ref_rows, positive)
    k = 2 if task == "binary" else int(classes.size)
    options = {"quantile": quantile, "n_bins": n_bins, "mape_zeros": mape_zeros}
    enc = _Encoded(task, cur, encode, _proba(task, cur, classes), k, options)
    meas = _Measurer(names, confidence, alpha, n_boot, seed)
    ref_enc, ref_overall, ref_result = None, None, None
    if ref_rows is not None:
        ref_enc = _Encoded(task, ref_rows, encode, _proba(task, ref_rows, classes), k, options)
        ref_overall = meas.raw(ref_enc.sample())
        ref_result = meas.slice("reference", "reference", ref_enc.n, ref_enc.sample(), None)
    overall = meas.slice("overall", "all", enc.n, enc.sample(), ref_overall)
    segments = []
    if enc.segment is not None:
        ref_groups = (
            {} if ref_enc is None or ref_enc.segment is None else dict(_groups(ref_enc.segment))
        )
        for value, idx in _groups(enc.segment):
            ref_idx = ref_groups.get(value)
            ref_seg = (
                None if ref_enc is None or ref_idx is None else meas.raw(ref_enc.sample(ref_idx))
            )
            segments.append(meas.slice("segment", str(value), idx.size, enc.sample(idx), ref_seg))
    accounting = (
        join.to_dict()
        if join is not None
        else {
            "predictions": enc.n,
            "matched": int(enc.labelled.sum()),
            "coverage": float(enc.labelled.mean()) if enc.n else 0.0,
        }
    )
    return PerformanceReport(
        task=task,
        metrics=names,
        confidence=confidence,
        overall=overall,
        windows=_windows(enc, window, meas, ref_overall),
        segments=segments,
        reference=ref_result,
        labels=accounting,
        classes=None if task == "regression" else classes.tolist(),
    )
