from __future__ import annotations

import numpy as np
import pytest

from modelsteward.errors import ParameterError
from modelsteward.rollout import (
    ApprovalError,
    ArmData,
    Guardrails,
    InMemoryEventLog,
    ManualClock,
    Rollout,
    RolloutPolicy,
    RolloutStateError,
    analyse,
)

FAST = {"min_hold_s": 300.0, "min_samples": 200, "shadow": False}


def make(**policy: object) -> tuple[Rollout, InMemoryEventLog, ManualClock]:
    events, clock = InMemoryEventLog(), ManualClock(1_700_000_000.0)
    kw = {**FAST, **policy}
    r = Rollout("churn", "v1", policy=RolloutPolicy(**kw), events=events, clock=clock)  # type: ignore[arg-type]
    return r, events, clock


def feed(
    r: Rollout,
    rng: np.random.Generator,
    n: int,
    *,
    p_base: float = 0.02,
    p_cand: float = 0.02,
    slow: float = 1.0,
    exact_split: bool = False,
) -> None:
    """``n`` live requests split by the current share (binomially, like hashed keys)."""
    n_c = round(n * r.percent / 100) if exact_split else rng.binomial(n, r.percent / 100)
    for arm, k, p, s in (("baseline", n - n_c, p_base, 1.0), ("candidate", n_c, p_cand, slow)):
        r.record_many(
            arm,
            errors=rng.random(k) < p,  # type: ignore[arg-type]
            latency_ms=rng.lognormal(2.0, 0.3, k) * s,
        )


def run(r: Rollout, clock: ManualClock, rng: np.random.Generator, checks: int, **kw: float) -> None:
    for _ in range(checks):
        if r.state not in ("canary", "awaiting_approval"):
            return
        feed(r, rng, **{"n": 1000, **kw})  # type: ignore[arg-type]
        clock.advance(60)
        r.check()


def test_aa_canaries_checked_every_batch_rarely_roll_back() -> None:
    """200 A/A canaries at the strictest settings (zero tolerance, rollback on the first
    failed check), looked at after every batch: false rollbacks stay below alpha."""
    rng = np.random.default_rng(11)
    strict = Guardrails(error_rate=0.0, latency_tail=0.0)
    rolled = 0
    for _ in range(200):
        r, _, clock = make(guardrails=strict, max_failed_checks=1, alpha=0.05)
        r.start("v2")
        run(r, clock, rng, 30)
        rolled += r.state == "rolled_back"
    assert rolled / 200 <= 0.07


def test_clearly_worse_candidate_is_rolled_back_after_three_failed_checks() -> None:
    rng = np.random.default_rng(2)
    r, events, clock = make()
    r.start("v2")
    run(r, clock, rng, 40, p_cand=0.25)
    assert r.state == "rolled_back" and r.candidate is None and r.champion == "v1"
    assert events.types().count("check_failed") == 2
    _, details = events.events[-1]
    assert details["rejected"] == "v2" and details["automatic"] is True
    assert details["evidence"]["guardrails"]["error_rate"]["verdict"] == "fail"


def test_slower_candidate_fails_the_latency_guardrail() -> None:
    rng = np.random.default_rng(4)
    r, events, clock = make()
    r.start("v2")
    run(r, clock, rng, 60, slow=2.0)
    assert r.state == "rolled_back"
    ev = events.events[-1][1]["evidence"]
    assert ev["guardrails"]["latency_tail"]["verdict"] == "fail"
    assert ev["p99_latency_ms"]["candidate"] > ev["p99_latency_ms"]["baseline"]


def test_good_candidate_steps_through_and_is_promoted() -> None:
    rng = np.random.default_rng(5)
    r, events, clock = make()
    r.start("v2")
    seen = []
    for _ in range(100):
        if r.state != "canary":
            break
        seen.append(r.percent)
        feed(r, rng, 10_000, p_base=0.0, p_cand=0.0, exact_split=True)
        clock.advance(60)
        r.check()
    assert r.state == "promoted" and r.champion == "v2" and r.previous == "v1"
    assert sorted(set(seen)) == [5.0, 25.0, 50.0]
    assert events.types() == ["canary_started", "canary_step", "canary_step", "promoted"]
    steps = [d for t, d in events.events if t == "canary_step"]
    assert all(d["held_s"] >= 300 for d in (s["evidence"] for s in steps))


