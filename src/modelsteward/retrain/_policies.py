"""Retraining policies: when to retrain, and when not to.

A :class:`RetrainPolicy` holds triggers (dataset drift, realized or estimated performance
below a threshold, a detector firing, a schedule, N new labels) and three brakes: a
cooldown after each run, deduplication of the same reason for the same data window, and a
budget of runs per rolling 24 hours. :meth:`RetrainPolicy.decide` is pure: it reads the
:class:`Signals` and the :class:`PolicyState` and returns a :class:`Decision`; the state
moves on only through :meth:`PolicyState.started` and :meth:`PolicyState.finished`.

>>> from datetime import UTC, datetime, timedelta
>>> from modelsteward.retrain import DriftTrigger, LabelsTrigger
>>> policy = RetrainPolicy(
...     triggers=(DriftTrigger(), LabelsTrigger(1000)),
...     cooldown=timedelta(hours=6), max_runs_per_day=2)
>>> t0 = datetime(2026, 3, 1, tzinfo=UTC)
>>> state = PolicyState()
>>> d = policy.decide(Signals(now=t0, drift={"dataset_drift": True, "drift_share": 0.6}), state)
>>> d.run, [r.kind for r in d.reasons], d.blocked_by
(True, ['drift'], None)
>>> state = state.started(d, t0)
>>> policy.decide(Signals(now=t0, labels_total=5000), state).blocked_by
'in_flight'
>>> state = state.finished(t0 + timedelta(minutes=5))
>>> policy.decide(Signals(now=t0 + timedelta(hours=1), labels_total=5000), state).blocked_by
'cooldown'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from modelsteward.errors import ParameterError

if TYPE_CHECKING:
    from modelsteward.retrain._triggers import Trigger

__all__ = [
    "BlockedBy",
    "Decision",
    "PolicyState",
    "Reason",
    "RetrainPolicy",
    "Signals",
]

#: What kept a triggered run from starting.
BlockedBy = Literal["cooldown", "budget", "in_flight", "duplicate"]
_DAY = timedelta(days=1)
_KEEP_DONE = 512


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ParameterError(f"{name} must be a timezone-aware (UTC) datetime. Got {value!r}.")
    return value


@dataclass(frozen=True)
class Signals:
    """What the monitor knows at ``now``; every field but ``now`` is optional.

    ``drift`` is a :meth:`DriftReport.to_dict`-like mapping (``dataset_drift``,
    ``drift_share``); ``performance`` and ``estimated_performance`` map metric name to
    value; ``detectors_fired`` names the detectors that fired; ``labels_total`` counts every
    label received so far (the policy remembers the count at the last run);
    ``window`` is the ``(start, end)`` of the data the signals describe, used to
    deduplicate the same reason for the same window.
    """

    now: datetime
    drift: Mapping[str, Any] | None = None
    performance: Mapping[str, float] | None = None
    estimated_performance: Mapping[str, float] | None = None
    detectors_fired: Sequence[str] = ()
    labels_total: int = 0
    window: tuple[datetime, datetime] | None = None

    def __post_init__(self) -> None:
        _aware("Signals.now", self.now)

    def window_key(self) -> str | None:
        """The window as text (``start/end`` in ISO 8601), or None without a window."""
        if self.window is None:
            return None
        return f"{self.window[0].isoformat()}/{self.window[1].isoformat()}"


@dataclass(frozen=True)
class Reason:
    """Why a trigger fired. ``key`` identifies the reason for deduplication (None: never
    deduplicated across runs); ``evidence`` carries the numbers that made it fire."""

    kind: str
    detail: str
    key: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The reason as JSON data."""
        return {
            "kind": self.kind,
            "detail": self.detail,
            "key": self.key,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class PolicyState:
    """What the policy remembers between decisions (immutable; methods return new states).

    ``run_starts`` holds the start times of the runs of the last 24 hours (for the budget),
    ``done_keys`` the reason keys already handled (for deduplication), ``labels_at_last_run``
    the label count when the last run started.
    """

    last_run_at: datetime | None = None
    in_flight: tuple[str, ...] | None = None
    run_starts: tuple[datetime, ...] = ()
    done_keys: tuple[str, ...] = ()
    labels_at_last_run: int = 0

    def started(
        self, decision: Decision, now: datetime, labels_total: int | None = None
    ) -> PolicyState:
        """The state once the run ``decision`` allowed has started at ``now``."""
        if not decision.run:
            raise ParameterError("Only a decision with run=True can start a run.")
        keys = tuple(r.key for r in decision.reasons if r.key is not None)
        recent = tuple(t for t in self.run_starts if t > now - _DAY)
        labels = self.labels_at_last_run if labels_total is None else labels_total
        return replace(
            self,
            last_run_at=now,
            in_flight=keys,
            run_starts=(*recent, now),
            labels_at_last_run=labels,
        )

    def finished(self, now: datetime, *, handled: bool = True) -> PolicyState:
        """The state once the run in flight has ended at ``now``.

        With ``handled`` (the default) its reasons count as done, so the same reason for
        the same window never starts another run; pass ``handled=False`` after a run that
        failed for a transient cause so that the window may be retried after the cooldown.
        """
        done = self.done_keys
        if handled and self.in_flight:
            done = (*done, *(k for k in self.in_flight if k not in done))[-_KEEP_DONE:]
        recent = tuple(t for t in self.run_starts if t > now - _DAY)
        return replace(self, in_flight=None, done_keys=done, run_starts=recent)

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON data (to persist it between processes).

        >>> from datetime import UTC, datetime
        >>> s = PolicyState(last_run_at=datetime(2026, 1, 1, tzinfo=UTC), done_keys=("k",))
        >>> PolicyState.from_dict(s.to_dict()) == s
        True
        """
        return {
            "last_run_at": None if self.last_run_at is None else self.last_run_at.isoformat(),
            "in_flight": None if self.in_flight is None else list(self.in_flight),
            "run_starts": [t.isoformat() for t in self.run_starts],
            "done_keys": list(self.done_keys),
            "labels_at_last_run": self.labels_at_last_run,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyState:
        """The state :meth:`to_dict` wrote."""
        try:
            last = data.get("last_run_at")
            flight = data.get("in_flight")
            return cls(
                last_run_at=None
                if last is None
                else _aware("last_run_at", datetime.fromisoformat(last)),
                in_flight=None if flight is None else tuple(str(k) for k in flight),
                run_starts=tuple(
                    _aware("run_starts", datetime.fromisoformat(t))
                    for t in data.get("run_starts", [])
                ),
                done_keys=tuple(str(k) for k in data.get("done_keys", [])),
                labels_at_last_run=int(data.get("labels_at_last_run", 0)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ParameterError(f"Not a saved retraining policy state: {exc}") from exc

    def runs_in_last_day(self, now: datetime) -> int:
        """How many runs started in ``(now - 24 h, now]``."""
        return sum(1 for t in self.run_starts if now - _DAY < t <= now)


@dataclass(frozen=True)
class Decision:
    """Whether to start a run now, why, and what blocked it if not."""

    run: bool
    reasons: tuple[Reason, ...] = ()
    blocked_by: BlockedBy | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON data."""
        return {
            "run": self.run,
            "reasons": [r.to_dict() for r in self.reasons],
            "blocked_by": self.blocked_by,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class RetrainPolicy:
    """Triggers plus cooldown, deduplication and a budget of runs per rolling day.

    Parameters
    ----------
    triggers:
        Conditions that ask for a run; any one is enough.
    cooldown:
        No run starts within ``cooldown`` of the last run's start.
    max_runs_per_day:
        At most this many runs start in any 24-hour window.
    """

    triggers: tuple[Trigger, ...]
    cooldown: timedelta = timedelta(hours=6)
    max_runs_per_day: int = 4

    def __post_init__(self) -> None:
        if self.max_runs_per_day < 1:
            raise ParameterError(
                f"The 'max_runs_per_day' parameter of RetrainPolicy must be a positive "
                f"integer. Got {self.max_runs_per_day} instead."
            )
        if self.cooldown < timedelta(0):
            raise ParameterError(f"RetrainPolicy.cooldown must be >= 0. Got {self.cooldown}.")

    def decide(self, signals: Signals, state: PolicyState) -> Decision:
        """Whether to start a run at ``signals.now``; pure (neither argument changes)."""
        reasons = tuple(r for t in self.triggers if (r := t.check(signals, state)) is not None)
        if not reasons:
            return Decision(False, (), None, "no trigger fired")
        now = signals.now
        if state.in_flight is not None:
            return Decision(False, reasons, "in_flight", "a run is already in flight")
        fresh = tuple(r for r in reasons if r.key is None or r.key not in state.done_keys)
        if not fresh:
            return Decision(
                False, reasons, "duplicate", "every reason was already handled for this window"
            )
        if state.last_run_at is not None and now - state.last_run_at < self.cooldown:
            left = self.cooldown - (now - state.last_run_at)
            return Decision(False, fresh, "cooldown", f"cooldown: {left} left")
        # Runs starting in (now - 24 h, now]; a start after `now` (a clock that went back)
        # counts too, so the budget also holds then.
        recent = sum(1 for t in state.run_starts if t > now - _DAY)
        if recent >= self.max_runs_per_day:
            return Decision(
                False,
                fresh,
                "budget",
                f"budget: {recent} runs in the last 24 h (max {self.max_runs_per_day})",
            )
        return Decision(True, fresh, None, "; ".join(r.detail for r in fresh))
