"""The retrain request as a CloudEvents 1.0 event, for external orchestrators (Airflow,
Prefect, Kubeflow, Argo), and a sender that POSTs it in structured mode.

The event and its fields are documented in ``docs/retrain-webhook.md``. Its ``id`` is
derived from the model, the data window and the reasons when there is a window, so a
re-sent request for the same thing carries the same id and receivers can deduplicate on
``(source, id)`` as the CloudEvents specification intends.

>>> from datetime import UTC, datetime
>>> from modelsteward.retrain._policies import Decision, Reason
>>> when = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> decision = Decision(True, (Reason("drift", "dataset drift (share 0.6)", "drift@w",
...                                    {"drift_share": 0.6}),))
>>> event = retrain_event(decision, model="churn", source="/modelsteward/prod",
...                       window=(datetime(2026, 3, 1, tzinfo=UTC), when), time=when)
>>> event["specversion"], event["type"], event["time"]
('1.0', 'dev.modelsteward.retrain.requested', '2026-03-01T12:00:00Z')
>>> event["data"]["reasons"][0]["kind"], event["data"]["window"]["end"]
('drift', '2026-03-01T12:00:00Z')
>>> parse_retrain_event(event) == event
True
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelsteward.errors import InputError, require
from modelsteward.retrain._errors import RetrainError
from modelsteward.retrain._policies import Decision

__all__ = [
    "CONTENT_TYPE",
    "EVENT_TYPE",
    "WebhookError",
    "WebhookSender",
    "parse_retrain_event",
    "retrain_event",
]

EVENT_TYPE = "dev.modelsteward.retrain.requested"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
_NAMESPACE = uuid.UUID("6c1f4a52-2a57-4f0e-9b7e-3f1d6a0c9e11")
_REQUIRED = ("specversion", "type", "source", "id")


class WebhookError(RetrainError):
    """The retrain request could not be delivered (transport error or a non-2xx answer)."""


def _rfc3339(when: datetime) -> str:
    if when.tzinfo is None:
        raise InputError(f"Event times must be timezone-aware (UTC). Got {when!r}.")
    text = when.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _clean(value: Any) -> Any:
    """JSON data: numpy values to Python, datetimes to RFC 3339, NaN and infinities to None.

    >>> _clean({"p": float("nan"), "k": (1, 2)})
    {'p': None, 'k': [1, 2]}
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return _rfc3339(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    return str(value)


def retrain_event(
    decision: Decision,
    *,
    model: str,
    source: str,
    window: tuple[datetime, datetime] | None = None,
    evidence: Mapping[str, Any] | None = None,
    time: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The CloudEvents 1.0 retrain request for ``decision`` (a ``dict``, JSON-ready).

    ``evidence`` defaults to each reason's evidence keyed by its kind. ``time`` defaults to
    now; ``event_id`` to a UUID derived from model, window and reasons (a random one
    without a window).
    """
    reasons = [{"kind": r.kind, "detail": r.detail} for r in decision.reasons]
    if evidence is None:
        evidence = {r.kind: dict(r.evidence) for r in decision.reasons}
    win = None if window is None else {"start": _rfc3339(window[0]), "end": _rfc3339(window[1])}
    if event_id is None:
        if win is None:
            event_id = str(uuid.uuid4())
        else:
            key = json.dumps([model, win, sorted(r["kind"] for r in reasons)])
            event_id = str(uuid.uuid5(_NAMESPACE, key))
    return {
        "specversion": "1.0",
        "type": EVENT_TYPE,
        "source": source,
        "id": event_id,
        "time": _rfc3339(time or datetime.now(UTC)),
        "subject": model,
        "datacontenttype": "application/json",
        "data": _clean(
            {"model": model, "reasons": reasons, "window": win, "evidence": dict(evidence)}
        ),
    }


def parse_retrain_event(payload: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """Check a received retrain request and return it as a dict; :class:`InputError` says
    what is wrong (for receivers written in Python).

    >>> parse_retrain_event({"specversion": "1.0"})
    Traceback (most recent call last):
    ...
    modelsteward.errors.InputError: Not a retrain request: the event has no 'type'.
    """
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise InputError(f"Not a retrain request: the body is not JSON ({exc}).") from exc
    if not isinstance(payload, Mapping):
        raise InputError("Not a retrain request: the body is not a JSON object.")
    event = dict(payload)
    for name in _REQUIRED:
        if not isinstance(event.get(name), str) or not event[name]:
            raise InputError(f"Not a retrain request: the event has no {name!r}.")
    if event["specversion"] != "1.0":
        raise InputError(
            f"Unsupported CloudEvents specversion {event['specversion']!r}; expected '1.0'."
        )
    if event["type"] != EVENT_TYPE:
        raise InputError(
            f"Not a retrain request: type is {event['type']!r}, expected {EVENT_TYPE!r}."
        )
    data = event.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("model"), str):
        raise InputError("The retrain request's data must be an object with a 'model' name.")
    if not isinstance(data.get("reasons", []), list):
        raise InputError("The retrain request's data.reasons must be a list.")
    return event


class WebhookSender:
    """POST retrain requests to ``url`` with an injected :class:`httpx.Client`.

    Structured content mode: the body is the whole event, ``Content-Type:
    application/cloudevents+json``. Any transport error or non-2xx answer raises
    :class:`WebhookError` naming the URL and status; nothing is retried here (the loop
    keeps the window open so the next evaluation tries again).

    >>> import httpx
    >>> got = []
    >>> client = httpx.Client(transport=httpx.MockTransport(
    ...     lambda request: got.append(request) or httpx.Response(202)))
    >>> WebhookSender("https://ci.example/hooks/retrain", client=client)({"id": "1"})
    202
    >>> got[0].headers["content-type"]
    'application/cloudevents+json; charset=utf-8'
    """

    def __init__(
        self,
        url: str,
        *,
        client: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.timeout = timeout
        if client is None:
            httpx: Any = require("httpx", "server", "Sending retrain webhooks")
            client = httpx.Client(timeout=timeout)
        self.client = client

    def __call__(self, event: Mapping[str, Any]) -> int:
        """Send ``event``; return the HTTP status."""
        httpx: Any = require("httpx", "server", "Sending retrain webhooks")
        body = json.dumps(event, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": CONTENT_TYPE, **self.headers}
        try:
            response = self.client.post(
                self.url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise WebhookError(
                f"Retrain webhook {self.url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= response.status_code < 300:
            raise WebhookError(
                f"Retrain webhook {self.url} answered {response.status_code}: {response.text[:200]}"
            )
        return int(response.status_code)
