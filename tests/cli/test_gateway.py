from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelsteward.cli import main

MODELS = """
def predict_v1(rows):
    return [int(r["a"] + r["b"] > 0) for r in rows]

def predict_v2(rows):
    return [int(r["a"] + r["b"] > 0.5) for r in rows]
"""


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEWARD_GATEWAY_URL", raising=False)
    monkeypatch.delenv("STEWARD_GATEWAY_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gw_test_models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))


def write_config(tmp_path: Path, extra: str = "", log: str = "store") -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        textwrap.dedent(f'''
        [gateway]
        log = "{log}"
        token_env = "GW_TEST_TOKEN"

        [models.churn]
        features = ["a", "b"]
        champion = "v1"
        candidate = "v2"
        default = 0
        timeout_ms = 500
        task = "binary"
        {extra}
        [models.churn.versions]
        v1 = "gw_test_models:predict_v1"
        v2 = "gw_test_models:predict_v2"

        [models.churn.policy]
        shadow = false
        steps = [50, 100]
        high_risk = true
        min_samples = 20
        min_hold_s = 0
    ''')
    )
    return path


def test_gateway_logs_predictions_and_audits_rollout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelsteward.cli._gateway import build_gateway
    from modelsteward.governance import AuditLog
    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    monkeypatch.setenv("GW_TEST_TOKEN", "tok")
    application, release = build_gateway(write_config(tmp_path))
    gw = application.state.gateway
    with TestClient(application) as client:
        for i in range(30):
            r = client.post(
                "/predict/churn", json={"features": {"a": 1.0, "b": 0.2}, "key": f"{i}"}
            )
            assert r.status_code == 200
        rollout = gw.models["churn"].rollout
        rollout.record_many("baseline", errors=np.zeros(3000), latency_ms=np.ones(3000))
        rollout.record_many("candidate", errors=np.zeros(3000), latency_ms=np.ones(3000))
        assert rollout.check().action == "await_approval"
        auth = {"Authorization": "Bearer tok"}
        r = client.post(
            "/rollout/churn/approve", json={"actor": "dana", "reason": "ok"}, headers=auth
        )
        assert r.status_code == 200 and r.json()["champion"] == "v2"
        assert gw.sink.flush(10.0)
    release()
    store = Store.from_settings(load_settings())
    try:
        assert store.models.stats("churn").predictions == 30
        log = AuditLog(store)
        actions = [e.action for e in log.entries(subject="churn")]
        assert actions == [
            "rollout.canary_started",
            "rollout.awaiting_approval",
            "rollout.approved",
            "rollout.promoted",
        ]
        approved = log.entries(action="rollout.approved")[0]
        assert approved.actor == "dana" and approved.details["reason"] == "ok"
        assert log.verify().ok
    finally:
        store.close()


