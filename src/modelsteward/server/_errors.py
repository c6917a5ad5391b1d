"""HTTP errors of the server and the mapping of every StewardError to a 4xx answer.

::

    StewardError
     ├── PayloadTooLargeError      body larger than the configured limit (413)
     ├── UnsupportedMediaTypeError body of a content type the endpoint does not take (415)
     └── DriftUnavailableError     the drift engine cannot compare stored profiles (501)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelsteward.errors import InputError, MissingExtraError, ParameterError, StewardError
from modelsteward.store import AuthError, BatchError, ConflictError, ForbiddenError, NotFoundError

__all__ = [
    "DriftUnavailableError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "error_responses",
    "install_handlers",
    "status_of",
]

log = logging.getLogger("modelsteward.server")


class PayloadTooLargeError(StewardError):
    """The request body is larger than ``STEWARD_MAX_BODY_BYTES``."""


class UnsupportedMediaTypeError(StewardError):
    """The request body has a content type the endpoint does not accept."""


class DriftUnavailableError(StewardError):
    """The installed drift engine cannot compare stored profiles (HTTP 501)."""


_REASONS = {
    400: "Bad request",
    401: "Missing, malformed, unknown or revoked API key",
    403: "The API key's scope does not allow this",
    404: "Unknown model, alert, key or rule (or nothing in the range)",
    409: "Conflicts with what is stored already",
    413: "Body larger than STEWARD_MAX_BODY_BYTES",
    415: "Unsupported Content-Type",
    422: "Invalid parameters or body; nothing was stored",
    501: "Not available in this build (a missing optional extra)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting ``codes`` with the :class:`ErrorOut` body.

    Giving 422 replaces FastAPI's default ``HTTPValidationError``, which is not what
    :func:`install_handlers` answers with.
    """
    from modelsteward.server._schemas import ErrorOut

    return {c: {"model": ErrorOut, "description": _REASONS[c]} for c in codes}


def status_of(exc: StewardError) -> int:
    """The HTTP status a StewardError answers with (never 5xx)."""
    table: list[tuple[type[StewardError], int]] = [
        (ForbiddenError, 403),
        (AuthError, 401),
        (NotFoundError, 404),
        (ConflictError, 409),
        (PayloadTooLargeError, 413),
        (UnsupportedMediaTypeError, 415),
        (BatchError, 422),
        (InputError, 422),
        (ParameterError, 422),
        (MissingExtraError, 501),
        (DriftUnavailableError, 501),
    ]
    for cls, status in table:
        if isinstance(exc, cls):
            return status
    return 400


def _body(message: str, kind: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message, "type": kind}
    if errors is not None:
        body["errors"] = errors
    return body


def validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors as ``{"row", "field", "error"}`` (row is None outside a batch)."""
    out = []
    for e in raw:
        loc = [p for p in e.get("loc", ()) if p not in ("body", "predictions", "labels")]
        row = next((p for p in loc if isinstance(p, int)), None)
        fields = [str(p) for p in loc if not isinstance(p, int)]
        out.append({"row": row, "field": ".".join(fields) or None, "error": e.get("msg", "")})
    return out


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(StewardError)
    async def _steward(_request: Request, exc: StewardError) -> JSONResponse:
        status = status_of(exc)
        errors = exc.errors if isinstance(exc, BatchError) else None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _body(str(exc), type(exc).__name__, errors), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(list(exc.errors()))
        first = errors[0] if errors else {"field": None, "error": "invalid request"}
        message = f"invalid request: {first['field'] or 'body'}: {first['error']}"
        return JSONResponse(_body(message, "ValidationError", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's "There was an error parsing the body": say why, as for ingest bodies
            message = f"The body is not valid JSON: {exc.__cause__}."
            return JSONResponse(_body(message, "InputError"), status_code=422)
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            _body(str(exc.detail), "HTTPError"), status_code=exc.status_code, headers=headers
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path (for ``Allow``).

    Starlette names only the methods of the first route whose path matched, while a path
    such as ``/api/v1/models`` has one route per method; so each method is tried in turn.
    """
    from starlette.routing import Match

    allowed = []
    for method in ("DELETE", "GET", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(r.matches(scope)[0] is Match.FULL for r in request.app.router.routes):
            allowed.append(method)
    return allowed
