from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.cli import main

T = "tests.retrain._trainers"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    folder = tmp_path / "features"
    for day in range(3):
        n = 100
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        part = folder / f"date=2026-03-0{day + 1}"
        part.mkdir(parents=True)
        pq.write_table(
            pa.table(
                {
                    "id": [f"d{day}-{i}" for i in range(n)],
                    "timestamp": pa.array(
                        [T0 + timedelta(days=day, minutes=i) for i in range(n)],
                        pa.timestamp("us", tz="UTC"),
                    ),
                    "x1": x1,
                    "x2": x2,
                    "y": (x1 + x2 > 0).astype(np.int64),
                }
            ),
            part / "part-0.parquet",
        )
    return folder


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def retrain(data: Path, *args: str) -> list[str]:
    """``steward retrain run churn`` on ``data`` with the label ``y``, then ``args``."""
    return ["retrain", "run", "churn", "--data", str(data), "--label", "y", *args]


def test_run_registers_then_rejects(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = retrain(data, "--min-samples", "30", "--timeout", "120", "--format", "json", "--quiet")
    code, out, _ = run(
        [*base, "--train", f"{T}:logistic", "--param", "C=2.0", "--reason", "first model"], capsys
    )
    assert code == 0, out
    record = json.loads(out)
    assert record["status"] == "candidate" and record["version"] == "1"
    assert record["lineage"]["training"]["params"] == {"label": "y", "C": 2.0}
    assert record["lineage"]["data"]["features"] == ["x1", "x2"]  # no `date` from folders

    assert main(["registry", "alias", "churn", "champion", "1", "--reason", "ok"]) == 0
    capsys.readouterr()
    # the champion is a pickle: loading it needs an explicit trust decision
    code, _, err = run([*base, "--train", f"{T}:majority"], capsys)
    assert code == 2 and err.startswith("error: ") and "trust" in err
    code, out, _ = run([*base, "--train", f"{T}:majority", "--trust-champion"], capsys)
    assert code == 1
    record = json.loads(out)
    assert record["status"] == "rejected" and record["champion_version"] == "1"
    assert record["gate"]["evidence"]["test"]["name"] == "mcnemar"

    assert main(["audit", "verify"]) == 0


def test_failed_training_exits_1_with_the_cause(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(retrain(data, "--train", f"{T}:raises", "--quiet"), capsys)
    assert code == 1
    assert "failed (raised)" in out and "ValueError" in out


def test_bad_input_is_exit_2(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logistic = retrain(data, "--train", f"{T}:logistic")
    code, _, err = run([*logistic, "--strategy", "reference"], capsys)
    assert code == 2 and err.startswith("error: --strategy reference needs")
    code, _, err = run([*logistic, "--param", "oops"], capsys)
    assert code == 2 and "KEY=VALUE" in err
