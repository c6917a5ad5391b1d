"""Persisting a rollout, so that a restarted gateway resumes it where it was.

A :class:`RolloutSnapshot` is everything :class:`~modelsteward.rollout.Rollout` needs to
carry on: its state, the versions in play, the canary step and when its hold started, the
failed-check and automatic-rollback counts, the last look and promotion, and the evidence
of the current stage — per-arm counts (readable JSON) and the per-request samples the
sequential analysis works on (errors, latency, cost and label outcome per request, plus the
shadow's disagreements), compressed, so a resumed look gives exactly the verdict the old
process would have given. Requests whose label has not arrived yet are not kept: their
labels, if they come after a restart, are not joined to the stage.

A :class:`StateStore` loads and saves snapshots; :class:`InMemoryStateStore` keeps them in
a dict, ``modelsteward.rollout.StoreStateStore`` in the store's ``rollout_states`` table.

>>> from modelsteward.rollout import ManualClock, Rollout, RolloutPolicy
>>> states, clock = InMemoryStateStore(), ManualClock(1000.0)
>>> policy = RolloutPolicy(shadow=False, min_samples=2)
>>> r = Rollout("churn", "v1", policy=policy, clock=clock, state_store=states)
>>> r.start("v2")
>>> r.record_many("baseline", errors=[0, 0, 1], latency_ms=[5.0, 6.0, 7.0])
>>> r.checkpoint()
>>> again = Rollout("churn", "v1", policy=policy, clock=clock, state_store=states)
>>> again.resumed, again.state, again.candidate, again.status()["stage_requests"]
(True, 'canary', 'v2', {'baseline': 3, 'candidate': 0})
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable

import numpy as np

from modelsteward.rollout._analysis import ArmData

if TYPE_CHECKING:
    from modelsteward.rollout._machine import CheckResult, Rollout

_log = logging.getLogger("modelsteward.rollout")
P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R", bound="Rollout")

__all__ = [
    "InMemoryStateStore",
    "Persistence",
    "RolloutSnapshot",
    "StateStore",
    "apply_snapshot",
    "decode_samples",
    "encode_samples",
    "flushed",
    "resume_from",
    "status_of",
    "take_snapshot",
]


@dataclass(frozen=True)
class RolloutSnapshot:
    """A rollout as it is persisted (``stage_started`` in seconds since the epoch, UTC)."""

    state: str
    champion: str
    previous: str | None
    candidate: str | None
    step: int
    stage_started: float
    failed_checks: int
    auto_rollbacks: int
    last_check: Mapping[str, Any] | None = None
    last_promotion: Mapping[str, Any] | None = None
    arms: Mapping[str, Any] = field(default_factory=dict)
    samples: bytes | None = None

    @property
    def approval_pending(self) -> bool:
        """A promotion waits for a human approval."""
        return self.state == "awaiting_approval"


@runtime_checkable
class StateStore(Protocol):
    """Where rollouts are persisted, one snapshot per model."""

    def load(self, model: str) -> RolloutSnapshot | None: ...

    def save(self, model: str, snapshot: RolloutSnapshot) -> None: ...


class InMemoryStateStore:
    """A :class:`StateStore` in a dict (tests; one process only)."""

    def __init__(self) -> None:
        self.snapshots: dict[str, RolloutSnapshot] = {}
        self.saves = 0
        self._lock = threading.Lock()

    def load(self, model: str) -> RolloutSnapshot | None:
        with self._lock:
            return self.snapshots.get(model)

    def save(self, model: str, snapshot: RolloutSnapshot) -> None:
        with self._lock:
            self.snapshots[model] = snapshot
            self.saves += 1


def encode_samples(
    baseline: ArmData, candidate: ArmData, disagree: list[float], abs_diff: list[float]
) -> bytes:
    """The per-request evidence of a stage as compressed bytes (NumPy ``.npz``, no pickle).

    >>> a = ArmData(); _ = a.add(False, 3.0); a.set_correct(0, True)
    >>> b, c, d, e = decode_samples(encode_samples(a, ArmData(), [0.5], []))
    >>> b.n, b.errors.tolist(), b.correct.tolist(), c.n, d, e
    (1, [0.0], [1.0], 0, [0.5], [])
    """
    return _encode(
        baseline._buf[:, : baseline.n], candidate._buf[:, : candidate.n], disagree, abs_diff
    )


def _encode(base: np.ndarray, cand: np.ndarray, disagree: Any, abs_diff: Any) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(
        out,
        baseline=base,
        candidate=cand,
        disagree=np.asarray(disagree, dtype=np.float64),
        abs_diff=np.asarray(abs_diff, dtype=np.float64),
    )
    return out.getvalue()


def _arm(values: np.ndarray) -> ArmData:
    arm = ArmData(capacity=max(1024, 2 * values.shape[1]))
    arm._buf[:, : values.shape[1]] = values
    arm.n = int(values.shape[1])
    return arm


def decode_samples(blob: bytes) -> tuple[ArmData, ArmData, list[float], list[float]]:
    """The arms and shadow comparisons :func:`encode_samples` wrote."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return (
            _arm(data["baseline"]),
            _arm(data["candidate"]),
            [float(v) for v in data["disagree"]],
            [float(v) for v in data["abs_diff"]],
        )


