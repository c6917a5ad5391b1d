"""``steward demo --json --no-serve``: the whole closed loop on the simulated fleet."""

from __future__ import annotations

import json
from pathlib import Path

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


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def test_demo_closes_the_loop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json", "--no-serve", "--rows", "1000"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == {
        "timeline",
        "champion_before",
        "champion_after",
        "accuracy",
        "audit_verified",
    }
    timeline = summary["timeline"]
    for entry in timeline:
        assert set(entry) == {"day", "event", "detail"}
        assert isinstance(entry["day"], int) and isinstance(entry["detail"], dict)
        assert entry["event"] in EVENTS
    events = [e["event"] for e in timeline]
    for needed in (
        "drift_detected",
        "alert",
        "retrain",
        "gate_passed",
        "shadow",
        "canary_step",
        "promoted",
        "rolled_back",
        "fallback",
    ):
        assert needed in events, needed
    kinds = {e["detail"]["kind"] for e in timeline if e["event"] == "drift_detected"}
    assert kinds == {"data", "concept"}
    assert summary["champion_after"] != summary["champion_before"]
    rolled = [e for e in timeline if e["event"] == "rolled_back"]
    assert rolled[0]["detail"]["automatic"] is True
    assert "error_rate" in rolled[0]["detail"]["failed_guardrails"]
    fallback = next(e for e in timeline if e["event"] == "fallback")
    assert fallback["detail"]["served_by_fallback"] > 0
    assert fallback["detail"]["breaker_opens"] >= 1
    acc = summary["accuracy"]
    assert all(isinstance(v, float) for v in acc.values())
    assert acc["after_retrain"] > acc["after_drift"]
    assert acc["before_drift"] > acc["after_drift"]
    assert summary["audit_verified"] is True

    # what it leaves is inspectable with the other commands
    assert main(["audit", "verify"]) == 0
    assert main(["registry", "history", "fleet"]) == 0
