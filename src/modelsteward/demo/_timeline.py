"""The story's timeline: events as they happen, shown live and kept for the JSON summary.

:class:`RolloutRecorder` is the gateway's event log: every rollout transition goes to the
audit log (as the gateway would write it anywhere) and the ones the story tells —
shadow, canary steps, promotion, rollback — also become timeline events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modelsteward.demo._parts import TimelineEvent

__all__ = ["RolloutRecorder", "Timeline"]


class Timeline:
    """Events of the story, in order; ``on_event`` sees each one as it is added."""

    def __init__(self, on_event: Callable[[TimelineEvent], None] | None = None) -> None:
        self.events: list[TimelineEvent] = []
        self.on_event = on_event
        self.day = 0

    def emit(self, event: str, **detail: Any) -> TimelineEvent:
        """Add an event of the current day."""
        ev = TimelineEvent(self.day, event, detail)
        self.events.append(ev)
        if self.on_event is not None:
            self.on_event(ev)
        return ev

    def of(self, event: str) -> list[TimelineEvent]:
        """The events of one kind."""
        return [e for e in self.events if e.event == event]

    def to_list(self) -> list[dict[str, Any]]:
        """The timeline as JSON data."""
        return [e.to_dict() for e in self.events]


def _failed_guardrails(details: Mapping[str, Any]) -> list[str]:
    return [name for name, verdict in _verdicts(details).items() if verdict == "fail"]


def _verdicts(details: Mapping[str, Any]) -> dict[str, str]:
    """Each guardrail's verdict at the look that moved the rollout, by name."""
    guard = details.get("evidence", {}).get("guardrails", {})
    return {k: str(v.get("verdict")) for k, v in sorted(guard.items())}


def _requests(details: Mapping[str, Any]) -> dict[str, Any] | None:
    found = details.get("evidence", {}).get("requests")
    return dict(found) if isinstance(found, Mapping) else None


class RolloutRecorder:
    """An :class:`~modelsteward.rollout.EventLog`: the audit log, plus the timeline.

    ``previous()`` names the champion a promotion replaced; ``on_promoted(version)`` is
    called after a promotion has been recorded."""

    def __init__(
        self,
        audit_events: Any,
        timeline: Timeline,
        *,
        previous: Callable[[], str | None],
        on_promoted: Callable[[str], None] | None = None,
    ) -> None:
        self.audit_events = audit_events
        self.timeline = timeline
        self.previous = previous
        self.on_promoted = on_promoted

    def append(self, event_type: str, details: Mapping[str, Any]) -> None:
        """Record one rollout event."""
        self.audit_events.append(event_type, details)
        emit = self.timeline.emit
        stage = {"from_stage": details.get("from_state")}
        if event_type == "shadow_started":
            emit(
                "shadow",
                version=details.get("candidate"),
                percent=details.get("percent", 0.0),
                reason=details.get("reason", ""),
            )
        elif event_type in ("canary_started", "canary_step"):
            emit(
                "canary_step",
                version=details.get("candidate"),
                percent=details.get("percent"),
                requests_in_previous_stage=_requests(details),
                guardrails=_verdicts(details),
                **stage,
            )
        elif event_type == "promoted":
            version = str(details.get("champion"))
            emit(
                "promoted",
                version=version,
                previous=self.previous(),
                requests_in_last_stage=_requests(details),
                guardrails=_verdicts(details),
                **stage,
            )
            if self.on_promoted is not None:
                self.on_promoted(version)
        elif event_type == "rolled_back":
            emit(
                "rolled_back",
                version=details.get("rejected"),
                caught_in=details.get("from_state"),
                reason=details.get("reason", ""),
                automatic=bool(details.get("automatic")),
                failed_guardrails=_failed_guardrails(details),
                requests=_requests(details),
            )
