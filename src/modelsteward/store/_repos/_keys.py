"""API keys: ``msk_<key id>_<secret>``; only the key id and a SHA-256 digest are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from modelsteward.errors import ParameterError
from modelsteward.store._domain import ApiKey
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._errors import AuthError, NotFoundError
from modelsteward.store._orm import ApiKeyRow
from modelsteward.store._repos._common import utcnow

_K = cast(sa.Table, ApiKeyRow.__table__)
SCOPES = ("ingest", "read", "admin")
_PREFIX = "msk_"


def _digest(token: str) -> str:
    # The secret has 256 bits of entropy, so a plain SHA-256 is not brute-forceable.
    return hashlib.sha256(token.encode()).hexdigest()


class KeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, name: str, scope: str) -> tuple[ApiKey, str]:
        """Create a key; returns it and the token, which is shown once and never stored."""
        if scope not in SCOPES:
            raise ParameterError(
                f"The scope of an API key must be one of {', '.join(SCOPES)}. Got {scope!r}."
            )
        if not name:
            raise ParameterError("An API key needs a non-empty --name.")
        key_id = secrets.token_hex(6)
        token = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = utcnow()

        def run() -> None:
            with write_tx(self._engine) as conn:
                conn.execute(
                    _K.insert().values(
                        key_id=key_id,
                        name=name,
                        scope=scope,
                        digest=_digest(token),
                        created_at=now,
                    )
                )

        retrying(run)
        return ApiKey(key_id=key_id, name=name, scope=scope, created_at=now), token

    def verify(self, token: str) -> ApiKey:
        """The key behind ``token``; :class:`AuthError` when it is unknown, wrong or revoked."""
        parts = token.split("_")
        if len(parts) < 3 or not token.startswith(_PREFIX):
            raise AuthError("The API key is malformed; expected 'Authorization: Bearer msk_...'.")
        key_id = parts[1]
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(_K).where(_K.c.key_id == key_id)).mappings().first()
        if row is None or not hmac.compare_digest(row["digest"], _digest(token)):
            raise AuthError("The API key is not valid; create one with `steward keys create`.")
        if row["revoked_at"] is not None:
            raise AuthError(f"The API key {key_id!r} was revoked.")
        return _to_key(row)

    def list(self) -> list[ApiKey]:
        with read_tx(self._engine) as conn:
            rows = conn.execute(sa.select(_K).order_by(_K.c.created_at)).mappings().all()
        return [_to_key(r) for r in rows]

    def count_active(self) -> int:
        with read_tx(self._engine) as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(_K).where(_K.c.revoked_at.is_(None))
                ).scalar_one()
            )

    def revoke(self, key_id: str) -> None:
        def run() -> int:
            with write_tx(self._engine) as conn:
                res = conn.execute(
                    _K.update()
                    .where(_K.c.key_id == key_id, _K.c.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
                return int(res.rowcount)

        if retrying(run) == 0:
            raise NotFoundError(f"No active API key with id {key_id!r}.")


def _to_key(r: Any) -> ApiKey:
    return ApiKey(
        key_id=r["key_id"],
        name=r["name"],
        scope=r["scope"],
        created_at=r["created_at"],
        revoked=r["revoked_at"] is not None,
    )
