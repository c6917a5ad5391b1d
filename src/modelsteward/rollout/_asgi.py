"""The hot path of the gateway app: ``POST /predict/{model}`` as plain ASGI.

FastAPI's routing and dependency resolution cost more than a small model does, so the
prediction route is answered by this middleware before the router (the FastAPI route of
the same path stays declared for the OpenAPI schema and as the reference behaviour: same
body, same answers, same errors). Everything else passes through untouched.

>>> import asyncio, json
>>> from modelsteward.rollout import Gateway, InMemoryModelProvider, ModelSpec
>>> gw = Gateway([ModelSpec("m", ["x"], InMemoryModelProvider({"v1": lambda r: [1] * len(r)}),
...               "v1")])
>>> async def app(scope, receive, send):
...     raise AssertionError("not reached")
>>> sent = []
>>> async def receive():
...     return {"type": "http.request", "body": b'{"features": {"x": 1}}'}
>>> async def send(message):
...     sent.append(message)
>>> scope = {"type": "http", "method": "POST", "path": "/predict/m"}
>>> asyncio.run(PredictFastPath(app, gateway=gw)(scope, receive, send))
>>> sent[0]["status"], json.loads(sent[1]["body"])["prediction"]
(200, 1)
>>> gw.close()
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from modelsteward.errors import InputError, StewardError
from modelsteward.rollout._errors import FeatureError
from modelsteward.rollout._gateway import Gateway

__all__ = ["MAX_BODY_BYTES", "PredictFastPath", "error_payload", "parse_predict_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest request body accepted (413 beyond it).
MAX_BODY_BYTES = 8 * 1024 * 1024
_BODY_KEYS = frozenset({"features", "key", "id"})
_JSON = [(b"content-type", b"application/json")]


def _default(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else str(value)


def dumps(payload: Any) -> bytes:
    """Compact JSON; numpy scalars and arrays become plain numbers and lists."""
    return json.dumps(payload, default=_default, separators=(",", ":")).encode()


def parse_predict_body(model: str, raw: bytes) -> tuple[Any, str | None, str | None]:
    """``(features, key, id)`` from a ``POST /predict/{model}`` body, or an InputError."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"POST /predict/{model}: the body is not valid JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise InputError(f"POST /predict/{model}: the body must be a JSON object")
    if "features" not in body or body.keys() - _BODY_KEYS:
        raise InputError(
            f"POST /predict/{model}: the body needs 'features' (an object, or a list of "
            f"objects) and may have 'key' and 'id'; got keys {sorted(body)}"
        )
    key, rid = body.get("key"), body.get("id")
    if (key is not None and not isinstance(key, str)) or (
        rid is not None and not isinstance(rid, str)
    ):
        raise InputError(f"POST /predict/{model}: 'key' and 'id' must be strings")
    return body["features"], key, rid


def error_payload(exc: StewardError) -> tuple[int, dict[str, Any]]:
    """The status and JSON body the gateway answers an error with."""
    from modelsteward.errors import ParameterError
    from modelsteward.rollout._errors import (
        NoLinkServedError,
        RolloutStateError,
        UnknownModelError,
    )

    status = 400
    if isinstance(exc, UnknownModelError):
        status = 404
    elif isinstance(exc, RolloutStateError):
        status = 409
    elif isinstance(exc, NoLinkServedError):
        status = 503
    elif isinstance(exc, InputError | ParameterError):
        status = 422
    payload: dict[str, Any] = {"detail": str(exc), "error": type(exc).__name__}
    if isinstance(exc, FeatureError):
        payload.update(missing=exc.missing, extra=exc.extra, row=exc.row)
    return status, payload


class PredictFastPath:
    """ASGI middleware answering ``POST /predict/{model}`` itself."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not path.startswith("/predict/")
            or "/" in path[9:]
            or len(path) == 9
        ):
            await self.app(scope, receive, send)
            return
        model = unquote(path[9:])
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _reply(send, 413, {"detail": f"the body exceeds {MAX_BODY_BYTES} bytes"})
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        try:
            features, key, rid = parse_predict_body(model, b"".join(chunks))
            answer = await self.gateway.apredict(model, features, key=key, request_id=rid)
        except StewardError as exc:
            status, payload = error_payload(exc)
            await _reply(send, status, payload)
            return
        await _reply(send, 200, answer)


async def _reply(send: Send, status: int, payload: Any) -> None:
    body = dumps(payload)
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
