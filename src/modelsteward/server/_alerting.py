"""Alert rules over evaluated windows; webhook and e-mail channels with retries and a
dead letter.

Lifecycle: firing → acknowledged (API) → resolved (the condition cleared). One open alert
per model and rule (dedup); a webhook with ``group = true`` gets the alerts a window
raised for a model in one message (grouping); ``cooldown_seconds`` keeps a resolved rule
quiet for a while; ``for_windows`` needs that many breaching windows in a row. A window
without data opens a separate ``<rule>/no_data`` alert: no data is never a pass.
"""

from __future__ import annotations

import json
import logging
import operator
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from modelsteward.settings import AlertRuleSettings, EmailSettings, WebhookSettings
from modelsteward.store import Alert, Model, Store

__all__ = ["AlertEngine", "EmailChannel", "Notification", "WebhookChannel"]

log = logging.getLogger("modelsteward.server")

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Notification:
    """What a channel sends: an alert that fired or resolved, with its window."""

    event: str  # "firing" | "resolved"
    alert: Alert
    window_start: datetime
    window_end: datetime
    link: str | None

    def to_dict(self) -> dict[str, Any]:
        a = self.alert
        return {
            "event": self.event,
            "alert_id": a.id,
            "rule": a.rule,
            "severity": a.severity,
            "model": a.model,
            "version": a.version,
            "metric": a.metric,
            "value": a.value,
            "threshold": a.threshold,
            "window": {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()},
            "message": a.message,
            "link": self.link,
        }

    def slack_text(self) -> str:
        a = self.alert
        icon = ":rotating_light:" if self.event == "firing" else ":white_check_mark:"
        text = f"{icon} [{a.severity}] {a.model}: {a.message}"
        return f"{text} <{self.link}|details>" if self.link else text


class WebhookChannel:
    """POSTs notifications as JSON; retries with backoff, then writes a dead letter.

    ``client`` is an ``httpx.Client`` (tests pass one on a ``MockTransport``); ``sleep``
    is injected so tests never wait.
    """

    def __init__(
        self,
        config: WebhookSettings,
        client: Any,
        *,
        dead_letter: Path,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._client = client
        self._dead_letter = dead_letter
        self._backoff = backoff
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def send(self, note: Notification) -> bool:
        """Deliver; ``False`` (and a dead-letter line) when every attempt failed."""
        body = {"text": note.slack_text()} if self.config.format == "slack" else note.to_dict()
        return self._post(body)

    def send_group(self, notes: list[Notification]) -> bool:
        """Deliver the notifications of one model's window as one message."""
        if self.config.format == "slack":
            body: dict[str, Any] = {"text": "\n".join(n.slack_text() for n in notes)}
        else:
            first = notes[0]
            body = {
                "model": first.alert.model,
                "window": {
                    "start": first.window_start.isoformat(),
                    "end": first.window_end.isoformat(),
                },
                "alerts": [n.to_dict() for n in notes],
            }
        return self._post(body)

    def _post(self, body: dict[str, Any]) -> bool:
        import httpx

        error = ""
        for attempt in range(self.config.retries + 1):
            try:
                r = self._client.post(
                    self.config.url, json=body, timeout=self.config.timeout_seconds
                )
                if r.status_code < 300:
                    return True
                error = f"HTTP {r.status_code}: {r.text[:200]}"
                if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
                    break  # the receiver will not take it, however often we try
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt < self.config.retries:
                self._sleep(self._backoff * 2**attempt)
        self._bury(body, error)
        return False

    def _bury(self, body: dict[str, Any], error: str) -> None:
        _bury(self._dead_letter, self.config.url, body, error)


class EmailChannel:
    """Sends notifications as plain-text e-mail over SMTP; retries, then a dead letter.

    ``smtp`` makes the connection (``smtplib.SMTP`` by default; tests pass their own
    host and port, or a fake), ``sleep`` is injected so tests never wait.
    """

    def __init__(
        self,
        config: EmailSettings,
        *,
        dead_letter: Path,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        smtp: Callable[..., Any] | None = None,
    ) -> None:
        self.config = config
        self._dead_letter = dead_letter
        self._backoff = backoff
        self._sleep = sleep
        self._smtp = smtp or smtplib.SMTP

    def close(self) -> None:
        """Nothing to release: each send opens its own SMTP connection."""

    def _message(self, note: Notification) -> EmailMessage:
        a = note.alert
        msg = EmailMessage()
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.recipients)
        msg["Subject"] = f"[modelsteward {a.severity}] {a.model}: {a.metric} {note.event}"
        lines = [a.message, ""]
        lines += [f"{k}: {v}" for k, v in note.to_dict().items() if k != "message"]
        msg.set_content("\n".join(lines))
        return msg

    def send(self, note: Notification) -> bool:
        msg = self._message(note)
        error = ""
        for attempt in range(self.config.retries + 1):
            try:
                with self._smtp(
                    self.config.host, self.config.port, timeout=self.config.timeout_seconds
                ) as smtp:
                    if self.config.starttls:
                        smtp.starttls()
                    if self.config.username and self.config.password is not None:
                        smtp.login(self.config.username, self.config.password.get_secret_value())
                    smtp.send_message(msg)
                return True
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt < self.config.retries:
                self._sleep(self._backoff * 2**attempt)
        _bury(
            self._dead_letter,
            f"smtp://{self.config.host}:{self.config.port}",
            note.to_dict(),
            error,
        )
        return False


