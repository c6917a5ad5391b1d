from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.retrain import InProcessRunner, SubprocessRunner, TrainingFailed

T = "tests.retrain._trainers"
RNG = np.random.default_rng(0)
X1 = RNG.normal(size=300)
X2 = RNG.normal(size=300)
TABLE = pa.table({"x1": X1, "x2": X2, "y": (X1 + 0.5 * X2 > 0).astype(np.int64)})


@pytest.fixture(scope="module")
def runner() -> SubprocessRunner:
    return SubprocessRunner(timeout=60)


def test_subprocess_trains_a_sklearn_model(runner: SubprocessRunner) -> None:
    trained = runner.train(f"{T}:logistic", TABLE, {"C": 10.0}, label="y")
    pred = trained.predict(TABLE.drop_columns(["y"]))
    assert pred.shape == (300,) and (pred == TABLE["y"].to_numpy()).mean() > 0.95
    assert trained.params == {"label": "y", "C": 10.0}
    assert trained.input_schema == {"x1": "numeric", "x2": "numeric"}
    assert trained.artifact is not None and len(trained.artifact_sha256 or "") == 64
    assert trained.train_rows == 300 and trained.duration_s > 0
    assert trained.describe()["artifact_bytes"] == len(trained.artifact)


def test_subprocess_accepts_pandas_and_arrow_input(runner: SubprocessRunner) -> None:
    trained = runner.train(f"{T}:linear", TABLE.to_pandas(), {}, label="y")
    assert trained.predict(TABLE.drop_columns(["y"])).shape == (300,)
    arrow = SubprocessRunner(timeout=60, input_format="arrow")
    m = arrow.train(f"{T}:arrow_majority", TABLE, {}, label="y")
    assert set(m.predict(TABLE.drop_columns(["y"])).tolist()) <= {0, 1}


def test_raised_error_carries_type_message_and_traceback(runner: SubprocessRunner) -> None:
    with pytest.raises(TrainingFailed) as info:
        runner.train(f"{T}:raises", TABLE, {}, label="y")
    err = info.value
    assert err.cause == "raised" and err.exc_type == "ValueError"
    assert "column 'wear' is constant" in str(err) and "300 rows" in (err.exc_message or "")
    assert err.traceback_tail is not None and "_trainers.py" in err.traceback_tail
    assert err.traceback_tail.splitlines()[-1].startswith("ValueError")
    assert err.to_dict()["cause"] == "raised"


def test_hang_is_killed_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    start = time.monotonic()
    with pytest.raises(TrainingFailed) as info:
        SubprocessRunner(timeout=1.5).train(
            f"{T}:hangs", TABLE, {"pid_file": str(pid_file)}, label="y"
        )
    assert info.value.cause == "timeout" and "1.5 s" in str(info.value)
    assert time.monotonic() - start < 20
    if pid_file.exists():  # the child got as far as the training function: it must be gone
        pid = int(pid_file.read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_unusable_model_in_subprocess(runner: SubprocessRunner) -> None:
    with pytest.raises(TrainingFailed, match="has no predict method") as info:
        runner.train(f"{T}:no_predict", TABLE, {}, label="y")
    assert info.value.cause == "unusable"


def test_crash_and_bad_entry_point(runner: SubprocessRunner) -> None:
    with pytest.raises(TrainingFailed, match="exited with status 3") as info:
        runner.train(f"{T}:exits", TABLE, {}, label="y")
    assert info.value.cause == "crashed"
    with pytest.raises(TrainingFailed) as info:
        runner.train("tests.retrain.no_such_module:fit", TABLE, {}, label="y")
    assert info.value.cause == "bad_entry_point" and "no_such_module" in str(info.value)


@pytest.mark.parametrize(
    ("fn", "cause", "match"),
    [
        ("no_predict", "unusable", "'dict', which has no predict"),
        ("broken_predict", "unusable", "predict failed on 256 training rows: KeyError"),
        ("one_output", "unusable", r"shape \(1,\) for 256 rows"),
        ("raises", "raised", "ValueError: cannot fit"),
        ("NOT_CALLABLE", "bad_entry_point", "not a function"),
        ("missing", "bad_entry_point", "has no attribute 'missing'"),
    ],
)
def test_in_process_faults(fn: str, cause: str, match: str) -> None:
    with pytest.raises(TrainingFailed, match=match) as info:
        InProcessRunner().train(f"{T}:{fn}", TABLE, {}, label="y")
    assert info.value.cause == cause


def test_worker_reports_unsaveable_model_and_system_exit(tmp_path: Path) -> None:
    """The worker's own logic, run in this process for speed."""
    import json

    import pyarrow.parquet as pq

    from modelsteward.retrain import _worker

    pq.write_table(TABLE, tmp_path / "train.parquet")
    for fn, cause, text in [
        ("unpicklable", "unusable", "cannot be saved"),
        ("sys_exit", "crashed", "SystemExit"),
    ]:
        job = {
            "entry_point": f"{T}:{fn}",
            "params": {"label": "y"},
            "label": "y",
            "input_format": "pandas",
            "sample_rows": 10,
            "sys_path": [],
        }
        (tmp_path / "job.json").write_text(json.dumps(job))
        assert _worker.main([str(tmp_path)]) == 1
        result = json.loads((tmp_path / "result.json").read_text())
        assert result["cause"] == cause and text in result["message"]


def test_bad_jobs_are_parameter_errors() -> None:
    runner = InProcessRunner()
    with pytest.raises(SchemaError, match="no label column 'target'"):
        runner.train(f"{T}:logistic", TABLE, {}, label="target")
    with pytest.raises(ParameterError, match="'module:function'"):
        runner.train("logistic", TABLE, {}, label="y")
    with pytest.raises(ParameterError, match="JSON"):
        runner.train(f"{T}:logistic", TABLE, {"x": object()}, label="y")
    with pytest.raises(ParameterError, match="empty"):
        runner.train(f"{T}:logistic", TABLE.slice(0, 0), {}, label="y")
    with pytest.raises(ParameterError, match="pyarrow Table or a pandas DataFrame"):
        runner.train(f"{T}:logistic", [1, 2], {}, label="y")
    with pytest.raises(ParameterError, match="timeout"):
        SubprocessRunner(timeout=0)


def test_in_process_pandas() -> None:
    trained = InProcessRunner().train(f"{T}:logistic", TABLE.to_pandas(), {}, label="y")
    assert isinstance(trained.predict(TABLE.drop_columns(["y"])), np.ndarray)
    assert trained.artifact is None
    assert isinstance(TABLE.to_pandas(), pd.DataFrame)


def test_training_sees_the_users_environment_not_stewards_own_settings(
    runner: SubprocessRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelsteward.process_env import MARKER

    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "4")  # as `steward` sets it for itself
    monkeypatch.setenv(MARKER, "OPENBLAS_THREAD_TIMEOUT")
    monkeypatch.setenv("USER_SETTING", "kept")
    names = ["OPENBLAS_THREAD_TIMEOUT", MARKER, "USER_SETTING"]
    with pytest.raises(TrainingFailed) as info:
        runner.train(f"{T}:reports_environment", TABLE, {"names": names}, label="y")
    seen = json.loads(str(info.value.exc_message).removeprefix("environment "))
    assert seen == {"OPENBLAS_THREAD_TIMEOUT": None, MARKER: None, "USER_SETTING": "kept"}
