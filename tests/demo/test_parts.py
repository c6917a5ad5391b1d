"""The demo's small parts, each on its own (fast; the whole story is in test_demo.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelsteward.demo._accuracy import AccuracyTally
from modelsteward.demo._fleet import FEATURES, Fleet, Scenario
from modelsteward.demo._models import Faults, InjectedFault, serving_fn, train
from modelsteward.demo._parts import one_cpu
from modelsteward.demo._serving import SimulatedTimeSink
from modelsteward.demo._timeline import RolloutRecorder, Timeline


def test_the_fleet_drifts_on_the_scenario_days() -> None:
    fleet = Fleet(Scenario(recalibration_day=2, new_machine_type_day=2, concept_drift_day=3))
    before, after = fleet.day(1, rows=2000), fleet.day(2, rows=2000)

    def gap(d: Any) -> float:
        f = d.features
        temps = f["process_temperature_k"].to_numpy() - f["air_temperature_k"].to_numpy()
        return float(np.mean(temps))

    assert gap(after) - gap(before) == pytest.approx(4.0, abs=0.2)
    assert "X" not in before.features["machine_type"].to_pylist()
    assert "X" in after.features["machine_type"].to_pylist()
    assert fleet.day(3, rows=10).events == [
        "sensor_recalibration",
        "new_machine_type",
        "wear_concept_drift",
    ]
    assert fleet.day(2, rows=50).features.equals(Fleet(fleet.scenario).day(2, rows=50).features)


def test_serving_answers_what_the_model_does_and_faults_raise() -> None:
    day = Fleet(seed=3).day(0, rows=1500)
    frame = day.features.to_pandas().assign(failure=day.labels)
    model = train(frame, {"label": "failure"})
    faults = Faults(seed=0)
    predict = serving_fn(model, "7", faults)
    rows = day.features.to_pylist()
    assert predict(rows) == [int(v) for v in model.predict(frame[FEATURES])]
    unknown = dict(rows[0], machine_type="Z")  # an unseen category is encoded, not refused
    assert predict([unknown])[0] in (0, 1)
    faults.set("7", 1.0)
    with pytest.raises(InjectedFault):
        predict(rows[:1])
    faults.set("7", 0.0)
    assert len(predict(rows[:2])) == 2
    assert faults.raised == {"7": 1}


def test_accuracy_counts_each_prediction_by_the_world_it_served() -> None:
    tally = AccuracyTally(
        Scenario(recalibration_day=4, new_machine_type_day=4, concept_drift_day=9)
    )
    tally.learned("1", -1, initial=True)
    tally.learned("2", 5)
    tally.add(2, ["1", "1", "default"], [True, True, False])  # the default counts nowhere
    tally.add(6, ["1", "2", "2"], [False, True, False])
    tally.add(10, ["2"], [False])  # v2 is of the world before the concept drift
    assert tally.figures() == {"before_drift": 1.0, "after_drift": 0.0, "after_retrain": 0.5}


def test_the_sink_stamps_simulated_time_and_stores_every_prediction(tmp_path: Path) -> None:
    from modelsteward.rollout import ManualClock
    from modelsteward.store import Store

    store = Store(f"sqlite:///{tmp_path}/s.db", feature_dir=tmp_path / "features")
    store.upgrade()
    store.models.create("m", "binary")
    clock = ManualClock(1_767_225_600.0)
    sink = SimulatedTimeSink(store, clock, batch_size=3)
    for i in range(7):
        clock.advance(3600)
        sink.record("m", "1", {"x": float(i)}, i % 2, 0.1, False, f"id-{i}")
    sink.flush()
    assert sink.written == 7
    assert store.features is not None
    table = store.features.read(
        "m", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert table is not None and table.num_rows == 7
    stamps = sorted(t.hour for t in table["timestamp"].to_pylist())
    assert stamps == [1, 2, 3, 4, 5, 6, 7]  # the simulated clock's hours, not the wall's
    sink.record("nope", "1", {"x": 1.0}, 0, 0.1, False, "id-x")  # an unknown model
    with pytest.raises(RuntimeError, match="could not be stored"):
        sink.flush()
    sink.close()
    store.close()


def test_rollout_events_reach_the_audit_log_and_the_timeline() -> None:
    audited: list[tuple[str, dict[str, Any]]] = []

    class Log:
        def append(self, event_type: str, details: dict[str, Any]) -> None:
            audited.append((event_type, details))

    promoted: list[str] = []
    timeline = Timeline()
    recorder = RolloutRecorder(Log(), timeline, previous=lambda: "1", on_promoted=promoted.append)
    recorder.append("shadow_started", {"candidate": "2", "percent": 0.0, "reason": "drift"})
    recorder.append("check_failed", {"candidate": "2"})
    recorder.append(
        "canary_step",
        {
            "candidate": "2",
            "percent": 5.0,
            "from_state": "shadow",
            "evidence": {"requests": {"baseline": 300, "candidate": 300}},
        },
    )
    recorder.append("promoted", {"champion": "2", "from_state": "canary"})
    recorder.append(
        "rolled_back",
        {
            "rejected": "3",
            "from_state": "shadow",
            "automatic": True,
            "reason": "3 failed checks",
            "evidence": {
                "guardrails": {
                    "error_rate": {"verdict": "fail"},
                    "latency_tail": {"verdict": "pass"},
                }
            },
        },
    )
    assert [t for t, _ in audited] == [
        "shadow_started",
        "check_failed",
        "canary_step",
        "promoted",
        "rolled_back",
    ]
    assert [e.event for e in timeline.events] == [
        "shadow",
        "canary_step",
        "promoted",
        "rolled_back",
    ]
    step = timeline.events[1].detail
    assert step["percent"] == 5.0 and step["requests_in_previous_stage"]["candidate"] == 300
    assert timeline.events[2].detail["previous"] == "1"
    assert promoted == ["2"]
    back = timeline.events[3].detail
    assert back["failed_guardrails"] == ["error_rate"] and back["caught_in"] == "shadow"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux CPU affinity")
def test_one_cpu_pins_and_restores() -> None:
    before = os.sched_getaffinity(0)
    with one_cpu() as cpu:
        assert os.sched_getaffinity(0) == {cpu}
    assert os.sched_getaffinity(0) == before
