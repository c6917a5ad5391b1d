"""Triggers: the conditions that ask a :class:`RetrainPolicy` for a run.

Each has ``check(signals, state) -> Reason | None``. A reason carries a deduplication key
(the kind and the data window, when the signals give a window) and its evidence.

>>> from datetime import UTC, datetime
>>> from modelsteward.retrain._policies import PolicyState, Signals
>>> s = Signals(now=datetime(2026, 1, 1, tzinfo=UTC), performance={"accuracy": 0.7})
>>> PerformanceTrigger("accuracy", 0.8).check(s, PolicyState()).detail
'realized accuracy 0.7 < 0.8'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from modelsteward.errors import ParameterError
from modelsteward.retrain._policies import PolicyState, Reason, Signals

__all__ = [
    "DetectorTrigger",
    "DriftTrigger",
    "LabelsTrigger",
    "PerformanceTrigger",
    "ScheduleTrigger",
    "Trigger",
]


class Trigger(Protocol):
    """A condition that asks for a run: ``check`` returns a :class:`Reason` or None."""

    def check(self, signals: Signals, state: PolicyState) -> Reason | None: ...


def _keyed(kind: str, signals: Signals) -> str | None:
    window = signals.window_key()
    return None if window is None else f"{kind}@{window}"


@dataclass(frozen=True)
class DriftTrigger:
    """Fires when the dataset drifted (``dataset_drift``), or when ``drift_share`` is above
    ``share_threshold`` if one is given.

    >>> from datetime import UTC, datetime
    >>> s = Signals(now=datetime(2026, 1, 1, tzinfo=UTC), drift={"drift_share": 0.4})
    >>> DriftTrigger(share_threshold=0.3).check(s, PolicyState()).detail
    'drift share 0.4 > 0.3'
    """

    share_threshold: float | None = None

    def check(self, signals: Signals, state: PolicyState) -> Reason | None:
        report = signals.drift
        if report is None:
            return None
        drifted = bool(report.get("dataset_drift", False))
        share = report.get("drift_share")
        over = (
            self.share_threshold is not None
            and share is not None
            and float(share) > self.share_threshold
        )
        if not (drifted or over):
            return None
        detail = (
            f"drift share {share} > {self.share_threshold}"
            if over and not drifted
            else f"dataset drift (share {share})"
        )
        return Reason(
            "drift",
            detail,
            _keyed("drift", signals),
            {"dataset_drift": drifted, "drift_share": share},
        )


@dataclass(frozen=True)
class PerformanceTrigger:
    """Fires when ``metric`` is below ``threshold`` (above it when ``higher_is_better`` is
    False), read from realized performance or, with ``source="estimated"``, from a
    label-free estimate (CBPE/DLE)."""

    metric: str
    threshold: float
    source: Literal["realized", "estimated"] = "realized"
    higher_is_better: bool = True

    def check(self, signals: Signals, state: PolicyState) -> Reason | None:
        values = (
            signals.performance if self.source == "realized" else (signals.estimated_performance)
        )
        if not values or self.metric not in values:
            return None
        value = float(values[self.metric])
        if math.isnan(value):
            return None
        bad = value < self.threshold if self.higher_is_better else value > self.threshold
        if not bad:
            return None
        op = "<" if self.higher_is_better else ">"
        name = f"{self.source} {self.metric}"
        return Reason(
            "performance",
            f"{name} {value:.4g} {op} {self.threshold:.4g}",
            _keyed(f"performance:{self.source}:{self.metric}", signals),
            {
                "metric": self.metric,
                "source": self.source,
                "value": value,
                "threshold": self.threshold,
            },
        )


@dataclass(frozen=True)
class DetectorTrigger:
    """Fires when one of ``names`` (any detector when empty) is in ``detectors_fired``."""

    names: tuple[str, ...] = ()

    def check(self, signals: Signals, state: PolicyState) -> Reason | None:
        fired = sorted(n for n in signals.detectors_fired if not self.names or n in self.names)
        if not fired:
            return None
        return Reason(
            "detector",
            "detector fired: " + ", ".join(fired),
            _keyed("detector:" + ",".join(fired), signals),
            {"detectors": fired},
        )


@dataclass(frozen=True)
class ScheduleTrigger:
    """Fires when ``every`` has passed since the last run (at once if there was none)."""

    every: timedelta

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ParameterError(f"ScheduleTrigger.every must be positive. Got {self.every}.")

    def check(self, signals: Signals, state: PolicyState) -> Reason | None:
        last = state.last_run_at
        if last is not None and signals.now - last < self.every:
            return None
        since = "no run yet" if last is None else f"{signals.now - last} since the last run"
        return Reason(
            "schedule",
            f"scheduled every {self.every} ({since})",
            None,
            {"every_seconds": self.every.total_seconds()},
        )


@dataclass(frozen=True)
class LabelsTrigger:
    """Fires when at least ``n`` labels arrived since the last run started."""

    n: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ParameterError(f"LabelsTrigger.n must be a positive integer. Got {self.n}.")

    def check(self, signals: Signals, state: PolicyState) -> Reason | None:
        new = signals.labels_total - state.labels_at_last_run
        if new < self.n:
            return None
        return Reason(
            "labels",
            f"{new} new labels >= {self.n}",
            None,
            {"new_labels": new, "threshold": self.n},
        )
