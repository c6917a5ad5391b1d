"""Result objects of :func:`~modelsteward.performance.evaluate`; all serialise to JSON-safe dicts.

Status values: a metric is ``"ok"`` (value and interval), ``"insufficient data"`` (its
slice has no labels yet: value null, never 0) or ``"undefined"`` (``reason`` says why,
e.g. ROC AUC on a single-class window). NaN never reaches JSON: it becomes null.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from modelsteward.performance._intervals import Change

__all__ = ["MetricResult", "PerformanceReport", "SliceResult", "json_safe"]

OK = "ok"
INSUFFICIENT = "insufficient data"
UNDEFINED = "undefined"


def json_safe(value: Any) -> Any:
    """Replace NaN/inf by None, numpy scalars by Python ones, recursively.

    >>> json_safe({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _safe_dict(value: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json_safe(value)
    return safe


@dataclass(frozen=True)
class MetricResult:
    """One metric on one slice, with the reference's value and the change test alongside."""

    name: str
    value: float | None
    lower: float | None
    upper: float | None
    interval: str
    status: str
    reason: str | None = None
    reference: float | None = None
    change: Change | None = None
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "interval": self.interval,
            "status": self.status,
            "reason": self.reason,
            "reference": self.reference,
            "change": None,
        }
        if self.change is not None:
            c = self.change
            out["change"] = {
                "difference": c.difference,
                "lower": c.lower,
                "upper": c.upper,
                "p_value": c.p_value,
                "test": c.test,
                "degraded": c.degraded,
            }
        if self.details is not None:
            out["details"] = self.details
        return _safe_dict(out)


@dataclass(frozen=True)
class SliceResult:
    """Metrics of the whole data, one window or one segment."""

    kind: str  # "overall" | "window" | "segment" | "reference"
    key: str
    n: int
    n_labelled: int
    status: str
    metrics: dict[str, MetricResult]
    start: str | None = None
    end: str | None = None

    @property
    def coverage(self) -> float:
        """Share of this slice's predictions that have a label."""
        return self.n_labelled / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return _safe_dict(
            {
                "kind": self.kind,
                "key": self.key,
                "start": self.start,
                "end": self.end,
                "n": self.n,
                "n_labelled": self.n_labelled,
                "coverage": self.coverage,
                "status": self.status,
                "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            }
        )


@dataclass(frozen=True)
class PerformanceReport:
    """Everything :func:`~modelsteward.performance.evaluate` measured."""

    task: str
    metrics: list[str]
    confidence: float
    overall: SliceResult
    windows: list[SliceResult] = field(default_factory=list)
    segments: list[SliceResult] = field(default_factory=list)
    reference: SliceResult | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    classes: list[Any] | None = None

    @property
    def degraded(self) -> bool:
        """True when any metric of the overall slice got significantly worse than the reference."""
        return any(
            m.change is not None and m.change.degraded for m in self.overall.metrics.values()
        )

    def to_dict(self) -> dict[str, Any]:
        return _safe_dict(
            {
                "task": self.task,
                "classes": self.classes,
                "metrics": self.metrics,
                "confidence": self.confidence,
                "degraded": self.degraded,
                "labels": self.labels,
                "overall": self.overall.to_dict(),
                "reference": None if self.reference is None else self.reference.to_dict(),
                "windows": [w.to_dict() for w in self.windows],
                "segments": [s.to_dict() for s in self.segments],
            }
        )

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)
