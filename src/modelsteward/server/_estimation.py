"""DLE for regression models: their MAE and RMSE estimated before the labels arrive.

A DLE (:class:`modelsteward.performance.DLE`) is fitted on labelled predictions of a
reference period and applied to the predictions of the period asked about. Its inputs are
the prediction and, when the server retains raw features (``feature_retention_days``),
the features of each prediction, joined by prediction id; without retained features the
loss models learn from the prediction alone (how the error varies with the predicted
value), and the answer says which inputs were used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from modelsteward.errors import StewardError
from modelsteward.store import Model, Store

__all__ = ["DLE_MIN_REFERENCE", "RegressionEstimate", "estimate_regression", "labelled_reference"]

log = logging.getLogger("modelsteward.server")

DLE_MIN_REFERENCE = 100
"""Fewer labelled reference predictions than this and no estimate is made."""
_REFERENCE_ROWS = 20_000  # the newest labelled predictions a DLE is fitted on
_LOOKBACK = timedelta(days=7)  # how far back the scheduler looks for them
_META = ("prediction_id", "timestamp")


@dataclass
class RegressionEstimate:
    """Estimated ``mae`` and ``rmse`` (``None`` when not estimated, with the reason)."""

    estimated: dict[str, float] | None
    reason: str | None = None
    inputs: list[str] = field(default_factory=list)
    reference_rows: int = 0


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        return None
    return float(v)


def _pairs(rows: dict[str, list[Any]], *, labelled: bool) -> tuple[list[str], np.ndarray, Any]:
    """Ids, numeric predictions and (when ``labelled``) numeric labels of the usable rows."""
    ids, preds, labels = [], [], []
    for pid, p, y in zip(rows["id"], rows["prediction"], rows["label"], strict=True):
        pv = _number(p)
        yv = _number(y) if labelled else 0.0
        if pv is None or yv is None:
            continue
        ids.append(pid)
        preds.append(pv)
        labels.append(yv)
    return ids, np.array(preds, dtype=float), np.array(labels, dtype=float) if labelled else None


def labelled_reference(
    store: Store, model: Model, before: datetime, width: timedelta
) -> tuple[dict[str, list[Any]], tuple[datetime, datetime]]:
    """The newest labelled predictions before ``before`` (at most 20,000, at most 7 days
    back) and the range they came from; read newest first, in spans that start at
    ``width`` and double, so a sparsely labelled model costs a few reads, not hundreds."""
    chunks: list[dict[str, list[Any]]] = []
    found, end = 0, before
    step = max(width, timedelta(minutes=1))
    while found < _REFERENCE_ROWS and before - end < _LOOKBACK:
        start = max(end - step, before - _LOOKBACK)
        rows = store.events.window(model.id, start, end)
        keep = [i for i, y in enumerate(rows["label"]) if y is not None]
        chunks.append({k: [v[i] for i in keep] for k, v in rows.items()})
        found += len(keep)
        end = start
        step *= 2  # a few reads reach back the whole look-back period
    merged: dict[str, list[Any]] = {k: [] for k in ("id", "prediction", "label", "timestamp")}
    for chunk in reversed(chunks):  # oldest first
        for k in merged:
            merged[k] += chunk.get(k, [])
    if found > _REFERENCE_ROWS:
        merged = {k: v[-_REFERENCE_ROWS:] for k, v in merged.items()}
    return merged, (end, before)


def _features(
    store: Store, model: Model, ids: list[str], span: tuple[datetime, datetime]
) -> pa.Table | None:
    """The retained features of ``ids`` (aligned with them), or ``None`` when not kept."""
    if store.features is None or not ids:
        return None
    table = store.features.read(model.name, *span)
    if table is None or table.num_rows == 0:
        return None
    position = {pid: i for i, pid in enumerate(table.column("prediction_id").to_pylist())}
    rows = [position.get(pid) for pid in ids]
    if any(r is None for r in rows):
        return None  # some predictions have no retained features: use the prediction alone
    keep = [
        name
        for name in table.column_names
        if name not in _META
        and (
            pa.types.is_integer(table.schema.field(name).type)
            or pa.types.is_floating(table.schema.field(name).type)
            or pa.types.is_boolean(table.schema.field(name).type)
            or pa.types.is_string(table.schema.field(name).type)
            or pa.types.is_large_string(table.schema.field(name).type)
        )
    ]
    return table.select(keep).take(pa.array(rows, pa.int64()))


def _align(reference: pa.Table, current: pa.Table) -> pa.Table:
    """``current`` with the reference's columns in the reference's order (nulls if absent)."""
    cols = []
    for f in reference.schema:
        if f.name in current.column_names:
            cols.append(current.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(current.num_rows, f.type))
    return pa.table(cols, names=reference.column_names)


def estimate_regression(
    store: Store,
    model: Model,
    reference: dict[str, list[Any]],
    reference_span: tuple[datetime, datetime],
    current: dict[str, list[Any]],
    current_span: tuple[datetime, datetime],
) -> RegressionEstimate:
    """DLE estimates of ``current`` from the labelled rows of ``reference`` (the newest
    20,000 of them, so a long reference range costs no more to fit than that).

    ``reference`` and ``current`` are window rows (``id``, ``prediction``, ``label``); the
    spans are the periods they were read from (to find their retained features).
    """
    from modelsteward.performance import DLE

    ref_ids, p_ref, y_ref = _pairs(reference, labelled=True)
    if len(ref_ids) > _REFERENCE_ROWS:  # the newest ones (rows come oldest first)
        ref_ids, p_ref, y_ref = (
            ref_ids[-_REFERENCE_ROWS:],
            p_ref[-_REFERENCE_ROWS:],
            y_ref[-_REFERENCE_ROWS:],
        )
    cur_ids, p_cur, _ = _pairs(current, labelled=False)
    if len(ref_ids) < DLE_MIN_REFERENCE:
        return RegressionEstimate(
            None,
            f"DLE needs at least {DLE_MIN_REFERENCE} reference predictions with numeric "
            f"labels; found {len(ref_ids)}",
            reference_rows=len(ref_ids),
        )
    if not cur_ids:
        return RegressionEstimate(
            None, "no numeric predictions to estimate", reference_rows=len(ref_ids)
        )
    x_ref = _features(store, model, ref_ids, reference_span)
    x_cur = _features(store, model, cur_ids, current_span) if x_ref is not None else None
    attempts: list[tuple[Any, Any, list[str]]] = []
    if x_ref is not None and x_cur is not None and x_ref.num_columns:
        attempts.append((x_ref, _align(x_ref, x_cur), [*x_ref.column_names, "prediction"]))
    attempts.append((np.empty((len(ref_ids), 0)), np.empty((len(cur_ids), 0)), ["prediction"]))
    reason = None
    for xr, xc, inputs in attempts:
        try:
            est = DLE(metrics=["mae", "rmse"], max_iter=100, n_threads=1).fit(xr, p_ref, y_ref)
            return RegressionEstimate(est.estimate(xc, p_cur), None, inputs, len(ref_ids))
        except (StewardError, ValueError, TypeError, pa.ArrowException) as exc:
            log.info("DLE for %s on %s skipped: %s", model.name, inputs, exc)
            reason = str(exc)
    return RegressionEstimate(None, reason, reference_rows=len(ref_ids))
