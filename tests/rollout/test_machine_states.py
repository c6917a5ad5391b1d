"""Random sequences of rollout operations keep the state machine's promises."""

from __future__ import annotations

import numpy as np
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from modelsteward.errors import StewardError
from modelsteward.rollout import InMemoryEventLog, ManualClock, Rollout, RolloutPolicy

ACTIVE = {"shadow", "canary", "awaiting_approval"}


class RolloutMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.events = InMemoryEventLog()
        self.clock = ManualClock()
        self.policy = RolloutPolicy(
            shadow=False,
            steps=(10, 50, 100),
            min_samples=20,
            min_hold_s=60,
            high_risk=True,
            max_failed_checks=1,
        )
        self.r = Rollout("m", "v0", policy=self.policy, events=self.events, clock=self.clock)
        self.rng = np.random.default_rng(0)
        self.next_version = 1
        self.promotions = 0

    @rule()
    def start(self) -> None:
        try:
            self.r.start(f"v{self.next_version}")
            self.next_version += 1
        except StewardError:
            assert self.r.state in ACTIVE or self.r.state == "needs_human"

    @rule(p_cand=st.sampled_from([0.0, 0.0, 0.5]), n=st.sampled_from([50, 2000]))
    def traffic_and_check(self, p_cand: float, n: int) -> None:
        k = max(n * int(self.r.percent) // 100, 1)
        self.r.record_many("baseline", errors=np.zeros(n - k), latency_ms=np.ones(n - k))
        self.r.record_many("candidate", errors=self.rng.random(k) < p_cand, latency_ms=np.ones(k))
        self.clock.advance(60)
        before = self.promotions
        self.r.check()
        event(f"state {self.r.state}")
        if self.r.state == "promoted" and self.events.types()[-1] == "promoted":
            self.promotions = before + 1

    @rule()
    def approve(self) -> None:
        waiting = self.r.state == "awaiting_approval"
        try:
            self.r.approve("alice", "ok")
            assert waiting
            event("approved")
        except StewardError:
            assert not waiting

    @rule()
    def rollback(self) -> None:
        active = self.r.state in ACTIVE
        try:
            self.r.rollback(actor="bob", reason="manual")
            assert active
        except StewardError:
            assert not active

    @rule()
    def acknowledge(self) -> None:
        try:
            self.r.acknowledge(actor="carol", reason="looked")
        except StewardError:
            assert self.r.state != "needs_human"

    @invariant()
    def candidate_only_while_active(self) -> None:
        assert (self.r.candidate is not None) == (self.r.state in ACTIVE)
        assert self.r.champion is not None

    @invariant()
    def traffic_share_is_a_step(self) -> None:
        pct = self.r.percent
        assert (
            pct == 0.0
            if self.r.state not in ("canary", "awaiting_approval")
            else (pct in self.policy.steps and pct < 100.0)
        )

    @invariant()
    def high_risk_promotions_are_approved(self) -> None:
        types = self.events.types()
        for i, t in enumerate(types):
            if t == "promoted":
                assert types[i - 1] == "approved"
                assert self.events.events[i - 1][1]["actor"] == "alice"

    @invariant()
    def automatic_rollbacks_stop_at_three(self) -> None:
        assert self.r.auto_rollbacks <= 3
        assert (self.r.state == "needs_human") == (self.r.auto_rollbacks >= 3)

    @invariant()
    def every_event_names_the_model(self) -> None:
        assert all(d["model"] == "m" for _, d in self.events.events)


TestRolloutMachine = RolloutMachine.TestCase
TestRolloutMachine.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
