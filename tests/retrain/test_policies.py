from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.retrain import (
    Decision,
    DetectorTrigger,
    DriftTrigger,
    LabelsTrigger,
    PerformanceTrigger,
    PolicyState,
    RetrainPolicy,
    ScheduleTrigger,
    Signals,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)
W1 = (T0 - 24 * H, T0)


def sig(**kw: object) -> Signals:
    kw.setdefault("now", T0)
    return Signals(**kw)  # type: ignore[arg-type]


def test_no_trigger_no_run() -> None:
    policy = RetrainPolicy(triggers=(DriftTrigger(),))
    d = policy.decide(sig(drift={"dataset_drift": False, "drift_share": 0.1}), PolicyState())
    assert d == Decision(False, (), None, "no trigger fired")


@pytest.mark.parametrize(
    ("report", "threshold", "fires"),
    [
        ({"dataset_drift": True, "drift_share": 0.2}, None, True),
        ({"dataset_drift": False, "drift_share": 0.6}, None, False),
        ({"dataset_drift": False, "drift_share": 0.6}, 0.5, True),
        ({"dataset_drift": False, "drift_share": 0.5}, 0.5, False),
        (None, 0.1, False),
    ],
)
def test_drift_trigger(
    report: dict[str, object] | None, threshold: float | None, fires: bool
) -> None:
    reason = DriftTrigger(threshold).check(sig(drift=report), PolicyState())
    assert (reason is not None) == fires
    if reason is not None:
        assert reason.kind == "drift" and reason.evidence["drift_share"] == report["drift_share"]  # type: ignore[index]


def test_performance_trigger_realized_estimated_and_direction() -> None:
    low = PerformanceTrigger("accuracy", 0.8)
    assert low.check(sig(performance={"accuracy": 0.79}), PolicyState()) is not None
    assert low.check(sig(performance={"accuracy": 0.8}), PolicyState()) is None
    assert low.check(sig(performance={"f1": 0.1}), PolicyState()) is None
    assert low.check(sig(performance={"accuracy": float("nan")}), PolicyState()) is None
    # the realized trigger ignores estimates and vice versa
    assert low.check(sig(estimated_performance={"accuracy": 0.5}), PolicyState()) is None
    est = PerformanceTrigger("accuracy", 0.8, source="estimated")
    r = est.check(sig(estimated_performance={"accuracy": 0.5}), PolicyState())
    assert r is not None and r.evidence["source"] == "estimated"
    mse = PerformanceTrigger("mse", 2.0, higher_is_better=False)
    assert mse.check(sig(performance={"mse": 2.5}), PolicyState()) is not None
    assert mse.check(sig(performance={"mse": 1.5}), PolicyState()) is None


def test_detector_trigger() -> None:
    assert DetectorTrigger().check(sig(detectors_fired=["adwin"]), PolicyState()) is not None
    named = DetectorTrigger(("ddm",))
    assert named.check(sig(detectors_fired=["adwin"]), PolicyState()) is None
    r = named.check(sig(detectors_fired=["adwin", "ddm"]), PolicyState())
    assert r is not None and r.evidence["detectors"] == ["ddm"]


def test_schedule_trigger_uses_the_clock_in_signals() -> None:
    trig = ScheduleTrigger(timedelta(days=1))
    assert trig.check(sig(), PolicyState()) is not None  # never ran
    state = PolicyState(last_run_at=T0)
    assert trig.check(sig(now=T0 + 23 * H), state) is None
    assert trig.check(sig(now=T0 + 24 * H), state) is not None
    with pytest.raises(ParameterError):
        ScheduleTrigger(timedelta(0))


def test_labels_trigger_counts_since_last_run() -> None:
    trig = LabelsTrigger(100)
    assert trig.check(sig(labels_total=99), PolicyState()) is None
    assert trig.check(sig(labels_total=100), PolicyState()) is not None
    assert trig.check(sig(labels_total=150), PolicyState(labels_at_last_run=100)) is None
    with pytest.raises(ParameterError):
        LabelsTrigger(0)


def test_cooldown_then_run() -> None:
    policy = RetrainPolicy(triggers=(LabelsTrigger(10),), cooldown=6 * H)
    state = PolicyState()
    d = policy.decide(sig(labels_total=10), state)
    assert d.run
    state = state.started(d, T0, labels_total=10).finished(T0 + H)
    assert policy.decide(sig(now=T0 + 5 * H, labels_total=30), state).blocked_by == "cooldown"
    assert policy.decide(sig(now=T0 + 6 * H, labels_total=30), state).run


def test_in_flight_blocks_everything() -> None:
    policy = RetrainPolicy(triggers=(DriftTrigger(), DetectorTrigger()), cooldown=timedelta(0))
    state = PolicyState()
    d = policy.decide(sig(drift={"dataset_drift": True}, window=W1), state)
    state = state.started(d, T0)
    d2 = policy.decide(sig(now=T0 + 48 * H, detectors_fired=["adwin"]), state)
    assert not d2.run and d2.blocked_by == "in_flight" and d2.reasons