def test_no_data_is_inconclusive_and_holds_forever() -> None:
    r, _, clock = make()
    r.start("v2")
    for _ in range(50):
        clock.advance(3600)
        assert r.check().action == "hold"
    assert r.state == "canary" and r.percent == 5.0
    assert r.last_check is not None and r.last_check.verdict == "inconclusive"


def test_sample_ratio_mismatch_holds_the_step() -> None:
    rng = np.random.default_rng(6)
    r, events, clock = make()
    r.start("v2")
    for _ in range(10):
        r.record_many("baseline", errors=np.zeros(5000), latency_ms=rng.lognormal(2, 0.3, 5000))
        r.record_many("candidate", errors=np.zeros(1000), latency_ms=rng.lognormal(2, 0.3, 1000))
        clock.advance(600)
        result = r.check()
    assert result.reason == "sample ratio mismatch" and r.percent == 5.0
    assert "srm_mismatch" in events.types()


def test_high_risk_waits_for_recorded_approval() -> None:
    rng = np.random.default_rng(8)
    r, events, clock = make(high_risk=True)
    with pytest.raises(ApprovalError):
        r.approve("alice", "too early")
    r.start("v2")
    for _ in range(100):
        if r.state != "canary":
            break
        feed(r, rng, 10_000, p_base=0.0, p_cand=0.0, exact_split=True)
        clock.advance(60)
        r.check()
    assert r.state == "awaiting_approval" and r.percent == 50.0 and r.champion == "v1"
    feed(r, rng, 10_000, p_base=0.0, p_cand=0.0, exact_split=True)
    clock.advance(600)
    assert r.check().reason == "waiting for a human approval"
    with pytest.raises(ApprovalError):
        r.approve("  ", "no name")
    r.approve("alice", "reviewed the evidence")
    assert r.state == "promoted" and r.champion == "v2"
    approved = dict(events.events)["approved"]
    assert approved["actor"] == "alice" and approved["reason"] == "reviewed the evidence"


def test_automation_may_roll_back_while_awaiting_approval() -> None:
    rng = np.random.default_rng(9)
    r, _, clock = make(high_risk=True, steps=(50, 100))
    r.start("v2")
    run(r, clock, rng, 100, p_base=0.0, p_cand=0.0)
    assert r.state == "awaiting_approval"
    run(r, clock, rng, 30, p_base=0.0, p_cand=0.5)
    assert r.state == "rolled_back"


def test_three_automatic_rollbacks_in_a_row_need_a_human() -> None:
    rng = np.random.default_rng(10)
    r, events, clock = make()
    for i in range(3):
        r.start(f"v{i + 2}")
        run(r, clock, rng, 40, p_cand=0.3)
        assert r.state in ("rolled_back", "needs_human")
    assert r.state == "needs_human" and events.types()[-1] == "needs_human"
    with pytest.raises(RolloutStateError, match="acknowledge"):
        r.start("v9")
    r.acknowledge(actor="bob", reason="looked at the data pipeline")
    r.start("v9")
    assert r.state == "canary"


def test_manual_rollback_breaks_the_row_and_state_errors() -> None:
    r, events, _ = make()
    with pytest.raises(RolloutStateError):
        r.rollback(actor="a", reason="nothing to roll back")
    r.start("v2")
    with pytest.raises(RolloutStateError, match="already rolling out"):
        r.start("v3")
    r.rollback(actor="carol", reason="incident")
    assert r.auto_rollbacks == 0 and events.events[-1][1]["actor"] == "carol"
    with pytest.raises(RolloutStateError, match="champion"):
        r.start("v1")
    with pytest.raises(RolloutStateError):
        r.acknowledge(actor="a", reason="b")


def test_shadow_stage_gates_on_agreement_then_canary() -> None:
    r, events, clock = make(shadow=True)
    r.start("v2")
    assert r.state == "shadow" and r.percent == 0.0 and r.route("k") == "baseline"
    for _ in range(3000):
        r.record_shadow(
            champion_error=False,
            champion_ms=5.0,
            shadow_error=False,
            shadow_ms=5.0,
            disagreement=0.0,
            abs_diff=0.0,
        )
    clock.advance(600)
    assert r.check().action == "advance" and r.state == "canary"
    shadow_ev = events.events[-1][1]["evidence"]
    assert shadow_ev["agreement_rate"] == 1.0 and shadow_ev["mean_abs_diff"] == 0.0
    r2, _, clock2 = make(shadow=True, max_failed_checks=1)
    r2.start("v2")
    for i in range(3000):
        r2.record_shadow(
            champion_error=False,
            champion_ms=5.0,
            shadow_error=False,
            shadow_ms=5.0,
            disagreement=float(i % 3 == 0),
            abs_diff=1.0,
        )
    clock2.advance(600)
    assert r2.check().action == "rollback"


