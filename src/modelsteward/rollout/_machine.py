"""The rollout state machine of one model: shadow → canary steps → promoted | rolled_back.

Automation may always roll back; promotion of a ``high_risk`` model waits at the last
step for :meth:`Rollout.approve`. Three automatic rollbacks in a row stop the loop in
``needs_human`` until someone calls :meth:`Rollout.acknowledge`. Every transition goes to
the :class:`~modelsteward.rollout.EventLog` with its evidence. With a ``state_store``
(:mod:`modelsteward.rollout._persist`) every transition and every look is saved, and a new
machine for the same model resumes the saved rollout (:attr:`Rollout.resumed`).

>>> from modelsteward.rollout import InMemoryEventLog, ManualClock, Rollout, RolloutPolicy
>>> events, clock = InMemoryEventLog(), ManualClock()
>>> r = Rollout("churn", "v1", policy=RolloutPolicy(shadow=False), events=events, clock=clock)
>>> r.start("v2")
>>> r.state, r.percent
('canary', 5.0)
>>> r.check().action  # no data yet: inconclusive holds the step
'hold'
>>> r.rollback(actor="alice", reason="bad feeling")
>>> r.state, events.types()
('rolled_back', ['canary_started', 'rolled_back'])
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from modelsteward.rollout._analysis import Analysis, ArmData, analyse, analyse_shadow
from modelsteward.rollout._errors import ApprovalError, RolloutStateError
from modelsteward.rollout._persist import (
    Persistence,
    StateStore,
    flushed,
    resume_from,
    status_of,
)
from modelsteward.rollout._policy import RolloutPolicy
from modelsteward.rollout._protocols import Clock, EventLog, InMemoryEventLog, SystemClock
from modelsteward.rollout._split import Arm, assign, srm_check

__all__ = ["CheckResult", "Rollout", "RolloutStatus"]

RolloutStatus = Literal[
    "idle", "shadow", "canary", "awaiting_approval", "promoted", "rolled_back", "needs_human"
]
_ACTIVE = ("shadow", "canary", "awaiting_approval")
_MAX_LABEL_INDEX = 100_000


@dataclass(frozen=True)
class CheckResult:
    """One look: what was decided (``none``, ``hold``, ``advance``, ``await_approval``,
    ``promote``, ``rollback``), the analysis verdict and the evidence."""

    action: str
    verdict: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


class Rollout:
    """The rollout of candidates for one model. Thread-safe."""

    def __init__(
        self,
        model: str,
        champion: str,
        *,
        policy: RolloutPolicy | None = None,
        events: EventLog | None = None,
        clock: Clock | None = None,
        previous: str | None = None,
        on_change: Callable[[Rollout], None] | None = None,
        state_store: StateStore | None = None,
        resume: bool = True,
    ) -> None:
        self.model = model
        self.champion = champion
        self.previous = previous
        self.candidate: str | None = None
        self.policy = policy or RolloutPolicy()
        self.events: EventLog = events if events is not None else InMemoryEventLog()
        self.clock = clock or SystemClock()
        self.on_change = on_change
        self.state: RolloutStatus = "idle"
        self.step = 0
        self.failed_checks = 0
        self.auto_rollbacks = 0
        self.last_check: CheckResult | None = None
        #: The version, actor, reason and evidence of the latest promotion.
        self.last_promotion: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._new_stage()
        self.state_store = state_store
        self._persistence = Persistence(state_store)
        saved = state_store.load(model) if state_store is not None and resume else None
        #: Whether this machine picked up a rollout saved by an earlier one.
        self.resumed = saved is not None and resume_from(self, saved)

    # -- traffic ---------------------------------------------------------------------
    @property
    def percent(self) -> float:
        """The candidate's share of live traffic now."""
        if self.state in ("canary", "awaiting_approval"):
            return self.policy.steps[self.step]
        return 0.0

    def route(self, key: str) -> Arm:
        """The arm of request ``key`` (sticky for a given share)."""
        pct = self.percent
        return assign(key, pct, salt=self.model) if pct > 0.0 else "baseline"

    def record(
        self,
        arm: Arm,
        *,
        error: bool,
        latency_ms: float,
        cost: float = 0.0,
        request_id: str | None = None,
    ) -> None:
        """Count one live request of ``arm`` (ignored outside a canary)."""
        with self._lock:
            if self.state not in ("canary", "awaiting_approval"):
                return
            data = self._cand if arm == "candidate" else self._base
            idx = data.add(error, latency_ms, cost)
            if request_id is not None:
                self._remember(request_id, arm, idx)

    def record_many(self, arm: Arm, *, errors: Any, latency_ms: Any, cost: Any = 0.0) -> None:
        """Count many live requests of ``arm`` at once (arrays; a batch, a simulation)."""
        with self._lock:
            if self.state in ("canary", "awaiting_approval"):
                (self._cand if arm == "candidate" else self._base).extend(errors, latency_ms, cost)

    def record_shadow(
        self,
        *,
        champion_error: bool,
        champion_ms: float,
        shadow_error: bool,
        shadow_ms: float,
        disagreement: float | None,
        abs_diff: float | None,
    ) -> None:
        """Count one mirrored request (ignored outside the shadow stage)."""
        with self._lock:
            if self.state != "shadow":
                return
            self._base.add(champion_error, champion_ms)
            self._cand.add(shadow_error, shadow_ms)
            if disagreement is not None:
                self._disagree.append(disagreement)
            if abs_diff is not None:
                self._abs_diff.append(abs_diff)

    def record_outcome(self, request_id: str, correct: bool) -> bool:
        """Attach a label's outcome to a request served in this stage; False if unknown."""
        with self._lock:
            hit = self._labels.pop(request_id, None)
            if hit is None:
                return False
            (self._cand if hit[0] == "candidate" else self._base).set_correct(hit[1], correct)
            return True

    def _remember(self, request_id: str, arm: Arm, idx: int) -> None:
        self._labels[request_id] = (arm, idx)
        if len(self._labels) > _MAX_LABEL_INDEX:
            self._labels.popitem(last=False)

    # -- decisions -------------------------------------------------------------------
    @flushed
    def start(self, candidate: str, *, actor: str | None = None, reason: str = "") -> None:
        """Begin a rollout of ``candidate`` (shadow first if the policy says so)."""
        with self._lock:
            if self.state == "needs_human":
                raise RolloutStateError(
                    f"model {self.model!r}: {self.auto_rollbacks} automatic rollbacks in a row "
                    "stopped the loop; a human must acknowledge it first"
                )
            if self.state in _ACTIVE:
                raise RolloutStateError(
                    f"model {self.model!r} is already rolling out {self.candidate!r} "
                    f"({self.state}); roll it back or wait for it to finish"
                )
            if candidate == self.champion:
                raise RolloutStateError(f"model {self.model!r}: {candidate!r} is the champion")
            self.candidate, self.step, self.failed_checks = candidate, 0, 0
            new: RolloutStatus = "shadow" if self.policy.shadow else "canary"
            self._transition(new, f"{new}_started", actor=actor, reason=reason)

    @flushed
    def check(self) -> CheckResult:
        """Look at the data of the current stage and advance, hold or roll back."""
        with self._lock:
            if self.state not in _ACTIVE:
                result = CheckResult("none", "none", f"no rollout in progress ({self.state})")
                self.last_check = result
                return result
            result = self._check()
            self.last_check = result
            self._save()
            return result

    def _check(self) -> CheckResult:
        analysis = self._analyse()
        evidence = {"stage": self.state, "percent": self.percent, **analysis.to_dict()}
        held = self.clock.now() - self._stage_started
        evidence["held_s"] = held
        if self.state in ("canary", "awaiting_approval"):
            srm = srm_check(
                self._base.n, self._cand.n, self.percent, threshold=self.policy.srm_threshold
            )
            evidence["srm"] = srm.to_dict()
        else:
            srm = None
        if analysis.verdict == "fail":
            self.failed_checks += 1
            evidence["failed_checks"] = self.failed_checks
            if self.failed_checks >= self.policy.max_failed_checks:
                self._rollback("automation", f"{self.failed_checks} failed checks", evidence, True)
                return CheckResult("rollback", "fail", "guardrails failed", evidence)
            self._event("check_failed", evidence=evidence)
            return CheckResult("hold", "fail", "a guardrail failed", evidence)
        if srm is not None and srm.mismatch:
            self._event("srm_mismatch", evidence=evidence)
            return CheckResult("hold", analysis.verdict, "sample ratio mismatch", evidence)
        if analysis.verdict != "pass":
            return CheckResult("hold", analysis.verdict, "inconclusive: holding", evidence)
        if held < self.policy.min_hold_s:
            return CheckResult(
                "hold", "pass", f"held {held:.0f} s of {self.policy.min_hold_s:.0f}", evidence
            )
        if self.state == "awaiting_approval":
            return CheckResult("hold", "pass", "waiting for a human approval", evidence)
        return self._advance(evidence)

    def _advance(self, evidence: dict[str, Any]) -> CheckResult:
        steps = self.policy.steps
        nxt = 0 if self.state == "shadow" else self.step + 1
        if steps[nxt] < 100.0:
            self.step = nxt
            self._transition("canary", "canary_step", evidence=evidence)
            return CheckResult("advance", "pass", f"canary at {steps[nxt]:g} %", evidence)
        if self.policy.high_risk:
            self._transition("awaiting_approval", "awaiting_approval", evidence=evidence)
            return CheckResult("await_approval", "pass", "high-risk: needs approval", evidence)
        self._promote("automation", "every stage passed", evidence)
        return CheckResult("promote", "pass", "promoted", evidence)

    @flushed
    def approve(self, actor: str, reason: str) -> None:
        """Record a human approval and promote the candidate waiting for it."""
        with self._lock:
            if self.state != "awaiting_approval":
                raise ApprovalError(
                    f"model {self.model!r} has no promotion waiting for approval "
                    f"(state {self.state})"
                )
            if not actor.strip() or not reason.strip():
                raise ApprovalError("an approval needs the approver's name and a reason")
            evidence = self.last_check.evidence if self.last_check else {}
            self._event("approved", actor=actor, reason=reason, evidence=evidence)
            self._promote(actor, reason, evidence)

    @flushed
    def rollback(self, *, actor: str, reason: str) -> None:
        """Roll the candidate back now (always allowed during a rollout)."""
        with self._lock:
            if self.state not in _ACTIVE:
                raise RolloutStateError(
                    f"model {self.model!r} has no rollout to roll back (state {self.state})"
                )
            self._rollback(actor, reason, {}, False)

    @flushed
    def acknowledge(self, *, actor: str, reason: str) -> None:
        """Let a human restart the loop after ``needs_human``."""
        with self._lock:
            if self.state != "needs_human":
                raise RolloutStateError(f"model {self.model!r} does not need a human now")
            self.auto_rollbacks = 0
            self._transition("idle", "acknowledged", actor=actor, reason=reason)

    def _promote(self, actor: str, reason: str, evidence: dict[str, Any]) -> None:
        assert self.candidate is not None
        self.previous, self.champion, self.candidate = self.champion, self.candidate, None
        self.auto_rollbacks = 0
        who = None if actor == "automation" else actor
        self.last_promotion = {
            "version": self.champion,
            "actor": who,
            "reason": reason,
            "evidence": evidence,
        }
        self._transition("promoted", "promoted", actor=who, reason=reason, evidence=evidence)

    def _rollback(self, actor: str, reason: str, evidence: dict[str, Any], auto: bool) -> None:
        rejected, self.candidate = self.candidate, None
        self.auto_rollbacks = self.auto_rollbacks + 1 if auto else 0
        who = None if auto else actor
        self._transition(
            "rolled_back",
            "rolled_back",
            actor=who,
            reason=reason,
            evidence=evidence,
            rejected=rejected,
            automatic=auto,
        )
        if auto and self.auto_rollbacks >= self.policy.max_auto_rollbacks:
            self._transition(
                "needs_human",
                "needs_human",
                reason=f"{self.auto_rollbacks} automatic rollbacks in a row; loop stopped",
            )

    # -- bookkeeping -----------------------------------------------------------------
    def _analyse(self) -> Analysis:
        level = self.policy.level_per_stage
        if self.state != "shadow":
            return analyse(
                self._base,
                self._cand,
                self.policy.guardrails,
                alpha=level,
                min_samples=self.policy.min_samples,
            )
        return analyse_shadow(
            self._base,
            self._cand,
            self._disagree,
            self._abs_diff,
            self.policy.guardrails,
            alpha=level,
            min_samples=self.policy.min_samples,
            agreement_tolerance=self.policy.agreement_tolerance,
        )

    def _new_stage(self) -> None:
        self._base, self._cand = ArmData(), ArmData()
        self._disagree: list[float] = []
        self._abs_diff: list[float] = []
        self._labels: OrderedDict[str, tuple[Arm, int]] = OrderedDict()
        self._stage_started = self.clock.now()

    def _transition(self, new: RolloutStatus, event: str, **details: Any) -> None:
        old, self.state = self.state, new
        self._new_stage()
        self._event(event, from_state=old, **details)
        self._save()
        if self.on_change is not None:
            self.on_change(self)

    @property
    def save_errors(self) -> int:
        """How many saves to the state store failed (logged; decisions go on in memory)."""
        return self._persistence.errors

    @flushed
    def checkpoint(self) -> None:
        """Save the rollout and the evidence of its stage now (no-op without a state store)."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        self._persistence.capture(self)

    def _event(self, event: str, **details: Any) -> None:
        payload: dict[str, Any] = {
            "model": self.model,
            "at": datetime.fromtimestamp(self.clock.now(), UTC).isoformat(),
            "state": self.state,
            "champion": self.champion,
            "candidate": self.candidate,
            "percent": self.percent,
        }
        payload.update({k: v for k, v in details.items() if v is not None})
        self.events.append(event, payload)

    def status(self) -> dict[str, Any]:
        """The rollout's state as JSON-ready data (``GET /rollout/{model}``)."""
        with self._lock:
            return status_of(self)
