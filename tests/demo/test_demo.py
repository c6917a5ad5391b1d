"""``steward demo --json --no-serve``: the whole closed loop on the simulated fleet.

The demo runs once (about half a minute); each test checks one part of what it did,
from its JSON summary and from what it left in ``STEWARD_HOME`` (audit log, registry).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelsteward.cli import main

EVENTS = {
    "drift_detected",
    "alert",
    "retrain",
    "gate_passed",
    "gate_failed",
    "shadow",
    "canary_step",
    "promoted",
    "rolled_back",
    "fallback",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEWARD_HOME", str(path))
        mp.delenv("STEWARD_DATABASE_URL", raising=False)
        yield path


@pytest.fixture(scope="module")
def summary(home: Path) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--json", "--no-serve"]) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.fixture(scope="module")
def audit(summary: dict[str, Any], home: Path) -> list[Any]:
    from modelsteward.governance import AuditLog
    from modelsteward.settings import Settings
    from modelsteward.store import Store

    store = Store.from_settings(Settings(home=home))
    try:
        return list(AuditLog(store).entries())
    finally:
        store.close()


def _events(summary: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [e for e in summary["timeline"] if e["event"] == event]


def test_summary_follows_the_contract(summary: dict[str, Any]) -> None:
    assert set(summary) == {
        "timeline",
        "champion_before",
        "champion_after",
        "accuracy",
        "audit_verified",
    }
    for entry in summary["timeline"]:
        assert set(entry) == {"day", "event", "detail"}
        assert isinstance(entry["day"], int) and isinstance(entry["detail"], dict)
        assert entry["event"] in EVENTS
    days = [e["day"] for e in summary["timeline"]]
    assert days == sorted(days)
    assert set(summary["accuracy"]) == {"before_drift", "after_drift", "after_retrain"}
    assert all(isinstance(v, float) for v in summary["accuracy"].values())


def test_the_retraining_policy_detects_both_drifts(summary: dict[str, Any]) -> None:
    detected = _events(summary, "drift_detected")
    data = [e for e in detected if e["detail"]["kind"] == "data"]
    concept = [e for e in detected if e["detail"]["kind"] == "concept"]
    assert data and concept
    # the sensor recalibration (day 4) is seen once that day's labels are in, by the
    # drift-share trigger of the policy (3 of 8 columns: below the default dataset drift)
    first = data[0]
    assert first["day"] == 5
    drift = next(r for r in first["detail"]["policy"] if r["kind"] == "drift")
    assert drift["evidence"]["dataset_drift"] is False
    assert drift["evidence"]["drift_share"] > 0.25
    assert drift["key"].startswith("drift@2026-01-05")
    # the wear-induced concept drift (day 10): accuracy below the policy's floor, seen
    # once its labels are in (a day later, or two when a canary overlapped that day)
    assert concept[0]["day"] in (11, 12)
    kinds = {r["kind"] for r in concept[0]["detail"]["policy"]}
    assert "performance" in kinds
    perf = next(r for r in concept[0]["detail"]["policy"] if r["kind"] == "performance")
    assert perf["evidence"]["value"] < perf["evidence"]["threshold"]
    # no trigger before the world changed, and each detection was alerted to the webhook
    assert all(e["day"] >= 5 for e in detected)
    alerts = _events(summary, "alert")
    assert len(alerts) == len(detected)
    assert all(a["detail"]["status"] == 204 for a in alerts)
    assert [a["detail"]["received"] for a in alerts] == list(range(1, len(alerts) + 1))


def test_the_loop_retrains_in_a_subprocess_and_gates(
    summary: dict[str, Any], audit: list[Any]
) -> None:
    retrains = _events(summary, "retrain")
    assert len(retrains) >= 3  # data drift, the engineer's rebuild, concept drift
    for r in retrains:
        d = r["detail"]
        assert d["runner"] == "subprocess"
        assert d["entry_point"] == "modelsteward.demo._models:train"
        assert d["strategy"] == "SlidingWindow"
        assert d["training_rows"] > 1000 and d["holdout_rows"] >= 100
        assert d["window"]["train_end"] < d["window"]["holdout_start"]
    passed = _events(summary, "gate_passed")
    assert len(passed) >= 3
    for g in passed:
        assert g["detail"]["test"]["name"] == "mcnemar"
    # the drift retrains are significantly better than the stale champion
    for g in (passed[0], passed[-1]):
        acc = g["detail"]["accuracy"]
        assert acc["candidate"] > acc["champion"]
        assert g["detail"]["test"]["p_mid"] < 0.05
    actions = [e.action for e in audit]
    for action in (
        "retrain.decided",
        "retrain.started",
        "retrain.gate",
        "retrain.candidate_registered",
    ):
        assert actions.count(action) >= 3, action


def test_every_candidate_is_shadowed_then_canaried_through_the_default_steps(
    summary: dict[str, Any],
) -> None:
    timeline = summary["timeline"]
    started = [e["detail"]["version"] for e in _events(summary, "gate_passed")]
    shadowed = [e["detail"]["version"] for e in _events(summary, "shadow")]
    assert shadowed == started
    promoted = [e["detail"]["version"] for e in _events(summary, "promoted")]
    assert len(promoted) >= 2
    for version in promoted:
        steps = [
            e["detail"]["percent"]
            for e in timeline
            if e["event"] == "canary_step" and e["detail"]["version"] == version
        ]
        assert steps == [5.0, 25.0, 50.0]
        shadow = next(
            e for e in timeline if e["event"] == "shadow" and e["detail"]["version"] == version
        )
        first_step = next(
            e for e in timeline if e["event"] == "canary_step" and e["detail"]["version"] == version
        )
        assert first_step["detail"]["from_stage"] == "shadow"
        assert timeline.index(shadow) < timeline.index(first_step)
        # each stage advanced only with at least the policy's minimum samples per arm
        for e in timeline:
            if e["detail"].get("version") == version and e["event"] in ("canary_step", "promoted"):
                requests = e["detail"].get("requests_in_previous_stage") or e["detail"].get(
                    "requests_in_last_stage"
                )
                assert min(requests.values()) >= 200
                # ... and every guardrail it looked at passed (the shadow's agreement too)
                assert set(e["detail"]["guardrails"].values()) == {"pass"}
                assert {"error_rate", "latency_tail"} <= set(e["detail"]["guardrails"])
    assert summary["champion_after"] == promoted[-1] != summary["champion_before"]


def test_the_bad_candidate_is_rolled_back(summary: dict[str, Any]) -> None:
    rebuild = next(e for e in _events(summary, "retrain") if "rebuild" in e["detail"]["reason"])
    gate = next(e for e in _events(summary, "gate_passed") if e["day"] == rebuild["day"])
    bad = gate["detail"]["version"]
    # the same model as the champion: it passes the offline gate ...
    assert gate["detail"]["test"]["b"] == gate["detail"]["test"]["c"] == 0
    # ... and the live guardrails catch its failing serving image
    rolled = _events(summary, "rolled_back")
    assert [r["detail"]["version"] for r in rolled] == [bad]
    detail = rolled[0]["detail"]
    assert detail["automatic"] is True
    assert detail["caught_in"] in ("shadow", "canary")
    assert "error_rate" in detail["failed_guardrails"]
    assert bad not in [e["detail"]["version"] for e in _events(summary, "promoted")]


def test_a_failing_champion_is_served_by_the_fallback(summary: dict[str, Any]) -> None:
    (fallback,) = _events(summary, "fallback")
    detail = fallback["detail"]
    assert detail["served_by_fallback"] > 0
    assert detail["breaker_opens"] >= 1
    assert detail["breaker_state"] == "closed"  # it came back on its own
    first_promotion = _events(summary, "promoted")[0]
    assert fallback["day"] == first_promotion["day"] + 1
    assert detail["fallback_to"] == first_promotion["detail"]["previous"]


def test_accuracy_recovers_after_retraining(summary: dict[str, Any]) -> None:
    acc = summary["accuracy"]
    assert acc["before_drift"] > acc["after_drift"] + 0.03
    # retraining won back at least half of what the drift cost
    assert acc["after_retrain"] - acc["after_drift"] >= 0.5 * (
        acc["before_drift"] - acc["after_drift"]
    )


def test_the_audit_chain_verifies_and_the_registry_keeps_the_history(
    summary: dict[str, Any], audit: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert summary["audit_verified"] is True
    actions = {e.action for e in audit}
    assert {"demo.drift_detected", "demo.fallback", "rollout.promoted"} <= actions
    assert "rollout.rolled_back" in actions
    assert main(["audit", "verify"]) == 0
    assert main(["registry", "history", "fleet"]) == 0
    assert summary["champion_after"] in capsys.readouterr().out