def _bury(path: Path, target: str, body: dict[str, Any], error: str) -> None:
    log.error("notification to %s failed, dead-lettered: %s", target, error)
    record = {"at": datetime.now(UTC).isoformat(), "url": target, "error": error, "body": body}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")


class AlertEngine:
    """Applies the rules to the figures of a freshly evaluated window."""

    def __init__(
        self,
        store: Store,
        rules: list[AlertRuleSettings],
        channels: list[WebhookChannel | EmailChannel],
        *,
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.rules = rules
        self.channels = channels
        self.public_url = public_url.rstrip("/") if public_url else None

    def all_rules(self) -> list[AlertRuleSettings]:
        """The configured rules and those created through the API."""
        from dataclasses import asdict

        stored = [AlertRuleSettings(**asdict(r)) for r in self.store.alert_rules.list()]
        return [*self.rules, *stored]

    def rules_for(self, model: str, window: str) -> list[AlertRuleSettings]:
        return [r for r in self.all_rules() if r.window == window and r.model in (None, model)]

    def apply(
        self,
        model: Model,
        window: str,
        start: datetime,
        end: datetime,
        metrics: dict[str, float | None],
        now: datetime,
    ) -> list[Notification]:
        notes: list[Notification] = []
        for rule in self.rules_for(model.name, window):
            value = metrics.get(rule.metric)
            if value is None:
                if rule.no_data == "alert":
                    notes += self._fire(
                        model,
                        rule,
                        f"{rule.name}/no_data",
                        None,
                        start,
                        end,
                        now,
                        f"no data for {rule.metric} in the {window} window ending "
                        f"{end.isoformat()}",
                    )
                continue
            notes += self._resolve(model, f"{rule.name}/no_data", start, end, now)
            if self._breaching(model, rule, value, end):
                notes += self._fire(
                    model,
                    rule,
                    rule.name,
                    value,
                    start,
                    end,
                    now,
                    f"{rule.metric} = {value:.4g} {rule.op} {rule.threshold:g} "
                    f"({window} window ending {end.isoformat()})",
                )
            else:
                notes += self._resolve(model, rule.name, start, end, now)
        for channel in self.channels:
            if isinstance(channel, WebhookChannel) and channel.config.group and len(notes) > 1:
                channel.send_group(notes)
            else:
                for note in notes:
                    channel.send(note)
        return notes

    def _breaching(
        self, model: Model, rule: AlertRuleSettings, value: float, end: datetime
    ) -> bool:
        compare = _OPS[rule.op]
        if not compare(value, rule.threshold):
            return False
        if rule.for_windows == 1:
            return True
        series = [
            e
            for e in self.store.evaluations.series(model.id, rule.metric, version="")
            if e.window_end <= end and (e.window_end - e.window_start) == _width(rule.window)
        ][-rule.for_windows :]
        return len(series) == rule.for_windows and all(
            e.value is not None and compare(e.value, rule.threshold) for e in series
        )

    def _link(self, model: str) -> str | None:
        return f"{self.public_url}/api/v1/alerts?model={model}" if self.public_url else None

    def _fire(
        self,
        model: Model,
        rule: AlertRuleSettings,
        key: str,
        value: float | None,
        start: datetime,
        end: datetime,
        now: datetime,
        message: str,
    ) -> list[Notification]:
        alerts = self.store.alerts
        existing = alerts.find_open(model.id, key)
        if existing is None and rule.cooldown_seconds:
            last = alerts.last_resolved_at(model.id, key)
            if last is not None and (now - last).total_seconds() < rule.cooldown_seconds:
                return []
        alert = alerts.fire(
            model.id,
            rule=key,
            metric=rule.metric,
            severity=rule.severity,
            value=value,
            threshold=rule.threshold,
            message=message,
            at=now,
        )
        if existing is not None:
            return []  # still firing: refreshed, not announced again
        return [Notification("firing", alert, start, end, self._link(model.name))]

    def _resolve(
        self, model: Model, key: str, start: datetime, end: datetime, now: datetime
    ) -> list[Notification]:
        existing = self.store.alerts.find_open(model.id, key)
        if existing is None:
            return []
        alert = self.store.alerts.resolve(existing.id, at=now)
        return [Notification("resolved", alert, start, end, self._link(model.name))]


def _width(window: str) -> Any:
    from modelsteward.server._evaluate import parse_window

    return parse_window(window)
