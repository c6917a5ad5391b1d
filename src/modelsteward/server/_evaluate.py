"""The figures of one closed window of one model, computed from the store.

Throughput, error rate, latency percentiles, label coverage, realized performance on the
labels that have arrived, label-free estimates fitted on the labelled predictions before
the window (CBPE for binary models, DLE for regression models), an ADWIN detector on the
stream of mistakes, data drift against the reference (merged bucket profiles) and
data-quality shares. ``None`` means "no data", never a pass.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from modelsteward.errors import ParameterError, StewardError
from modelsteward.store import Model, Store

__all__ = ["evaluate_window", "parse_window"]

log = logging.getLogger("modelsteward.server")
_WINDOW = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_WINDOW_DAYS = 366


def parse_window(text: str) -> timedelta:
    """``"30m"``, ``"1h"``, ``"1d"`` as a timedelta.

    >>> parse_window("90m")
    datetime.timedelta(seconds=5400)
    """
    m = _WINDOW.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ParameterError(
            f"A window is a positive number and one of s, m, h, d (e.g. '1h'). Got {text!r}."
        )
    seconds = int(m.group(1)) * _UNIT[m.group(2)]
    if seconds > _MAX_WINDOW_DAYS * 86400:
        raise ParameterError(f"A window is at most {_MAX_WINDOW_DAYS}d long. Got {text!r}.")
    return timedelta(seconds=seconds)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def _positive_score(score: Any) -> float | None:
    if isinstance(score, list) and len(score) == 2:
        return _number(score[1])
    if isinstance(score, dict):
        return _number(score.get("1", score.get("true", score.get("True"))))
    return _number(score)


def _performance(
    task: str, preds: list[Any], scores: list[Any], labels: list[Any]
) -> dict[str, float | None]:
    from modelsteward import performance as perf

    out: dict[str, float | None] = {}
    pairs = [(p, s, y) for p, s, y in zip(preds, scores, labels, strict=True) if y is not None]
    if not pairs:
        return {"accuracy": None} if task != "regression" else {"mae": None, "rmse": None}
    if task == "regression":
        num = [(_number(p), _number(y)) for p, _, y in pairs]
        ok = [(p, y) for p, y in num if p is not None and y is not None]
        if not ok:
            return {"mae": None, "rmse": None}
        yp, yt = np.array([p for p, _ in ok]), np.array([y for _, y in ok])
        return {"mae": perf.mae(yt, yp), "rmse": perf.rmse(yt, yp)}
    y_true = [str(y) for _, _, y in pairs]
    y_pred = [str(p) for p, _, _ in pairs]
    out["accuracy"] = perf.accuracy(y_true, y_pred)
    if task == "binary":
        s = [(_positive_score(sc), _number(y)) for _, sc, y in pairs]
        ok = [(a, b) for a, b in s if a is not None and b is not None]
        if ok and len({b for _, b in ok}) == 2:
            try:
                out["roc_auc"] = perf.roc_auc(
                    np.array([b for _, b in ok]), np.array([a for a, _ in ok])
                )
            except StewardError as exc:
                log.info("roc_auc skipped: %s", exc)
    return out


def _mistake_drift(preds: list[Any], labels: list[Any]) -> float | None:
    """1.0 when ADWIN finds a change in the stream of mistakes (time order), else 0.0."""
    from modelsteward.detectors import ADWIN

    mistakes = [
        float(str(p) != str(y)) for p, y in zip(preds, labels, strict=True) if y is not None
    ]
    if len(mistakes) < 30:
        return None
    detections = ADWIN().update_many(np.array(mistakes))
    return 1.0 if len(detections) else 0.0


def _drift(store: Store, model: Model, start: datetime, end: datetime) -> dict[str, float | None]:
    if not model.has_reference:
        return {}
    from modelsteward.server._drift import drift_between

    try:
        report = drift_between(store, model.name, start, end)
    except StewardError as exc:  # no profiles in the window, or no engine support
        log.info("drift of %s in [%s, %s) not computed: %s", model.name, start, end, exc)
        return {"drift_share": None, "dataset_drift": None}
    return {
        "drift_share": float(report["drift_share"]),
        "dataset_drift": 1.0 if report["dataset_drift"] else 0.0,
    }


def _quality(store: Store, model: Model, start: datetime, end: datetime) -> dict[str, float | None]:
    """Share of missing and of non-finite feature values, from the merged bucket profiles."""
    from modelsteward.profiles import TableProfile

    merged, _ = store.merged_profile(model.name, start, end)
    if merged is None:
        return {"feature_missing_share": None, "feature_nonfinite_share": None}
    cols = TableProfile.from_json(merged).columns.values()
    cells = sum(c.count for c in cols)
    if not cells:
        return {"feature_missing_share": None, "feature_nonfinite_share": None}
    return {
        "feature_missing_share": sum(c.nulls for c in cols) / cells,
        "feature_nonfinite_share": sum(c.non_finite for c in cols) / cells,
    }


def _estimated(
    store: Store, model: Model, start: datetime, w: dict[str, list[Any]]
) -> dict[str, float | None]:
    """CBPE estimates for the window, fitted on the labelled predictions before it."""
    from modelsteward.performance import CBPE

    scores = np.array([s for s in (_positive_score(x) for x in w["score"]) if s is not None])
    if scores.size == 0:
        return {"estimated_accuracy": None, "estimated_roc_auc": None}
    ref = store.events.labelled_before(model.id, start)
    pairs = [
        (_positive_score(s), _number(y)) for s, y in zip(ref["score"], ref["label"], strict=True)
    ]
    ok = [(p, y) for p, y in pairs if p is not None and y is not None]
    if len(ok) < 100 or len({y for _, y in ok}) < 2:
        return {"estimated_accuracy": None, "estimated_roc_auc": None}
    try:
        est = CBPE(problem="binary", metrics=["accuracy", "roc_auc"]).fit(
            np.array([y for _, y in ok]), np.array([p for p, _ in ok])
        )
        got = est.estimate(scores)
    except StewardError as exc:
        log.info("CBPE for %s skipped: %s", model.name, exc)
        return {"estimated_accuracy": None, "estimated_roc_auc": None}
    return {"estimated_accuracy": got.get("accuracy"), "estimated_roc_auc": got.get("roc_auc")}


def _estimated_regression(
    store: Store, model: Model, start: datetime, end: datetime, w: dict[str, list[Any]]
) -> dict[str, float | None]:
    """DLE estimates of MAE and RMSE for the window, fitted on the labelled predictions
    before it (see :mod:`modelsteward.server._estimation`)."""
    from modelsteward.server._estimation import estimate_regression, labelled_reference

    if not w["id"]:
        return {"estimated_mae": None, "estimated_rmse": None}
    ref, span = labelled_reference(store, model, start, end - start)
    got = estimate_regression(store, model, ref, span, w, (start, end))
    if got.estimated is None:
        log.info("DLE for %s in [%s, %s) not computed: %s", model.name, start, end, got.reason)
        return {"estimated_mae": None, "estimated_rmse": None}
    return {"estimated_mae": got.estimated["mae"], "estimated_rmse": got.estimated["rmse"]}


def evaluate_window(
    store: Store, model: Model, start: datetime, end: datetime, *, version: str | None = None
) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Every figure of ``model`` in ``[start, end)`` and details worth keeping.

    With ``version``, only that version's predictions count, and drift and data quality
    (kept per model, not per version) are left out.
    """
    w = store.events.window(model.id, start, end, version=version)
    n = len(w["id"])
    seconds = (end - start).total_seconds()
    metrics: dict[str, float | None] = {
        "predictions": float(n),
        "throughput_per_s": n / seconds if seconds else None,
        "error_rate": (sum(bool(e) for e in w["error"]) / n) if n else None,
    }
    lat = np.array([v for v in w["latency_ms"] if v is not None], dtype=float)
    for q in (50, 95, 99):
        metrics[f"latency_p{q}_ms"] = float(np.percentile(lat, q)) if lat.size else None
    labelled = sum(1 for y in w["label"] if y is not None)
    metrics["label_coverage"] = labelled / n if n else None
    metrics.update(_performance(model.task, w["prediction"], w["score"], w["label"]))
    if model.task != "regression":
        metrics["mistake_drift"] = _mistake_drift(w["prediction"], w["label"])
    if model.task == "binary" and version is None:
        metrics.update(_estimated(store, model, start, w))
    if model.task == "regression" and version is None:
        metrics.update(_estimated_regression(store, model, start, end, w))
    if version is None:
        metrics.update(_drift(store, model, start, end))
        metrics.update(_quality(store, model, start, end))
    versions = sorted({v for v in w["version"] if v is not None})
    details = {
        "rows": n,
        "labelled": labelled,
        "latency_values": int(lat.size),
        "versions": versions,
    }
    return metrics, details
