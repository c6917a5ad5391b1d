"""The gateway as a FastAPI application.

``POST /predict/{model}`` with ``{"features": {...}, "key": "optional sticky key",
"id": "optional request id"}`` (or ``"features": [{...}, ...]`` for a batch) answers
``{"prediction" | "predictions", "version", "arm", "link", "id", "latency_ms"}`` plus
``"fallback"`` (each link that did not serve, and why) when the champion did not answer.
Missing or unexpected features are a 422 naming them.

``GET /rollout/{model}``, ``POST /rollout/{model}/approve|start|rollback`` (JSON with
``actor`` and ``reason``; ``start`` takes ``candidate``), ``POST /label/{model}`` (``id``,
``label``), ``GET /metrics`` (Prometheus text) and ``GET /healthz``. When ``token`` is
set the control routes need ``Authorization: Bearer TOKEN``.

>>> from fastapi.testclient import TestClient
>>> from modelsteward.rollout import (Gateway, InMemoryModelProvider, ModelSpec,
...                                   create_gateway_app)
>>> provider = InMemoryModelProvider({"v1": lambda rows: [r["x"] * 2 for r in rows]})
>>> gw = Gateway([ModelSpec("m", ["x"], provider, "v1")])
>>> with TestClient(create_gateway_app(gw, run_checks=False)) as client:
...     client.post("/predict/m", json={"features": {"x": 4}}).json()["prediction"]
...     client.post("/predict/m", json={"features": {"y": 4}}).status_code
8
422
>>> gw.close()
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Mapping
from typing import Any

from modelsteward.errors import InputError, StewardError, require

require("fastapi", "server", "The rollout gateway")

from fastapi import FastAPI, Request, Response  # noqa: E402

from modelsteward.rollout._asgi import (  # noqa: E402
    PredictFastPath,
    dumps,
    error_payload,
    parse_predict_body,
)
from modelsteward.rollout._gateway import Gateway  # noqa: E402

__all__ = ["create_gateway_app"]


async def _json_object(request: Request, what: str) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise InputError(f"{what}: the body is not valid JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise InputError(f"{what}: the body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], name: str, what: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what}: {name!r} must be a non-empty string")
    return value


def create_gateway_app(
    gateway: Gateway,
    *,
    token: str | None = None,
    run_checks: bool = True,
    check_every_s: float = 1.0,
    close_on_shutdown: bool = False,
    fast_path: bool = True,
) -> FastAPI:
    """The FastAPI app serving ``gateway``.

    ``run_checks`` starts a background thread calling :meth:`Gateway.tick` every
    ``check_every_s`` seconds (each model still looks only once per its policy's
    ``check_interval_s``); tests turn it off and call ``tick`` themselves.
    ``fast_path`` answers ``POST /predict/{model}`` in plain ASGI before FastAPI's router
    (same behaviour, a fraction of the overhead; off: the FastAPI route serves it).
    """
    require("fastapi", "server", "The rollout gateway")
    from fastapi import FastAPI, Response

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if run_checks:

            def loop() -> None:
                while not stop.wait(check_every_s):
                    gateway.tick()

            worker = threading.Thread(target=loop, name="steward-rollout-checks", daemon=True)
            worker.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(5.0)
            if close_on_shutdown:
                gateway.close()

    app = FastAPI(title="modelsteward gateway", lifespan=lifespan)
    app.state.gateway = gateway

    def reply(payload: Any, status: int = 200) -> Response:
        return Response(dumps(payload), status_code=status, media_type="application/json")

    @app.exception_handler(StewardError)
    async def steward_error(_: Request, exc: StewardError) -> Response:
        status, payload = error_payload(exc)
        return reply(payload, status)

    def authorise(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise _Unauthorised("this route needs 'Authorization: Bearer <gateway token>'")

    @app.exception_handler(_Unauthorised)
    async def unauthorised(_: Request, exc: _Unauthorised) -> Response:
        return reply({"detail": str(exc), "error": "Unauthorised"}, 401)

    @app.post("/predict/{model}")
    async def predict(model: str, request: Request) -> Response:
        """Serve a prediction (answered by :class:`PredictFastPath` when it is installed)."""
        features, key, rid = parse_predict_body(model, await request.body())
        return reply(await gateway.apredict(model, features, key=key, request_id=rid))

    @app.post("/label/{model}")
    async def label(model: str, request: Request) -> Response:
        body = await _json_object(request, f"POST /label/{model}")
        rid = _text(body, "id", f"POST /label/{model}")
        return reply({"matched": gateway.record_label(model, rid, body.get("label"))})

    @app.get("/rollout/{model}")
    async def rollout_status(model: str) -> Response:
        return reply(gateway.status(model))

    @app.post("/rollout/{model}/approve")
    async def approve(model: str, request: Request) -> Response:
        authorise(request)
        what = f"POST /rollout/{model}/approve"
        body = await _json_object(request, what)
        actor, reason = _text(body, "actor", what), _text(body, "reason", what)
        return reply(gateway.approve(model, actor=actor, reason=reason))

    @app.post("/rollout/{model}/rollback")
    async def rollback(model: str, request: Request) -> Response:
        authorise(request)
        what = f"POST /rollout/{model}/rollback"
        body = await _json_object(request, what)
        actor, reason = _text(body, "actor", what), _text(body, "reason", what)
        return reply(gateway.rollback(model, actor=actor, reason=reason))

    @app.post("/rollout/{model}/start")
    async def start(model: str, request: Request) -> Response:
        authorise(request)
        what = f"POST /rollout/{model}/start"
        body = await _json_object(request, what)
        candidate = _text(body, "candidate", what)
        actor = body.get("actor") if isinstance(body.get("actor"), str) else None
        reason = body.get("reason")
        return reply(
            gateway.start(
                model, candidate, actor=actor, reason=reason if isinstance(reason, str) else ""
            )
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(
            gateway.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    @app.get("/healthz")
    async def healthz() -> Response:
        return reply({"status": "ok", "models": sorted(gateway.models)})

    if fast_path:
        app.add_middleware(PredictFastPath, gateway=gateway)
    return app


class _Unauthorised(Exception):
    pass
