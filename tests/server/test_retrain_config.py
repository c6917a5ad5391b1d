"""``[retrain.<model>]`` tables: what they build, and the errors that name what is wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from modelsteward.errors import DataReadError, ParameterError
from modelsteward.retrain import (
    AllHistory,
    DetectorTrigger,
    DriftTrigger,
    LabelsTrigger,
    PerformanceTrigger,
    ScheduleTrigger,
    SlidingWindow,
)
from modelsteward.server._retrain_config import (
    dispatcher_from_settings,
    load_retrain,
    parse_retrain,
)
from modelsteward.settings import Settings
from modelsteward.store import Store

FULL = """
[retrain.churn]
entry_point = "pkg.train:fit"
window = "1d"
strategy = "window"
window_days = 30
holdout = 500
cooldown_hours = 12
max_runs_per_day = 1
params = { depth = 3 }
[retrain.churn.gate]
max_accuracy_drop = 0.02
[retrain.churn.triggers]
drift = { share_threshold = 0.3 }
performance = [{ metric = "accuracy", below = 0.85, source = "estimated" },
               { metric = "rmse", above = 2.0 }]
detector = true
every_hours = 168
new_labels = 5000
"""


def test_a_full_table_builds_the_policy_and_the_job(tmp_path: Path) -> None:
    path = tmp_path / "steward.toml"
    path.write_text(FULL, encoding="utf-8")
    spec = load_retrain(path)["churn"]
    policy = spec.policy()
    assert policy.cooldown == timedelta(hours=12) and policy.max_runs_per_day == 1
    assert policy.triggers == (
        DriftTrigger(share_threshold=0.3),
        PerformanceTrigger("accuracy", 0.85, "estimated", True),
        PerformanceTrigger("rmse", 2.0, "realized", False),
        DetectorTrigger(("mistake_drift",)),
        ScheduleTrigger(timedelta(hours=168)),
        LabelsTrigger(5000),
    )
    job = spec.job("churn", "regression")
    assert job.gate.task == "regression" and job.gate.max_accuracy_drop == 0.02
    assert job.strategy == SlidingWindow(span=timedelta(days=30))
    assert (job.holdout, job.label, job.id_column) == (500, "label", "prediction_id")
    assert job.params == {"depth": 3}
    assert spec.window == "1d"


def test_defaults() -> None:
    spec = parse_retrain({"m": {"entry_point": "a.b:c"}})["m"]
    assert spec.policy().triggers == () and spec.policy().cooldown == timedelta(hours=6)
    assert isinstance(spec.job("m", "binary").strategy, AllHistory)
    assert spec.job("m", "binary").holdout == 0.2


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"entry_point": "no-colon"}, "entry_point"),
        ({"entry_point": "a:b", "typo": 1}, "typo"),
        ({"entry_point": "a:b", "window": "soon"}, "window"),
        ({"entry_point": "a:b", "strategy": "window"}, "window_days"),
        ({"entry_point": "a:b", "triggers": {"performance": [{"metric": "x"}]}}, "below"),
        ({"entry_point": "a:b", "triggers": {"new_labels": 0}}, "new_labels"),
        ({"entry_point": "a:b", "max_runs_per_day": 0}, "max_runs_per_day"),
    ],
)
def test_bad_tables_name_the_problem(table: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        parse_retrain({"churn": table})
    assert "[retrain.churn]" in str(info.value)


def test_a_bad_gate_key_is_a_parameter_error() -> None:
    spec = parse_retrain({"m": {"entry_point": "a:b", "gate": {"nope": 1}}})["m"]
    with pytest.raises(ParameterError, match=r"\[retrain.m.gate\]"):
        spec.job("m", "binary")


def test_files(tmp_path: Path) -> None:
    assert load_retrain(tmp_path / "missing.toml") == {}
    bad = tmp_path / "bad.toml"
    bad.write_text("[retrain\n", encoding="utf-8")
    with pytest.raises(DataReadError, match=r"bad\.toml"):
        load_retrain(bad)
    odd = tmp_path / "odd.toml"
    odd.write_text('retrain = "yes"\n', encoding="utf-8")
    with pytest.raises(ParameterError, match=r"odd\.toml"):
        load_retrain(odd)


def test_the_dispatcher_comes_from_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upgrade()
    settings = Settings(home=tmp_path, evaluation_windows=["30m", "1d"])
    monkeypatch.setenv("STEWARD_CONFIG", str(tmp_path / "none.toml"))
    assert dispatcher_from_settings(settings, store) is None
    (tmp_path / "steward.toml").write_text(FULL, encoding="utf-8")
    monkeypatch.setenv("STEWARD_CONFIG", str(tmp_path / "steward.toml"))
    dispatcher = dispatcher_from_settings(settings, store)
    assert dispatcher is not None
    assert list(dispatcher.specs) == ["churn"] and dispatcher.default_window == "30m"
    dispatcher.close()
    store.close()


def test_the_served_app_retrains_from_the_settings_file_and_shows_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from modelsteward.server import create_app

    (tmp_path / "steward.toml").write_text(FULL, encoding="utf-8")
    monkeypatch.setenv("STEWARD_CONFIG", str(tmp_path / "steward.toml"))
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        evaluation_windows=["30m", "1d"],
        evaluation_interval_seconds=0,
    )
    app = create_app(settings, dev=True)
    dispatcher = app.state.scheduler.retrain
    assert dispatcher is not None and list(dispatcher.specs) == ["churn"]
    closed: list[bool] = []
    close = dispatcher.close
    monkeypatch.setattr(dispatcher, "close", lambda **kw: (closed.append(True), close(**kw)))
    with TestClient(app) as client:
        created = client.post("/api/v1/models", json={"name": "churn", "task": "binary"})
        assert created.status_code in (200, 201), created.text
        loop = client.get("/api/v1/models/churn/loop")
        assert loop.status_code == 200, loop.text
    assert closed == [True]  # the app's shutdown closed it


@pytest.mark.parametrize("config_file", [True, False], ids=["without-retrain", "no-file"])
def test_a_server_without_retraining_never_imports_the_retraining_machinery(
    tmp_path: Path, config_file: bool
) -> None:
    import subprocess
    import sys

    if config_file:
        (tmp_path / "steward.toml").write_text(
            "evaluation_interval_seconds = 0\n", encoding="utf-8"
        )
    code = (
        "import sys\n"
        "from modelsteward.server import create_app\n"
        "from modelsteward.settings import Settings\n"
        f"app = create_app(Settings(home={str(tmp_path)!r}, "
        f"database_url='sqlite:///{tmp_path / 'a.db'}'), dev=True)\n"
        "print(app.state.scheduler.retrain, 'modelsteward.retrain' in sys.modules)\n"
    )
    env = {"STEWARD_CONFIG": str(tmp_path / "steward.toml"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "False"]


def test_the_readme_example_builds_the_policy_it_describes() -> None:
    import re
    import tomllib

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Retraining from the service", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    data = tomllib.loads(block.group(1))
    assert data["feature_retention_days"] == 30
    spec = parse_retrain(data["retrain"])["churn"]
    policy = spec.policy()
    assert policy.cooldown == timedelta(hours=12) and policy.max_runs_per_day == 1
    assert policy.triggers == (
        DriftTrigger(share_threshold=0.3),
        PerformanceTrigger("accuracy", 0.85, "estimated", True),
        DetectorTrigger(("mistake_drift",)),
        LabelsTrigger(5000),
    )
    job = spec.job("churn", "binary")
    assert job.entry_point == "pkg.train:fit" and job.holdout == 500
    assert job.strategy == SlidingWindow(span=timedelta(days=30))