def _counts(values: np.ndarray) -> dict[str, Any]:
    correct = values[3][~np.isnan(values[3])]
    return {
        "n": int(values.shape[1]),
        "errors": int(np.nansum(values[0])),
        "cost": float(np.nansum(values[2])),
        "labelled": int(correct.size),
        "correct": int(correct.sum()),
    }


def _check_dict(check: CheckResult | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "action": check.action,
        "verdict": check.verdict,
        "reason": check.reason,
        "evidence": check.evidence,
    }


@dataclass(frozen=True)
class _Captured:
    """A rollout's fields and copies of its evidence, taken quickly under its lock."""

    fields: dict[str, Any]
    base: np.ndarray
    cand: np.ndarray
    disagree: list[float]
    abs_diff: list[float]

    def snapshot(self) -> RolloutSnapshot:
        empty = not (self.base.size or self.cand.size or self.disagree or self.abs_diff)
        return RolloutSnapshot(
            **self.fields,
            arms={"baseline": _counts(self.base), "candidate": _counts(self.cand)},
            samples=None if empty else _encode(self.base, self.cand, self.disagree, self.abs_diff),
        )


def _capture(r: Rollout) -> _Captured:
    fields = {
        "state": r.state,
        "champion": r.champion,
        "previous": r.previous,
        "candidate": r.candidate,
        "step": r.step,
        "stage_started": r._stage_started,
        "failed_checks": r.failed_checks,
        "auto_rollbacks": r.auto_rollbacks,
        "last_check": _check_dict(r.last_check),
        "last_promotion": r.last_promotion,
    }
    return _Captured(
        fields,
        r._base._buf[:, : r._base.n].copy(),
        r._cand._buf[:, : r._cand.n].copy(),
        list(r._disagree),
        list(r._abs_diff),
    )


def take_snapshot(r: Rollout) -> RolloutSnapshot:
    """The snapshot of ``r`` now (call it holding ``r``'s lock)."""
    return _capture(r).snapshot()


class Persistence:
    """How a :class:`~modelsteward.rollout.Rollout` is saved without stalling its traffic.

    :meth:`capture` runs under the machine's lock and only copies; :meth:`flush`, called
    once the lock is released, compresses and writes the newest capture (an older one that
    lost the race to the writer is dropped, so the store never goes back in time). A failed
    write is logged and counted: decisions and serving go on in memory.
    """

    def __init__(self, store: StateStore | None) -> None:
        self.store = store
        self.errors = 0
        self._pending: tuple[int, _Captured] | None = None
        self._seq = 0
        self._written = 0
        self._write_lock = threading.Lock()

    def capture(self, r: Rollout) -> None:
        """Remember ``r`` as it is now (call it holding ``r``'s lock)."""
        if self.store is not None:
            self._seq += 1
            self._pending = (self._seq, _capture(r))

    def flush(self, r: Rollout) -> None:
        """Write the newest capture, if any (call it without holding ``r``'s lock)."""
        with r._lock:
            pending, self._pending = self._pending, None
        if pending is None or self.store is None:
            return
        with self._write_lock:
            if pending[0] <= self._written:
                return
            try:
                self.store.save(r.model, pending[1].snapshot())
                self._written = pending[0]
            except Exception:  # persistence must never stop a rollback or break serving
                self.errors += 1
                _log.exception("could not save the rollout state of %s", r.model)


