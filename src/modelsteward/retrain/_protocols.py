"""What the retraining loop needs from the rest of the system, as small protocols, with
in-memory implementations for tests and embedded use.

- :class:`CandidateRegistry`: the champion's predict function and input schema; register a
  candidate version with lineage and metrics; mark a version rejected with its evidence.
  The model registry (``modelsteward.registry``) satisfies it through an adapter.
- :class:`AuditSink`: ``append(action, subject, details, *, actor)``, which
  ``modelsteward.store.audit.AuditRepository`` satisfies as it is.
- :class:`Clock`: ``now()`` returning an aware UTC datetime; tests use :class:`ManualClock`.

>>> from datetime import UTC, datetime, timedelta
>>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
>>> clock.advance(timedelta(hours=2)).isoformat()
'2026-01-01T02:00:00+00:00'
>>> sink = MemoryAuditSink()
>>> sink.append("retrain.decided", "churn", {"run": True}, actor="retrain")
>>> sink.entries[0]["action"]
'retrain.decided'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

import pyarrow as pa

from modelsteward.errors import ParameterError
from modelsteward.retrain._model import PredictFn, TrainedModel

__all__ = [
    "AuditSink",
    "CandidateRegistry",
    "Champion",
    "Clock",
    "InMemoryRegistry",
    "ManualClock",
    "MemoryAuditSink",
    "SystemClock",
    "VersionRecord",
]


@runtime_checkable
class Clock(Protocol):
    """Where the loop reads the time: an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told (for tests and simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ParameterError(f"ManualClock needs an aware datetime. Got {start!r}.")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now = self._now + delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self._now = when


class AuditSink(Protocol):
    """Somewhere to append audit entries (the store's hash-chained log satisfies it)."""

    def append(
        self,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str,
    ) -> object: ...


class MemoryAuditSink:
    """An :class:`AuditSink` that keeps the entries in a list."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def append(
        self,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str,
    ) -> None:
        self.entries.append(
            {"action": action, "subject": subject, "details": dict(details or {}), "actor": actor}
        )

    def actions(self) -> list[str]:
        """The actions appended so far, in order."""
        return [e["action"] for e in self.entries]


@dataclass(frozen=True)
class Champion:
    """The version serving now: its name, predict function and input schema (None when
    unknown, which skips the schema guardrail)."""

    version: str
    predict: PredictFn
    input_schema: Mapping[str, str] | None = None


class CandidateRegistry(Protocol):
    """The part of the model registry the retraining loop uses."""

    def champion(self, model: str) -> Champion | None:
        """The champion of ``model``, or None when there is none yet."""
        ...

    def register_candidate(
        self,
        model: str,
        trained: TrainedModel,
        *,
        lineage: Mapping[str, Any],
        metrics: Mapping[str, Any],
        train: pa.Table | None = None,
    ) -> str:
        """Register ``trained`` as a new version with status ``candidate``; return its name.

        ``lineage`` holds the training-data description and fingerprints, the training run,
        the parent (champion) version, the code version and the trigger; ``metrics`` the
        candidate's numbers on the held-out rows; ``train`` the training table itself.
        """
        ...

    def mark_rejected(self, model: str, version: str, *, evidence: Mapping[str, Any]) -> None:
        """Set the status of ``version`` to ``rejected`` and keep ``evidence`` with it."""
        ...


@dataclass
class VersionRecord:
    """One version held by :class:`InMemoryRegistry`."""

    model: str
    version: str
    status: Literal["champion", "candidate", "rejected"]
    predict: PredictFn
    input_schema: Mapping[str, str] | None
    lineage: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    trained: TrainedModel | None = None


class InMemoryRegistry:
    """A :class:`CandidateRegistry` in a dict: versions are ``v1``, ``v2``, ... per model."""

    def __init__(self) -> None:
        self.versions: dict[str, list[VersionRecord]] = {}
        self._champions: dict[str, str] = {}

    def _next(self, model: str) -> str:
        return f"v{len(self.versions.get(model, [])) + 1}"

    def add_champion(
        self, model: str, predict: PredictFn, input_schema: Mapping[str, str] | None = None
    ) -> str:
        """Add a version and make it the champion; return its name."""
        version = self._next(model)
        record = VersionRecord(model, version, "champion", predict, input_schema)
        self.versions.setdefault(model, []).append(record)
        self._champions[model] = version
        return version

    def get(self, model: str, version: str) -> VersionRecord:
        """The record of ``version``."""
        for record in self.versions.get(model, []):
            if record.version == version:
                return record
        raise ParameterError(f"Model {model!r} has no version {version!r}.")

    def champion(self, model: str) -> Champion | None:
        name = self._champions.get(model)
        if name is None:
            return None
        record = self.get(model, name)
        return Champion(name, record.predict, record.input_schema)

    def register_candidate(
        self,
        model: str,
        trained: TrainedModel,
        *,
        lineage: Mapping[str, Any],
        metrics: Mapping[str, Any],
        train: pa.Table | None = None,
    ) -> str:
        version = self._next(model)
        record = VersionRecord(
            model,
            version,
            "candidate",
            trained.predict,
            dict(trained.input_schema),
            lineage=dict(lineage),
            metrics=dict(metrics),
            trained=trained,
        )
        self.versions.setdefault(model, []).append(record)
        return version

    def mark_rejected(self, model: str, version: str, *, evidence: Mapping[str, Any]) -> None:
        record = self.get(model, version)
        record.status = "rejected"
        record.evidence = dict(evidence)
