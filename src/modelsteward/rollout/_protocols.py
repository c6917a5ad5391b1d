"""The small protocols the gateway is built on, and in-memory implementations for tests.

The registry, the store and the audit log plug in through these, so the gateway never
imports them:

- :class:`ModelProvider` turns a version or alias into a :data:`PredictFn`;
- :class:`PredictionSink` logs every served prediction to the monitor;
- :class:`ChampionRegistry` makes a promotion durable (moves the ``champion`` alias);
- :class:`EventLog` records rollout steps, promotions, rollbacks and approvals
  (``modelsteward.store.audit.AuditEventLog`` implements it on the audit log);
- :class:`Clock` gives the time in seconds, injected so that tests never sleep.

A :data:`PredictFn` takes a batch (a list of feature mappings) and returns one prediction
per row:

>>> provider = InMemoryModelProvider({"v1": lambda rows: [r["x"] * 2 for r in rows]},
...                                  aliases={"champion": "v1"})
>>> provider.get("champion")([{"x": 2}, {"x": 5}])
[4, 10]
>>> provider.resolve("champion")
'v1'
>>> clock = ManualClock(100.0)
>>> clock.advance(5).now()
105.0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from modelsteward.errors import ParameterError

__all__ = [
    "ChampionRegistry",
    "Clock",
    "EventLog",
    "InMemoryEventLog",
    "InMemoryModelProvider",
    "InMemorySink",
    "ManualClock",
    "ModelProvider",
    "PredictFn",
    "PredictionSink",
    "SinkRecord",
    "SystemClock",
]

#: A batch of feature rows to one prediction per row.
PredictFn = Callable[[list[Mapping[str, Any]]], Sequence[Any]]


@runtime_checkable
class Clock(Protocol):
    """Seconds since the Unix epoch (UTC)."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock (``time.time``)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to (for tests)."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> ManualClock:
        """Move forward by ``seconds`` and return the clock."""
        self._t += float(seconds)
        return self


@runtime_checkable
class ModelProvider(Protocol):
    """Resolves a version or alias (``champion``, ``v3``, ...) of one model."""

    def get(self, alias_or_version: str) -> PredictFn: ...


class InMemoryModelProvider:
    """A :class:`ModelProvider` over a dict of versions and a dict of aliases."""

    def __init__(
        self, versions: Mapping[str, PredictFn], aliases: Mapping[str, str] | None = None
    ) -> None:
        self.versions = dict(versions)
        self.aliases = dict(aliases or {})

    def resolve(self, alias_or_version: str) -> str:
        """The version an alias points at (a version resolves to itself)."""
        version = self.aliases.get(alias_or_version, alias_or_version)
        if version not in self.versions:
            raise ParameterError(
                f"No model version or alias {alias_or_version!r}; known versions: "
                f"{sorted(self.versions)}, aliases: {sorted(self.aliases)}."
            )
        return version

    def get(self, alias_or_version: str) -> PredictFn:
        return self.versions[self.resolve(alias_or_version)]


@runtime_checkable
class ChampionRegistry(Protocol):
    """Where a promotion is made durable: ``modelsteward.registry.Registry`` fits as is
    (its ``promote`` moves the ``champion`` alias, with history and audit)."""

    def promote(
        self,
        model: str,
        version: str,
        *,
        reason: str,
        actor: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> object: ...


@runtime_checkable
class PredictionSink(Protocol):
    """Where the gateway logs each served prediction (like SDK traffic). Must not block."""

    def record(
        self,
        model: str,
        version: str,
        features: Mapping[str, Any],
        prediction: Any,
        latency_ms: float,
        error: bool,
        request_id: str,
    ) -> None: ...


@dataclass(frozen=True)
class SinkRecord:
    """One prediction as an :class:`InMemorySink` keeps it."""

    model: str
    version: str
    features: Mapping[str, Any]
    prediction: Any
    latency_ms: float
    error: bool
    request_id: str


@dataclass
class InMemorySink:
    """A :class:`PredictionSink` appending :class:`SinkRecord` objects to a list."""

    records: list[SinkRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def record(
        self,
        model: str,
        version: str,
        features: Mapping[str, Any],
        prediction: Any,
        latency_ms: float,
        error: bool,
        request_id: str,
    ) -> None:
        with self._lock:
            self.records.append(
                SinkRecord(model, version, features, prediction, latency_ms, error, request_id)
            )


@runtime_checkable
class EventLog(Protocol):
    """Where rollout transitions go, with their evidence; ``details["model"]`` names the
    model and ``details["actor"]`` the human, when one acted."""

    def append(self, event_type: str, details: Mapping[str, Any]) -> None: ...


@dataclass
class InMemoryEventLog:
    """An :class:`EventLog` keeping ``(event_type, details)`` pairs."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def append(self, event_type: str, details: Mapping[str, Any]) -> None:
        self.events.append((event_type, dict(details)))

    def types(self) -> list[str]:
        """The event types so far, in order."""
        return [t for t, _ in self.events]