def flushed(method: Callable[Concatenate[R, P], T]) -> Callable[Concatenate[R, P], T]:
    """Run a :class:`Rollout` method, then write what it captured (after its lock is
    released)."""

    @functools.wraps(method)
    def run(self: R, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(self, *args, **kwargs)
        finally:
            self._persistence.flush(self)

    return run


def resume_from(r: Rollout, snap: RolloutSnapshot) -> bool:
    """Pick up ``snap`` in a new machine ``r`` (built from the configuration); True if so.

    The configuration (or the registry behind it) keeps the durable champion: when it names
    the champion the snapshot has, everything resumes; when it names another one (a
    registry rollback while the gateway was down, an edited file), a rollout in progress is
    discarded (its baseline changed) and otherwise the configured champion is kept, each
    with an event saying so.
    """
    configured, previous = r.champion, r.previous
    if snap.champion == configured:
        apply_snapshot(r, snap)
        return True
    if snap.state in ("shadow", "canary", "awaiting_approval"):
        r._event(
            "resume_discarded",
            reason="the champion changed outside the gateway; the rollout starts afresh",
            saved_champion=snap.champion,
            saved_candidate=snap.candidate,
        )
        return False
    apply_snapshot(r, snap)
    r.champion, r.previous = configured, previous
    r._event("champion_from_configuration", saved_champion=snap.champion)
    return True


def apply_snapshot(r: Rollout, snap: RolloutSnapshot) -> None:
    """Put ``r`` where ``snap`` says (a state it does not own, e.g. ``retraining``, is idle)."""
    from modelsteward.rollout._machine import CheckResult

    states = ("shadow", "canary", "awaiting_approval", "promoted", "rolled_back", "needs_human")
    r.state = snap.state if snap.state in states else "idle"  # type: ignore[assignment]
    r.champion, r.previous = snap.champion, snap.previous
    r.candidate = snap.candidate if r.state in ("shadow", "canary", "awaiting_approval") else None
    r.step = min(max(snap.step, 0), len(r.policy.steps) - 1)
    r.failed_checks, r.auto_rollbacks = snap.failed_checks, snap.auto_rollbacks
    r.last_promotion = None if snap.last_promotion is None else dict(snap.last_promotion)
    lc = snap.last_check
    r.last_check = (
        None
        if lc is None
        else CheckResult(
            str(lc.get("action")),
            str(lc.get("verdict")),
            str(lc.get("reason")),
            dict(lc.get("evidence") or {}),
        )
    )
    r._new_stage()
    r._stage_started = snap.stage_started
    if snap.samples is not None:
        r._base, r._cand, r._disagree, r._abs_diff = decode_samples(snap.samples)


def status_of(r: Rollout) -> dict[str, Any]:
    """The rollout's state as JSON-ready data (call it holding ``r``'s lock)."""
    return {
        "model": r.model,
        "state": r.state,
        "champion": r.champion,
        "previous": r.previous,
        "candidate": r.candidate,
        "percent": r.percent,
        "step": r.step if r.state in ("canary", "awaiting_approval") else None,
        "steps": list(r.policy.steps),
        "high_risk": r.policy.high_risk,
        "failed_checks": r.failed_checks,
        "auto_rollbacks": r.auto_rollbacks,
        "stage_requests": {"baseline": r._base.n, "candidate": r._cand.n},
        "stage_started": datetime.fromtimestamp(r._stage_started, UTC).isoformat(),
        "resumed": r.resumed,
        "last_check": _check_dict(r.last_check),
    }
