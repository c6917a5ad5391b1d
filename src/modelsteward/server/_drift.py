"""``GET /api/v1/models/{name}/drift``: merge the bucket profiles, compare with the reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from modelsteward.errors import DataReadError
from modelsteward.server._auth import require_scope
from modelsteward.server._body import BodyFormat
from modelsteward.server._errors import DriftUnavailableError, error_responses
from modelsteward.server._schemas import IsoDatetime
from modelsteward.server._tables import read_table
from modelsteward.store import NotFoundError, Store

__all__ = ["drift_between", "reference_from_body", "router"]

router = APIRouter(prefix="/api/v1", tags=["drift"], responses=error_responses(401, 403, 422))


def reference_from_body(body: bytes, fmt: BodyFormat) -> tuple[str, int]:
    """A reference profile (JSON) and its row count from a table or profile body."""
    from modelsteward.profiles import TableProfile, profile_table

    if fmt is BodyFormat.JSON:
        profile = TableProfile.from_json(body, source="request body")
    else:
        table = read_table(body, fmt)
        try:
            profile = profile_table(table)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise DataReadError(f"The reference table cannot be profiled: {exc}") from exc
    return str(profile.to_json()), int(profile.rows)


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def drift_between(store: Store, name: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The drift JSON of the model's traffic in ``[start, end)`` against its reference."""
    from modelsteward.datadrift import drift
    from modelsteward.profiles import TableProfile

    reference = store.models.reference(name)
    if reference is None:
        raise NotFoundError(
            f"Model {name!r} has no reference yet; set one with "
            f"`steward models set-reference {name} FILE` or PUT /api/v1/models/{name}/reference."
        )
    current, _rows = store.merged_profile(name, start, end)
    if current is None:
        raise NotFoundError(
            f"No predictions with features for {name!r} between {start.isoformat()} and "
            f"{end.isoformat()}; widen the range or send features with the predictions."
        )
    try:
        report = drift(
            TableProfile.from_json(reference),
            TableProfile.from_json(current),
            multivariate=False,
        )
    except DataReadError as exc:
        if "TableProfile" not in str(exc):
            raise
        raise DriftUnavailableError(
            "This build's drift engine cannot compare stored profiles yet "
            "(modelsteward.drift on TableProfile inputs)."
        ) from exc
    out: dict[str, Any] = report.to_dict()
    out.update({"model": name, "start": start.isoformat(), "end": end.isoformat()})
    return out


@router.get(
    "/models/{name}/drift",
    dependencies=[Depends(require_scope("read"))],
    summary="Data drift of the model's inputs in [start, end) against its reference",
    responses=error_responses(404, 501),
)
async def get_drift(
    name: str,
    request: Request,
    start: Annotated[IsoDatetime | None, Query(description="ISO 8601; default end - 24 h")] = None,
    end: Annotated[IsoDatetime | None, Query(description="ISO 8601; default now")] = None,
) -> dict[str, Any]:
    end_ = _utc(end) if end is not None else datetime.now(UTC)
    start_ = _utc(start) if start is not None else end_ - timedelta(days=1)
    if start_ >= end_:
        from modelsteward.errors import ParameterError

        raise ParameterError(
            f"start ({start_.isoformat()}) must be before end ({end_.isoformat()})."
        )
    store: Store = request.app.state.store
    return await run_in_threadpool(drift_between, store, name, start_, end_)
