"""Where the SDK delivers batches: the local store or a remote server over HTTP.

A transport raises :class:`RetryableError` when trying later may succeed (server down,
database locked, unknown model) and :class:`RejectedError` when rows are invalid; then
``rows`` names them (or is ``None`` when the whole batch is bad).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = [
    "HttpTransport",
    "LocalTransport",
    "RejectedError",
    "RetryableError",
    "Transport",
    "dumps",
]


class RetryableError(Exception):
    """Delivery failed; the same batch may succeed later."""


class RejectedError(Exception):
    """The receiver refused rows of the batch; resending them will not help."""

    def __init__(self, message: str, rows: list[int] | None) -> None:
        super().__init__(message)
        self.rows = rows


class Transport(Protocol):
    def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """Deliver ``rows``: ``kind`` is ``"p"`` (predictions) or ``"l"`` (labels)."""

    def close(self) -> None: ...


def _default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if isinstance(obj, datetime):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def dumps(rows: Any) -> str:
    """JSON that also takes numpy values and datetimes (anything else becomes text)."""
    return json.dumps(rows, default=_default, allow_nan=False)


def _json_safe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        dumps(rows)
        return rows
    except ValueError:  # NaN or infinity somewhere: they travel as null
        return [_finite(r) for r in rows]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist"):
        return _finite(value.tolist())
    return value


class HttpTransport:
    """POSTs batches to ``{url}/api/v1/models/{model}/predictions|labels``."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        client: Any = None,
    ) -> None:
        from urllib.parse import quote

        import httpx

        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = client or httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self._headers = headers
        self._paths = {
            "p": f"/api/v1/models/{quote(model, safe='')}/predictions",
            "l": f"/api/v1/models/{quote(model, safe='')}/labels",
        }

    def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
        import httpx

        try:
            body = dumps(rows)
        except ValueError:
            body = dumps(_json_safe(rows))
        try:
            r = self._client.post(self._paths[kind], content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        if r.status_code < 300:
            return
        detail = r.text[:500]
        if r.status_code == 422:
            try:
                errors = r.json().get("errors") or []
                bad = sorted({e["row"] for e in errors if isinstance(e.get("row"), int)})
            except (ValueError, AttributeError, KeyError):
                bad = []
            raise RejectedError(f"422: {detail}", bad or None)
        if r.status_code == 413:
            raise RejectedError(f"413: {detail}", None) if len(rows) <= 1 else RetryableError("413")
        raise RetryableError(f"HTTP {r.status_code}: {detail}")

    def close(self) -> None:
        self._client.close()


class LocalTransport:
    """Writes straight into a :class:`modelsteward.store.Store` (opened on first use)."""

    def __init__(self, model: str, *, database_url: str | None = None, store: Any = None) -> None:
        self._model = model
        self._database_url = database_url
        self._store = store
        self._owns = store is None

    def _open(self) -> Any:
        if self._store is None:
            from modelsteward.settings import load_settings
            from modelsteward.store import Store

            store = Store.from_settings(load_settings(database_url=self._database_url))
            store.upgrade()
            self._store = store
        return self._store

    def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from modelsteward.errors import InputError
        from modelsteward.store import BatchError, NotFoundError

        rows = json.loads(dumps(_json_safe(rows)))  # numpy values and the like, as JSON has them
        try:
            store = self._open()
            if kind == "p":
                store.ingest_predictions(self._model, [_prediction(r) for r in rows])
            else:
                store.ingest_labels(self._model, [_label(r) for r in rows])
        except BatchError as exc:
            bad = sorted({e["row"] for e in exc.errors if isinstance(e.get("row"), int)})
            raise RejectedError(str(exc), bad or None) from exc
        except InputError as exc:  # a value the database refuses: the batch is bisected
            raise RejectedError(str(exc), None) from exc
        except (NotFoundError, SQLAlchemyError, OSError) as exc:
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self._owns and self._store is not None:
            self._store.close()


def _ts(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    ts = datetime.fromisoformat(value)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _prediction(r: dict[str, Any]) -> Any:
    from modelsteward.store import PredictionRecord

    return PredictionRecord(
        id=r["id"],
        timestamp=_ts(r["timestamp"]),
        prediction=r.get("prediction"),
        features=r.get("features"),
        score=r.get("score"),
        latency_ms=r.get("latency_ms"),
        version=r.get("version"),
        error=bool(r.get("error", False)),
        segment=r.get("segment"),
    )


def _label(r: dict[str, Any]) -> Any:
    from modelsteward.store import LabelRecord

    return LabelRecord(
        id=r["id"],
        label=r.get("label"),
        timestamp=_ts(r["timestamp"]) if r.get("timestamp") else None,
    )
