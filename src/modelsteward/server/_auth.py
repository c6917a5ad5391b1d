"""Bearer API keys with scopes; ``--dev`` servers (loopback only) need none."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modelsteward.errors import InputError
from modelsteward.store import ApiKey, AuthError, ForbiddenError, Store

__all__ = ["require_scope"]

_bearer = HTTPBearer(auto_error=False, description="An API key from `steward keys create`.")


def require_scope(scope: str) -> Callable[..., ApiKey | None]:
    """A dependency that admits keys allowed to do ``scope`` (admin may do everything)."""

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> ApiKey | None:
        if request.app.state.dev:
            _check_params(request)
            return None
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AuthError("Missing API key: send 'Authorization: Bearer <key>'.")
        store: Store = request.app.state.store
        key = store.keys.verify(credentials.credentials)
        if not key.allows(scope):
            raise ForbiddenError(
                f"The API key {key.key_id!r} has scope {key.scope!r}; this needs {scope!r} "
                "(or admin)."
            )
        _check_params(request)
        return key

    return check


def _check_params(request: Request) -> None:
    """422 for a NUL character in a path or query parameter (PostgreSQL cannot store or
    even compare text holding one, so it would otherwise surface as a 500)."""
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, value in params.items():
            if "\x00" in name or "\x00" in str(value):
                raise InputError(
                    f"The {where} parameter {name!r} contains a NUL character (\\x00); "
                    "names, ids and filters cannot contain one."
                )