def test_labels_feed_the_accuracy_guardrail() -> None:
    r, _, clock = make(min_samples=50)
    r.start("v2")
    for i in range(4000):
        key = f"req-{i}"
        arm = r.route(key)
        r.record(arm, error=False, latency_ms=5.0, request_id=key)
        r.record_outcome(key, arm == "baseline" or i % 2 == 0)  # candidate right half the time
    assert not r.record_outcome("unknown", True)
    clock.advance(60)
    result = r.check()
    assert result.evidence["guardrails"]["accuracy"]["verdict"] == "fail"


def test_status_and_policy_validation() -> None:
    r, _, _ = make()
    r.start("v2")
    s = r.status()
    assert s["state"] == "canary" and s["percent"] == 5.0 and s["candidate"] == "v2"
    for bad in (
        {"steps": (5, 50)},
        {"steps": (50, 5, 100)},
        {"alpha": 0.0},
        {"min_samples": 1},
        {"max_failed_checks": 0},
    ):
        with pytest.raises(ParameterError):
            RolloutPolicy(**bad)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="Unknown rollout policy keys"):
        RolloutPolicy.from_dict({"stepz": [100]})
    with pytest.raises(ParameterError, match="Unknown guardrail keys"):
        RolloutPolicy.from_dict({"guardrails": {"p99": 1}})
    p = RolloutPolicy.from_dict({"guardrails": {"error_rate": 0.05}, "high_risk": True})
    assert p.guardrails.error_rate == 0.05 and p.high_risk


def test_costlier_candidate_fails_the_cost_guardrail_and_labels_are_optional() -> None:
    rng = np.random.default_rng(12)
    r, events, clock = make(max_failed_checks=1)
    r.start("v2")
    for _ in range(5):
        if r.state != "canary":
            break
        for arm, cost in (("baseline", 0.001), ("candidate", 0.0015)):
            n = 5000 if arm == "baseline" else 300
            r.record_many(
                arm,
                errors=np.zeros(n),
                latency_ms=rng.lognormal(2, 0.3, n),  # type: ignore[arg-type]
                cost=rng.normal(cost, 0.0002, n),
            )
        clock.advance(60)
        r.check()
    ev = events.events[-1][1]["evidence"]
    assert r.state == "rolled_back" and ev["guardrails"]["cost"]["verdict"] == "fail"
    assert "accuracy" in ev["skipped"]  # no labels: the accuracy guardrail waits, never blocks


def _arms(candidate_latency: np.ndarray, rng: np.random.Generator) -> tuple[ArmData, ArmData]:
    baseline, candidate = ArmData(), ArmData()
    for ms in rng.lognormal(np.log(0.1), 0.2, 20_000):  # a 0.1 ms model
        baseline.add(False, float(ms))
    for ms in candidate_latency:
        candidate.add(False, float(ms))
    return baseline, candidate


def test_latency_noise_under_a_millisecond_does_not_fail_a_fast_candidate() -> None:
    # The same 0.1 ms model, but 15 % of its calls delayed 0.2-0.8 ms by thread
    # scheduling (what a rarely woken worker saw on a busy 2-core machine).
    rng = np.random.default_rng(21)
    latency = rng.lognormal(np.log(0.1), 0.2, 5_000)
    noisy = rng.random(5_000) < 0.15
    latency[noisy] += rng.uniform(0.2, 0.8, noisy.sum())
    arms = _arms(latency, rng)
    default = analyse(*arms, Guardrails(), alpha=0.05, min_samples=200)
    assert default.guardrails["latency_tail"].verdict != "fail"
    strict = analyse(*arms, Guardrails(latency_floor_ms=0.0), alpha=0.05, min_samples=200)
    assert strict.guardrails["latency_tail"].verdict == "fail"


def test_a_candidate_slower_by_milliseconds_still_fails_the_latency_guardrail() -> None:
    rng = np.random.default_rng(22)
    latency = rng.lognormal(np.log(0.1), 0.2, 5_000)
    slow = rng.random(5_000) < 0.15
    latency[slow] += 5.0  # 15 % of calls 5 ms slower: a real regression
    look = analyse(*_arms(latency, rng), Guardrails(), alpha=0.05, min_samples=200)
    assert look.guardrails["latency_tail"].verdict == "fail"
