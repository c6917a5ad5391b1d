from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from modelsteward.server import grafana_dashboard, prometheus_rules
from modelsteward.settings import AlertRuleSettings

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")


def _exprs(board: dict[str, object]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p["targets"]]  # type: ignore[attr-defined, index]


def test_dashboard_is_provisioning_json() -> None:
    board = grafana_dashboard('we"ird model')
    text = json.dumps(board)
    assert json.loads(text)["title"] == 'modelsteward: we"ird model'
    assert board["uid"].startswith("steward-") and len(board["uid"]) <= 40
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert all('model="we\\"ird model"' in e for e in _exprs(board))


@needs_promtool
def test_dashboard_queries_and_rules_pass_promtool(tmp_path: Path) -> None:
    board = grafana_dashboard("churn")
    recording = ["groups:", "  - name: dashboard", "    rules:"]
    for i, expr in enumerate(_exprs(board)):
        recording += [f"      - record: steward:panel_{i}", f"        expr: {json.dumps(expr)}"]
    (tmp_path / "dash.yml").write_text("\n".join(recording) + "\n")
    rules = [
        AlertRuleSettings(name="err high", metric="error_rate", op=">", threshold=0.1),
        AlertRuleSettings(
            name="acc",
            metric="accuracy",
            op="<",
            threshold=0.8,
            model="churn",
            window="1d",
            severity="critical",
        ),
    ]
    (tmp_path / "alerts.yml").write_text(prometheus_rules(rules))
    (tmp_path / "empty.yml").write_text(prometheus_rules([]))
    for name in ("dash.yml", "alerts.yml", "empty.yml"):
        out = subprocess.run(
            ["promtool", "check", "rules", str(tmp_path / name)], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stdout + out.stderr
    assert (
        'steward_window_accuracy{model=\\"churn\\", window=\\"1d\\"} < 0.8'
        in (tmp_path / "alerts.yml").read_text()
    )
