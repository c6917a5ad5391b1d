from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelsteward.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def test_create_show_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "create", "churn", "--task", "binary"]) == 0
    assert main(["models", "create", "price", "--task", "regression"]) == 0
    capsys.readouterr()

    from modelsteward.settings import load_settings
    from modelsteward.store import LabelRecord, PredictionRecord, Store

    store = Store.from_settings(load_settings())
    now = datetime.now(UTC)
    store.ingest_predictions(
        "churn", [PredictionRecord(id=str(i), timestamp=now) for i in range(5)]
    )
    store.ingest_labels("churn", [LabelRecord(id="1", label=1), LabelRecord(id="2", label=0)])
    store.close()

    assert main(["models", "show", "churn", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "churn" and info["task"] == "binary"
    assert info["predictions"] == 5 and info["labels"] == 2

    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "churn" in out and "price" in out
    assert main(["models", "list", "--format", "json"]) == 0
    assert [m["name"] for m in json.loads(capsys.readouterr().out)] == ["churn", "price"]


def test_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "show", "ghost", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No model named 'ghost'") and "Traceback" not in err
    main(["models", "create", "a", "--task", "binary"])
    assert main(["models", "create", "a", "--task", "binary"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["models", "create", "b", "--task", "clustering"]) == 2


def test_database_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    assert main(["models", "create", "m", "--task", "multiclass"]) == 0
    assert (tmp_path / "env.db").exists()


def test_settings_from_steward_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "steward.toml").write_text(f'database_url = "sqlite:///{tmp_path / "t.db"}"\n')
    assert main(["models", "create", "m", "--task", "binary"]) == 0
    assert (tmp_path / "t.db").exists()


def test_reference_from_a_table_or_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"x": [float(i) for i in range(200)], "c": ["a", "b"] * 100}), "ref.parquet"
    )
    assert main(["models", "create", "m", "--task", "binary", "--reference", "ref.parquet"]) == 0
    capsys.readouterr()
    assert main(["models", "show", "m", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["has_reference"] is True

    from modelsteward.profiles import profile_table

    profile_table(pa.table({"x": [1.0, 2.0]})).save(tmp_path / "p.json")
    assert main(["models", "set-reference", "m", str(tmp_path / "p.json")]) == 0
    from modelsteward.settings import load_settings
    from modelsteward.store import Store

    store = Store.from_settings(load_settings())
    assert json.loads(store.models.reference("m") or "{}")["rows"] == 2
    store.close()
    assert main(["models", "set-reference", "m", "missing.csv"]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{not a profile")
    assert main(["models", "set-reference", "m", str(tmp_path / "bad.json")]) == 2