def test_gateway_command_serves_the_configured_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(application: Any, **kw: Any) -> None:
        seen.update(kw, app=application)
        with TestClient(application) as client:
            seen["health"] = client.get("/healthz").json()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("GW_TEST_TOKEN", "tok")
    cfg = write_config(tmp_path, log="none")
    assert main(["gateway", "--config", str(cfg), "--port", "8399"]) == 0
    assert seen["port"] == 8399 and seen["host"] == "127.0.0.1"
    assert seen["health"] == {"status": "ok", "models": ["churn"]}


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("missing", "no such gateway configuration file"),
        ("token", "GW_TEST_TOKEN, which is not set"),
        ("import", "cannot import 'gw_test_models:nope'"),
        ("key", "unknown keys ['colour']"),
        ("toml", "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_error_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    needle: str,
) -> None:
    if setup != "token":
        monkeypatch.setenv("GW_TEST_TOKEN", "tok")
    cfg = write_config(tmp_path, log="none")
    if setup == "missing":
        cfg = tmp_path / "nope.toml"
    elif setup == "import":
        cfg.write_text(cfg.read_text().replace('predict_v2"', 'nope"'))
    elif setup == "key":
        cfg = write_config(tmp_path, extra='colour = "red"', log="none")
    elif setup == "toml":
        cfg.write_text("[models\n")
    assert main(["gateway", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0], err


def test_rollout_approve_talks_to_the_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from modelsteward.cli import _rollout
    from modelsteward.cli._gateway import build_gateway

    monkeypatch.setenv("GW_TEST_TOKEN", "tok")
    application, release = build_gateway(write_config(tmp_path, log="none"))
    gw = application.state.gateway
    with TestClient(application) as client:

        def fake_client(url: str, token: str | None) -> TestClient:
            assert url == "http://gw.test:1234"
            client.headers.clear()
            if token:
                client.headers["Authorization"] = f"Bearer {token}"
            return client

        monkeypatch.setattr(_rollout, "_client", fake_client)
        monkeypatch.setenv("STEWARD_GATEWAY_URL", "http://gw.test:1234")
        base = ["rollout", "approve", "churn", "--actor", "erin", "--reason", "fine"]
        assert main(base) == 2  # no token
        assert "401" in capsys.readouterr().err
        assert main([*base, "--token", "tok"]) == 2  # nothing waits for approval yet
        assert "409" in capsys.readouterr().err
        rollout = gw.models["churn"].rollout
        rollout.record_many("baseline", errors=np.zeros(3000), latency_ms=np.ones(3000))
        rollout.record_many("candidate", errors=np.zeros(3000), latency_ms=np.ones(3000))
        rollout.check()
        monkeypatch.setenv("STEWARD_GATEWAY_TOKEN", "tok")
        assert main(base) == 0
        assert "churn: promoted, champion v2" in capsys.readouterr().out
        assert main(["rollout", "status", "churn", "--json"]) == 0
        assert '"state": "promoted"' in capsys.readouterr().out
        assert main(["rollout", "start", "churn", "--candidate", "v1"]) == 0
        assert main(["rollout", "rollback", "churn", "--actor", "e", "--reason", "r"]) == 0
        assert "rolled_back" in capsys.readouterr().out
    release()


def test_rollout_without_a_gateway_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["rollout", "status", "churn", "--url", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: no gateway answers at http://127.0.0.1:9")


def test_gateway_serves_registry_versions_and_promotes_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelsteward.cli._gateway import build_gateway
    from modelsteward.registry import Registry
    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    store = Store.from_settings(load_settings())
    store.upgrade()
    registry = Registry.from_settings(load_settings(), store)
    registry.register("churn", "gw_test_models:predict_v1", flavor="callable")
    registry.register("churn", "gw_test_models:predict_v2", flavor="callable")
    registry.promote("churn", "1", reason="first")
    store.models.create("churn", "binary")
    store.close()
    cfg = tmp_path / "registry.toml"
    cfg.write_text(
        textwrap.dedent("""
        [models.churn]
        registry = true
        features = ["a", "b"]
        champion = "champion"
        candidate = "2"
        default = 0
        [models.churn.policy]
        shadow = false
        steps = [50, 100]
        min_samples = 20
        min_hold_s = 0
    """)
    )
    application, release = build_gateway(cfg)
    gw = application.state.gateway
    with TestClient(application) as client:
        body = client.post("/predict/churn", json={"features": {"a": 0.3, "b": 0}}).json()
        assert body["version"] in ("1", "2")
        rollout = gw.models["churn"].rollout
        rollout.record_many("baseline", errors=np.zeros(3000), latency_ms=np.ones(3000))
        rollout.record_many("candidate", errors=np.zeros(3000), latency_ms=np.ones(3000))
        assert rollout.check().action == "promote"
    release()
    store = Store.from_settings(load_settings())
    try:
        assert Registry.from_settings(load_settings(), store).aliases("churn")["champion"] == "2"
    finally:
        store.close()


def test_a_restarted_gateway_resumes_its_rollout_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelsteward.cli._gateway import build_gateway

    monkeypatch.setenv("GW_TEST_TOKEN", "tok")
    config = write_config(tmp_path)
    application, release = build_gateway(config)
    with TestClient(application):
        rollout = application.state.gateway.models["churn"].rollout
        rollout.record_many("baseline", errors=np.zeros(3000), latency_ms=np.ones(3000))
        rollout.record_many("candidate", errors=np.zeros(3000), latency_ms=np.ones(3000))
        assert rollout.check().action == "await_approval"
    release()

    # A new process: the rollout still waits for its human approval, which now promotes.
    application, release = build_gateway(config)
    auth = {"Authorization": "Bearer tok"}
    with TestClient(application) as client:
        r = client.post(
            "/rollout/churn/approve", json={"actor": "dana", "reason": "ok"}, headers=auth
        )
        assert r.status_code == 200, r.text
        assert r.json()["champion"] == "v2"
    release()
