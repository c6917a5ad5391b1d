"""``/api/v1/alerts``, ``/api/v1/keys`` and the evaluation time series."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from modelsteward.server._auth import require_scope
from modelsteward.server._errors import error_responses
from modelsteward.server._schemas import (
    AckIn,
    AlertOut,
    AlertRuleIn,
    AlertRuleOut,
    EvaluationOut,
    IsoDatetime,
    KeyCreatedOut,
    KeyCreateIn,
    KeyOut,
)
from modelsteward.store import ApiKey, Store

__all__ = ["router"]

AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The alert's id")]
"""An alert id: a positive 64-bit integer, so no id reaches the database as an overflow."""

router = APIRouter(prefix="/api/v1", responses=error_responses(401, 403, 422))


def _answer(code: int, model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the body of a success (the route returns dicts)."""
    return {code: {"model": model, "description": description}}


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@router.get(
    "/alerts",
    tags=["alerts"],
    dependencies=[Depends(require_scope("read"))],
    summary="List alerts, newest first",
    response_model=None,
    responses={**_answer(200, list[AlertOut], "The alerts"), **error_responses(404)},
)
def list_alerts(
    request: Request,
    model: str | None = None,
    status: str | None = Query(None, pattern="^(firing|acknowledged|resolved)$"),
) -> list[dict[str, Any]]:
    store = _store(request)
    model_id = store.models.id_of(model) if model is not None else None
    return [a.to_dict() for a in store.alerts.list(model_id=model_id, status=status)]


@router.post(
    "/alerts/{alert_id}/ack",
    tags=["alerts"],
    summary="Acknowledge an alert",
    response_model=None,
    responses={**_answer(200, AlertOut, "The acknowledged alert"), **error_responses(404)},
)
def ack_alert(
    alert_id: AlertId,
    request: Request,
    body: AckIn | None = None,
    key: ApiKey | None = Depends(require_scope("read")),  # noqa: B008
) -> dict[str, Any]:
    by = (body.by if body else None) or (key.name if key else None)
    return _store(request).alerts.acknowledge(alert_id, by=by).to_dict()


@router.post(
    "/alerts/{alert_id}/resolve",
    tags=["alerts"],
    dependencies=[Depends(require_scope("admin"))],
    summary="Resolve an alert by hand (the scheduler resolves it when the condition clears)",
    response_model=None,
    responses={**_answer(200, AlertOut, "The resolved alert"), **error_responses(404)},
)
def resolve_alert(alert_id: AlertId, request: Request) -> dict[str, Any]:
    return _store(request).alerts.resolve(alert_id).to_dict()


@router.get(
    "/models/{name}/evaluations",
    tags=["models"],
    dependencies=[Depends(require_scope("read"))],
    summary="The time series of evaluated metrics of a model",
    response_model=None,
    responses={
        **_answer(200, list[EvaluationOut], "The evaluations"),
        **error_responses(404),
    },
)
def evaluations(
    name: str,
    request: Request,
    metric: str | None = None,
    version: str | None = None,
    start: IsoDatetime | None = None,
    end: IsoDatetime | None = None,
) -> list[dict[str, Any]]:
    store = _store(request)
    series = store.evaluations.series(
        store.models.id_of(name), metric, _utc(start), _utc(end), version=version
    )
    return [e.to_dict() for e in series]


@router.post(
    "/keys",
    tags=["keys"],
    status_code=201,
    dependencies=[Depends(require_scope("admin"))],
    summary="Create an API key; the token is in the answer only",
    response_model=None,
    responses=_answer(201, KeyCreatedOut, "The new key and its token"),
)
def create_key(body: KeyCreateIn, request: Request) -> dict[str, Any]:
    key, token = _store(request).keys.create(body.name, body.scope)
    return {**key.to_dict(), "token": token}


@router.get(
    "/keys",
    tags=["keys"],
    dependencies=[Depends(require_scope("admin"))],
    summary="List keys",
    response_model=None,
    responses=_answer(200, list[KeyOut], "Every key, revoked ones too"),
)
def list_keys(request: Request) -> list[dict[str, Any]]:
    return [k.to_dict() for k in _store(request).keys.list()]


@router.delete(
    "/keys/{key_id}",
    tags=["keys"],
    status_code=204,
    dependencies=[Depends(require_scope("admin"))],
    summary="Revoke a key",
    responses=error_responses(404),
)
def revoke_key(key_id: str, request: Request) -> None:
    _store(request).keys.revoke(key_id)


@router.get(
    "/alert-rules",
    tags=["alerts"],
    dependencies=[Depends(require_scope("read"))],
    summary="The alert rules in force: from steward.toml and created through the API",
    response_model=None,
    responses=_answer(200, list[AlertRuleOut], "The rules"),
)
def alert_rules(request: Request) -> list[dict[str, Any]]:
    from dataclasses import asdict

    configured = [
        {**r.model_dump(), "source": "steward.toml"} for r in request.app.state.settings.alert_rules
    ]
    stored = [{**asdict(r), "source": "api"} for r in _store(request).alert_rules.list()]
    return configured + stored


@router.post(
    "/alert-rules",
    tags=["alerts"],
    status_code=201,
    dependencies=[Depends(require_scope("admin"))],
    summary="Create an alert rule",
    response_model=None,
    responses={**_answer(201, AlertRuleOut, "The new rule"), **error_responses(404, 409)},
)
def create_alert_rule(body: AlertRuleIn, request: Request) -> dict[str, Any]:
    from dataclasses import asdict

    from modelsteward.server._evaluate import parse_window
    from modelsteward.store import AlertRule, ConflictError

    parse_window(body.window)
    if any(r.name == body.name for r in request.app.state.settings.alert_rules):
        raise ConflictError(f"steward.toml defines an alert rule named {body.name!r} already.")
    if body.model is not None:
        _store(request).models.id_of(body.model)
    rule = _store(request).alert_rules.create(AlertRule(**body.model_dump()))
    return {**asdict(rule), "source": "api"}


@router.delete(
    "/alert-rules/{name}",
    tags=["alerts"],
    status_code=204,
    dependencies=[Depends(require_scope("admin"))],
    summary="Delete an alert rule created through the API",
    responses=error_responses(404),
)
def delete_alert_rule(name: str, request: Request) -> None:
    _store(request).alert_rules.delete(name)
