from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from modelsteward.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    frame["y"] = (frame["a"] > 0).astype(int)
    frame.to_csv(tmp_path / "train.csv", index=False)
    path = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression().fit(frame[["a", "b"]], frame["y"]), path)
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_register_alias_rollback_history(
    tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["registry", "register", "pump", "--artifact", str(model_file), "--flavor", "sklearn"]
    assert main(args) == 2
    assert "--trust" in _one_error_line(capsys)

    full = [
        *args,
        "--trust",
        "--params",
        '{"C": 1.0}',
        "--metrics",
        '{"auc": 0.9}',
        "--training-data",
        str(tmp_path / "train.csv"),
        "--actor",
        "ann",
    ]
    assert main(full) == 0
    assert capsys.readouterr().out.startswith("registered pump version 1 (sklearn, sha256 ")
    assert main([*args, "--trust", "--parent", "1", "--format", "json"]) == 0
    v2 = json.loads(capsys.readouterr().out)
    assert v2["version"] == "2" and v2["lineage"]["parent_version"] == "1"
    assert v2["input_schema"] == {"a": "numeric", "b": "numeric"}
    stored = Path(v2["artifact"]["uri"])
    assert stored.parent == tmp_path / "home" / "artifacts" / "pump" / "2"

    assert main(["registry", "alias", "pump", "champion", "1", "--reason", "first"]) == 0
    assert (
        main(["registry", "alias", "pump", "champion", "2", "--reason", "better", "--actor", "bob"])
        == 0
    )
    assert "champion moved from 1 to 2" in capsys.readouterr().out
    assert main(["registry", "rollback", "pump", "--reason", "alerts fired"]) == 0
    assert "rolled back from 2 to 1" in capsys.readouterr().out

    assert main(["registry", "history", "pump", "--alias", "champion", "--format", "json"]) == 0
    moves = json.loads(capsys.readouterr().out)
    assert [(m["from_version"], m["to_version"], m["kind"]) for m in moves] == [
        (None, "1", "move"),
        ("1", "2", "move"),
        ("2", "1", "rollback"),
    ]
    assert moves[1]["actor"] == "bob" and moves[2]["reason"] == "alerts fired"
    assert main(["registry", "history", "pump"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3

    assert main(["registry", "show", "pump", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["aliases"] == {"champion": "1"}
    assert [v["status"] for v in shown["versions"]] == ["champion", "archived"]
    assert main(["registry", "show", "pump", "--version", "1", "--format", "json"]) == 0
    v1 = json.loads(capsys.readouterr().out)
    assert v1["lineage"]["params"] == {"C": 1.0} and v1["lineage"]["metrics"] == {"auc": 0.9}
    assert v1["lineage"]["training_fingerprint"].startswith("sha256:")
    assert v1["lineage"]["training_rows"] == 80 and v1["created_by"] == "ann"
    assert main(["registry", "show", "pump"]) == 0
    assert "champion=1" in capsys.readouterr().out
    assert main(["registry", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["aliases"] == {"champion": "1"}

    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("audit log intact: 5 entries")


def test_list_and_text_output(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "registry",
                "register",
                "r",
                "--artifact",
                "math:floor",
                "--flavor",
                "callable",
                "--schema",
                '["x"]',
            ]
        )
        == 0
    )
    assert main(["registry", "alias", "r", "shadow", "1", "--reason", "try"]) == 0
    capsys.readouterr()
    assert main(["registry", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "r", "versions": 1, "latest": "1", "aliases": {"shadow": "1"}}
    ]
    assert main(["registry", "list"]) == 0
    assert "shadow=1" in capsys.readouterr().out
    assert main(["registry", "show", "r", "--alias", "shadow"]) == 0
    assert "math:floor" in capsys.readouterr().out
    assert main(["registry", "unalias", "r", "shadow", "--reason", "done"]) == 0
    assert (
        main(["registry", "reject", "r", "1", "--reason", "bad", "--evidence", '{"p": 0.5}']) == 0
    )


def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, model_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["registry", "register", "r", "--flavor", "callable"]
    cases = [
        ([*base, "--artifact", "math:floor", "--params", "{nope"], "--params is not valid JSON"),
        ([*base, "--artifact", "nomodule_zz:f"], "cannot import module"),
        ([*base, "--artifact", "math:floor", "--training-data", "missing.csv"], "no such file"),
        (["registry", "show", "ghost"], "No registered model"),
        (["registry", "rollback", "ghost", "--reason", "x"], "no champion"),
        (["registry", "history", "ghost"], "No registered model"),
        (
            [
                "registry",
                "register",
                "r",
                "--artifact",
                str(tmp_path / "x.onnx"),
                "--flavor",
                "onnx",
            ],
            "onnx",
        ),
    ]
    for argv, expected in cases:
        assert main(argv) == 2, argv
        assert expected in _one_error_line(capsys)


def test_schema_mismatch_and_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    reg = ["registry", "register", "s", "--artifact", "math:floor", "--flavor", "callable"]
    assert main([*reg, "--schema", '{"a": "numeric", "b": "categorical"}']) == 0
    assert main(["registry", "alias", "s", "champion", "1", "--reason", "x"]) == 0
    capsys.readouterr()
    assert main([*reg, "--schema", '{"a": "numeric", "c": "numeric"}']) == 2
    line = _one_error_line(capsys)
    assert "missing columns b" in line and "extra columns c" in line
    assert main([*reg, "--schema", '{"a": "numeric"}', "--on-schema-mismatch", "reject"]) == 0
    assert "as REJECTED" in capsys.readouterr().out
    assert main([*reg, "--schema", '{"a": "numeric", "b": "categorical"}']) == 0
    assert (
        main(["registry", "alias", "s", "champion", "3", "--reason", "x", "--expected", "2"]) == 2
    )
    assert "points to version 1 now" in _one_error_line(capsys)


def test_tampered_log_after_registry_use(capsys: pytest.CaptureFixture[str]) -> None:
    reg = ["registry", "register", "t", "--artifact", "math:floor", "--flavor", "callable"]
    for _ in range(3):
        assert main(reg) == 0
    assert main(["registry", "alias", "t", "champion", "3", "--reason", "x"]) == 0
    from modelsteward.settings import load_settings

    engine = sa.create_engine(load_settings().resolved_database_url())
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 2"))
    engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("audit log broken at entry 2: the entry is missing")


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.registry._mlflow_registry import build_mlflow_registry

    return build_mlflow_registry(tmp_path_factory.mktemp("mlflow")).uri


def test_import_mlflow(mlflow_uri: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["registry", "import-mlflow", "--tracking-uri", mlflow_uri, "--model", "pump"]
    args = [*base, "--alias-map", "champion=champion,challenger=shadow", "--trust"]
    args += ["--schema", '["temperature", "vibration"]']  # for the versions without signature
    assert main([*args, "--actor", "ann"]) == 0
    out = capsys.readouterr().out
    assert "pump (sqlite:///" in out and "-> pump: changed" in out
    assert "version 1      mlflow-1       imported  (sklearn)" in out
    assert "version 3      -              skipped   its flavors (python_function)" in out
    assert "alias challenger -> shadow: moved ((unset) -> mlflow-1)" in out

    assert main([*args, "--format", "json"]) == 0  # again: nothing new
    again = json.loads(capsys.readouterr().out)
    assert again["changed"] is False and again["audit_seq"] is None
    statuses = [v["status"] for v in again["versions"]]
    assert statuses == ["existing", "existing", "skipped", "existing"]
    assert [(a["alias"], a["status"]) for a in again["aliases"]] == [
        ("champion", "unchanged"),
        ("shadow", "unchanged"),
    ]
    assert main(["registry", "history", "pump", "--format", "json"]) == 0
    moves = json.loads(capsys.readouterr().out)
    assert [(m["alias"], m["to_version"], m["actor"]) for m in moves] == [
        ("champion", "mlflow-2", "ann"),
        ("shadow", "mlflow-1", "ann"),
    ]
    assert "imported from MLflow" in moves[0]["reason"]
    assert main(["registry", "show", "pump", "--version", "mlflow-2", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["input_schema"] == {"temperature": "numeric", "vibration": "numeric"}
    assert shown["evidence"]["mlflow"]["version"] == "2"
    assert main(["audit", "verify"]) == 0


def test_import_mlflow_errors_are_one_line(
    mlflow_uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--tracking-uri", f"sqlite:///{tmp_path}/none.db", "--model", "pump"], "no such MLflow"),
        (["--tracking-uri", mlflow_uri, "--model", "ghost"], "has no registered model 'ghost'"),
        (["--tracking-uri", mlflow_uri, "--model", "pump", "--alias-map", "prod"], "--alias-map"),
        (["--tracking-uri", mlflow_uri, "--model", "pump", "--name", "a b"], "model name"),
        (["--tracking-uri", mlflow_uri, "--model", "pump", "--schema", "[x"], "--schema is not"),
    ]
    for argv, expected in cases:
        assert main(["registry", "import-mlflow", *argv]) == 2, argv
        assert expected in _one_error_line(capsys)
    assert not (tmp_path / "none.db").exists()


def test_register_an_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    path = tmp_path / "churn.onnx"
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    path.write_bytes(to_onnx(model, X).SerializeToString())
    args = ["registry", "register", "churn", "--artifact", str(path), "--flavor", "onnx"]
    assert main([*args, "--schema", '["tenure", "spend"]']) == 0
    assert "registered churn version 1 (onnx, sha256 " in capsys.readouterr().out
    assert main(["registry", "show", "churn", "--version", "1", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["input_schema"] == {"tenure": "numeric", "spend": "numeric"}
    assert shown["artifact"]["format"] == "onnx" and shown["artifact"]["uri"].endswith(".onnx")
