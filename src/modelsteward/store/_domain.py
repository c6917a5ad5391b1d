"""Domain objects the repositories return. Plain frozen dataclasses; no ORM state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "TASKS",
    "Alert",
    "AlertRule",
    "ApiKey",
    "Evaluation",
    "IngestResult",
    "LabelRecord",
    "Model",
    "ModelStats",
    "PredictionRecord",
    "ProfileBucket",
    "Scope",
]

Scope = Literal["ingest", "read", "admin"]
TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Model:
    id: int
    name: str
    task: str
    created_at: datetime
    schema: dict[str, Any] | None = None
    owner: str | None = None
    has_reference: bool = False
    versions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "owner": self.owner,
            "schema": self.schema,
            "created_at": self.created_at.isoformat(),
            "has_reference": self.has_reference,
            "versions": list(self.versions),
        }


@dataclass(frozen=True)
class ModelStats:
    predictions: int
    labels: int
    errors: int
    first_prediction: datetime | None
    last_prediction: datetime | None


@dataclass(slots=True)
class PredictionRecord:
    """One prediction event as ingested. ``features`` feed the profiles; they are not stored."""

    id: str
    timestamp: datetime
    prediction: Any = None
    features: dict[str, Any] | None = None
    score: Any = None
    latency_ms: float | None = None
    version: str | None = None
    error: bool = False
    segment: str | None = None


@dataclass(slots=True)
class LabelRecord:
    id: str
    label: Any
    timestamp: datetime | None = None


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates}


@dataclass(frozen=True)
class ProfileBucket:
    bucket_start: datetime
    bucket_seconds: int
    rows: int
    profile: str


@dataclass(frozen=True)
class Evaluation:
    model: str
    metric: str
    version: str
    window_start: datetime
    window_end: datetime
    value: float | None
    details: dict[str, Any] | None
    evaluated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "version": self.version or None,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "value": self.value,
            "details": self.details,
            "evaluated_at": self.evaluated_at.isoformat(),
        }


@dataclass(frozen=True)
class Alert:
    id: int
    model: str
    rule: str
    metric: str
    severity: str
    status: str
    version: str | None
    value: float | None
    threshold: float | None
    message: str
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id,
            "model": self.model,
            "rule": self.rule,
            "metric": self.metric,
            "severity": self.severity,
            "status": self.status,
            "version": self.version,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "acknowledged_at": iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "resolved_at": iso(self.resolved_at),
        }


@dataclass(frozen=True)
class AlertRule:
    """An alert rule (same fields as ``[[alert_rules]]`` in ``steward.toml``)."""

    name: str
    metric: str
    op: str
    threshold: float
    model: str | None = None
    window: str = "1h"
    severity: str = "warning"
    for_windows: int = 1
    cooldown_seconds: float = 0.0
    no_data: str = "alert"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scope: str
    created_at: datetime
    revoked: bool = False

    def allows(self, needed: str) -> bool:
        """``admin`` may do everything; ``read`` and ``ingest`` only their own part."""
        return self.scope == "admin" or self.scope == needed

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scope": self.scope,
            "created_at": self.created_at.isoformat(),
            "revoked": self.revoked,
        }