def test_dedup_same_reason_same_window_is_one_run() -> None:
    policy = RetrainPolicy(triggers=(DriftTrigger(),), cooldown=timedelta(0), max_runs_per_day=10)
    report = {"dataset_drift": True, "drift_share": 0.7}
    state = PolicyState()
    d = policy.decide(sig(drift=report, window=W1), state)
    state = state.started(d, T0).finished(T0 + H)
    again = policy.decide(sig(now=T0 + 2 * H, drift=report, window=W1), state)
    assert not again.run and again.blocked_by == "duplicate"
    # a new window is a new reason
    w2 = (T0, T0 + 24 * H)
    assert policy.decide(sig(now=T0 + 2 * H, drift=report, window=w2), state).run
    # a failed run that is not marked handled may be retried for the same window
    state2 = PolicyState().started(d, T0).finished(T0 + H, handled=False)
    assert policy.decide(sig(now=T0 + 2 * H, drift=report, window=W1), state2).run


def test_duplicate_reason_does_not_hide_a_fresh_one() -> None:
    policy = RetrainPolicy(triggers=(DriftTrigger(), DetectorTrigger()), cooldown=timedelta(0))
    state = PolicyState()
    d = policy.decide(sig(drift={"dataset_drift": True}, window=W1), state)
    state = state.started(d, T0).finished(T0)
    d2 = policy.decide(
        sig(now=T0 + H, drift={"dataset_drift": True}, detectors_fired=["ddm"], window=W1), state
    )
    assert d2.run and [r.kind for r in d2.reasons] == ["detector"]


def test_budget_per_rolling_day() -> None:
    policy = RetrainPolicy(triggers=(DetectorTrigger(),), cooldown=timedelta(0), max_runs_per_day=2)
    state = PolicyState()
    times = [T0, T0 + H]
    for t in times:
        d = policy.decide(sig(now=t, detectors_fired=["a"]), state)
        assert d.run
        state = state.started(d, t).finished(t)
    blocked = policy.decide(sig(now=T0 + 23 * H, detectors_fired=["a"]), state)
    assert blocked.blocked_by == "budget"
    assert policy.decide(
        sig(now=T0 + 24 * H + timedelta(seconds=1), detectors_fired=["a"]), state
    ).run


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError, match="max_runs_per_day"):
        RetrainPolicy(triggers=(), max_runs_per_day=0)
    with pytest.raises(ParameterError):
        RetrainPolicy(triggers=(), cooldown=-H)
    with pytest.raises(ParameterError, match="timezone-aware"):
        Signals(now=datetime(2026, 1, 1))
    with pytest.raises(ParameterError):
        PolicyState().started(Decision(False), T0)


def test_decide_is_pure() -> None:
    policy = RetrainPolicy(triggers=(LabelsTrigger(1),))
    state = PolicyState()
    s = sig(labels_total=5)
    assert policy.decide(s, state) == policy.decide(s, state)
    assert state == PolicyState()


step = st.tuples(
    st.integers(min_value=0, max_value=6 * 3600),  # seconds since the previous signal
    st.booleans(),  # drift
    st.booleans(),  # detector
    st.integers(min_value=0, max_value=500),  # new labels
    st.integers(min_value=0, max_value=3),  # window id
    st.integers(min_value=0, max_value=3 * 3600),  # run duration
)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(step, min_size=1, max_size=60),
    budget=st.integers(min_value=1, max_value=4),
    cooldown_min=st.integers(min_value=0, max_value=300),
)
def test_never_more_than_budget_runs_in_any_24h(
    steps: list[tuple[int, bool, bool, int, int, int]], budget: int, cooldown_min: int
) -> None:
    policy = RetrainPolicy(
        triggers=(
            DriftTrigger(),
            DetectorTrigger(),
            LabelsTrigger(50),
            ScheduleTrigger(timedelta(hours=8)),
        ),
        cooldown=timedelta(minutes=cooldown_min),
        max_runs_per_day=budget,
    )
    state = PolicyState()
    now = T0
    labels = 0
    starts: list[datetime] = []
    finish_at: datetime | None = None
    for gap, drift, detector, new_labels, window, duration in steps:
        now += timedelta(seconds=gap)
        labels += new_labels
        if finish_at is not None and now >= finish_at:
            state = state.finished(finish_at)
            finish_at = None
        w = (T0 + window * 24 * H, T0 + (window + 1) * 24 * H)
        s = Signals(
            now=now,
            drift={"dataset_drift": drift},
            detectors_fired=["d"] * detector,
            labels_total=labels,
            window=w,
        )
        d = policy.decide(s, state)
        if d.run:
            assert finish_at is None
            state = state.started(d, now, labels_total=labels)
            starts.append(now)
            finish_at = now + timedelta(seconds=duration)
        else:
            assert d.blocked_by is not None or not d.reasons
    for i, t in enumerate(starts):
        in_window = [u for u in starts[i:] if u < t + timedelta(days=1)]
        assert len(in_window) <= budget
    for a, b in itertools.pairwise(starts):
        assert b - a >= timedelta(minutes=cooldown_min)


def test_state_round_trips_through_json() -> None:
    import json

    policy = RetrainPolicy(triggers=(DriftTrigger(),), cooldown=timedelta(0))
    d = policy.decide(sig(drift={"dataset_drift": True}, window=W1), PolicyState())
    state = PolicyState().started(d, T0, labels_total=7)
    for s in (state, state.finished(T0 + H), PolicyState()):
        assert PolicyState.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(ParameterError, match="saved retraining policy state"):
        PolicyState.from_dict({"run_starts": ["yesterday"]})
    with pytest.raises(ParameterError, match="timezone-aware"):
        PolicyState.from_dict({"last_run_at": "2026-01-01T00:00:00"})
