"""``GET /api/v1/models/{name}/performance``: realized and estimated quality.

Estimated without labels: CBPE (accuracy, ROC AUC) for binary models, DLE (MAE, RMSE)
for regression models, each fitted on the labelled predictions of a reference range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from modelsteward.errors import ParameterError, StewardError
from modelsteward.server._auth import require_scope
from modelsteward.server._errors import error_responses
from modelsteward.server._evaluate import _number, _performance, _positive_score
from modelsteward.server._schemas import IsoDatetime
from modelsteward.store import Store

__all__ = ["performance_between", "router"]

router = APIRouter(prefix="/api/v1", tags=["performance"], responses=error_responses(401, 403, 422))


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _binary_pairs(w: dict[str, list[Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (or NaN) and positive-class scores of the rows that have a numeric score."""
    ys, ps = [], []
    for score, label in zip(w["score"], w["label"], strict=True):
        p = _positive_score(score)
        if p is None:
            continue
        y = _number(label) if label is not None else None
        ys.append(np.nan if y is None else y)
        ps.append(p)
    y_arr, p_arr = np.array(ys, dtype=float), np.array(ps, dtype=float)
    return y_arr, p_arr, ~np.isnan(y_arr)


def performance_between(
    store: Store,
    name: str,
    start: datetime,
    end: datetime,
    reference: tuple[datetime, datetime] | None,
) -> dict[str, Any]:
    model = store.models.get(name)
    w = store.events.window(model.id, start, end)
    labelled = sum(1 for y in w["label"] if y is not None)
    out: dict[str, Any] = {
        "model": name,
        "task": model.task,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "predictions": len(w["id"]),
        "labelled": labelled,
        "realized": _performance(model.task, w["prediction"], w["score"], w["label"]),
        "estimated": None,
        "estimated_reason": None,
    }
    if reference is None:
        out["estimated_reason"] = (
            "give reference_start and reference_end to estimate (CBPE for binary models, "
            "DLE for regression models)"
        )
        return out
    if model.task == "regression":
        from modelsteward.server._estimation import estimate_regression

        ref = store.events.window(model.id, *reference)
        got = estimate_regression(store, model, ref, reference, w, (start, end))
        out.update(
            estimated=got.estimated,
            estimated_reason=got.reason,
            estimated_method="DLE",
            estimated_inputs=got.inputs,
            reference={"start": reference[0].isoformat(), "end": reference[1].isoformat()},
        )
        return out
    if model.task != "binary":
        out["estimated_reason"] = (
            "label-free estimation is served for binary (CBPE) and regression (DLE) models"
        )
        return out
    from modelsteward.performance import CBPE

    out["estimated_method"] = "CBPE"

    ref = store.events.window(model.id, *reference)
    y_ref, p_ref, known = _binary_pairs(ref)
    _, p_cur, _ = _binary_pairs(w)
    if known.sum() == 0 or p_cur.size == 0:
        out["estimated_reason"] = "no labelled scores in the reference window or no scores now"
        return out
    try:
        est = CBPE(problem="binary", metrics=["accuracy", "roc_auc"])
        out["estimated"] = est.fit(y_ref[known], p_ref[known]).estimate(p_cur)
    except StewardError as exc:
        out["estimated_reason"] = str(exc)
    out["reference"] = {"start": reference[0].isoformat(), "end": reference[1].isoformat()}
    return out


@router.get(
    "/models/{name}/performance",
    dependencies=[Depends(require_scope("read"))],
    summary="Realized quality on the labels that arrived; CBPE or DLE estimates without them",
    responses=error_responses(404),
)
async def get_performance(
    name: str,
    request: Request,
    start: Annotated[IsoDatetime | None, Query(description="ISO 8601; default end - 24 h")] = None,
    end: Annotated[IsoDatetime | None, Query(description="ISO 8601; default now")] = None,
    reference_start: IsoDatetime | None = None,
    reference_end: IsoDatetime | None = None,
) -> dict[str, Any]:
    end_ = _utc(end) or datetime.now(UTC)
    start_ = _utc(start) or end_ - timedelta(days=1)
    if start_ >= end_:
        raise ParameterError(
            f"start ({start_.isoformat()}) must be before end ({end_.isoformat()})."
        )
    reference = None
    if reference_start is not None or reference_end is not None:
        rs, re_ = _utc(reference_start), _utc(reference_end)
        if rs is None or re_ is None or rs >= re_:
            raise ParameterError("give both reference_start and reference_end, start before end.")
        reference = (rs, re_)
    store: Store = request.app.state.store
    return await run_in_threadpool(performance_between, store, name, start_, end_, reference)
