from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelsteward.cli import main
from tests.conftest import ServerProcess


def test_refuses_to_start_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no API key exists") and "--dev" in err
    assert (tmp_path / "steward.db").exists()  # migrated before the check


def test_dev_binds_loopback_and_says_so(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, args=("--dev", "--host", "0.0.0.0")).start()
    try:
        r = httpx.post(f"{server.url}/api/v1/models", json={"name": "m", "task": "binary"})
        assert r.status_code == 201
    finally:
        server.stop()
    log = server.log()
    assert "DEVELOPMENT MODE" in log and "authentication is OFF" in log
    assert "binding to 127.0.0.1" in log


def test_serves_with_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    store = Store.from_settings(load_settings())
    store.upgrade()
    _, token = store.keys.create("ops", "admin")
    store.close()
    server = ServerProcess(tmp_path).start()
    try:
        assert httpx.get(f"{server.url}/api/v1/models").status_code == 401
        r = httpx.get(f"{server.url}/api/v1/models", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json() == []
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        assert "steward_http_requests" in httpx.get(f"{server.url}/metrics").text
    finally:
        server.stop()


def test_grafana_dashboard_and_prometheus_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["grafana-dashboard", "churn"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["title"] == "modelsteward: churn" and board["panels"]
    assert main(["grafana-dashboard", "churn", "-o", "board.json"]) == 0
    assert json.loads((tmp_path / "board.json").read_text()) == board
    (tmp_path / "steward.toml").write_text(
        '[[alert_rules]]\nname = "errors"\nmetric = "error_rate"\nop = ">"\nthreshold = 0.05\n'
    )
    capsys.readouterr()
    assert main(["prometheus-rules"]) == 0
    out = capsys.readouterr().out
    assert "alert: errors" in out and "steward_window_error_rate" in out


def test_serve_freezes_its_start_up_objects_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import uvicorn

    from modelsteward.cli import main

    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append("serve"))
    assert main(["serve", "--dev", "--port", "8123"]) == 0
    # frozen once the app is built, and given back when serving ends (in-process callers)
    assert calls == ["freeze", "serve", "unfreeze"]


def test_each_worker_freezes_its_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from modelsteward.server._workers import ENV_DEV, ENV_WORKER_DIR, worker_app

    monkeypatch.setenv("STEWARD_HOME", str(tmp_path))
    monkeypatch.setenv("STEWARD_EVALUATION_INTERVAL_SECONDS", "0")
    monkeypatch.setenv(ENV_DEV, "1")
    monkeypatch.setenv(ENV_WORKER_DIR, str(tmp_path))
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    worker_app()
    assert calls == ["freeze"]
