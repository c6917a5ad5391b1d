"""``steward rollout approve|rollback|start|status MODEL``: control a running gateway.

These talk to a gateway started with ``steward gateway`` over HTTP (``--url``, default
``$STEWARD_GATEWAY_URL`` or ``http://127.0.0.1:8300``), sending ``--token`` (default
``$STEWARD_GATEWAY_TOKEN``) as a bearer token when the gateway requires one. The gateway
records the approval, with the actor and the reason, in the audit log.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelsteward.cli._app import app
from modelsteward.errors import StewardError

if TYPE_CHECKING:
    import httpx

__all__ = ["GatewayRequestError", "rollout_app"]

rollout_app = typer.Typer(help="Control the rollouts of a running gateway.", no_args_is_help=True)
app.add_typer(rollout_app, name="rollout")

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Gateway URL; default $STEWARD_GATEWAY_URL or 127.0.0.1:8300."),
]
TokenOption = Annotated[
    str | None, typer.Option("--token", help="Bearer token; default $STEWARD_GATEWAY_TOKEN.")
]
ActorOption = Annotated[str, typer.Option("--actor", help="Who decides (recorded).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded).")]


class GatewayRequestError(StewardError):
    """The gateway could not be reached or refused the request."""


def _client(url: str, token: str | None) -> httpx.Client:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=10.0)


def _call(
    method: str, path: str, url: str | None, token: str | None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    import httpx

    base = url or os.environ.get("STEWARD_GATEWAY_URL") or "http://127.0.0.1:8300"
    token = token or os.environ.get("STEWARD_GATEWAY_TOKEN") or None
    try:
        with _client(base, token) as client:
            r = client.request(method, path, json=body)
    except httpx.HTTPError as exc:
        raise GatewayRequestError(
            f"no gateway answers at {base} ({exc}); start one with "
            "`steward gateway --config FILE` or pass --url"
        ) from exc
    try:
        payload = r.json()
    except ValueError:
        payload = {"detail": r.text[:200]}
    if r.status_code >= 400:
        detail = payload.get("detail") if isinstance(payload, dict) else payload
        raise GatewayRequestError(f"the gateway refused {method} {path}: {r.status_code} {detail}")
    return payload if isinstance(payload, dict) else {"result": payload}


def _show(status: dict[str, Any]) -> None:
    typer.echo(
        f"{status.get('model')}: {status.get('state')}, champion {status.get('champion')}, "
        f"candidate {status.get('candidate')}, {status.get('percent', 0):g} % to the candidate"
    )


@rollout_app.command("approve")
def approve(
    model: str,
    actor: ActorOption,
    reason: ReasonOption,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Approve the promotion waiting for a human (high-risk models)."""
    _show(
        _call("POST", f"/rollout/{model}/approve", url, token, {"actor": actor, "reason": reason})
    )


@rollout_app.command("rollback")
def rollback(
    model: str,
    actor: ActorOption,
    reason: ReasonOption,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Roll the current candidate back now."""
    _show(
        _call("POST", f"/rollout/{model}/rollback", url, token, {"actor": actor, "reason": reason})
    )


@rollout_app.command("start")
def start(
    model: str,
    candidate: Annotated[str, typer.Option("--candidate", help="Version to roll out.")],
    actor: Annotated[str | None, typer.Option("--actor", help="Who starts it.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Start rolling a candidate version out (shadow first if the policy says so)."""
    _show(
        _call(
            "POST",
            f"/rollout/{model}/start",
            url,
            token,
            {"candidate": candidate, "actor": actor, "reason": reason},
        )
    )


@rollout_app.command("status")
def status(
    model: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Show the rollout state, breakers and the last check."""
    result = _call("GET", f"/rollout/{model}", url, token)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _show(result)
