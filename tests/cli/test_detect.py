"""``steward detect`` through ``main`` + capsys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelsteward.cli import main
from modelsteward.detectors import ADWIN, DDM


def _errors() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.r_[rng.random(3000) < 0.1, rng.random(3000) < 0.5].astype(np.int64)


@pytest.fixture
def table() -> pa.Table:
    err = _errors()
    ts = np.datetime64("2026-03-01T00:00:00") + (np.arange(err.size) * 60).astype("timedelta64[s]")
    return pa.table({"error": err, "ts": pa.array(ts), "text": ["a"] * err.size})


@pytest.fixture
def csv_file(tmp_path: Path, table: pa.Table) -> Path:
    path = tmp_path / "errors.csv"
    pacsv.write_csv(table, path)
    return path


def test_text_output_lists_detections(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(csv_file), "--column", "error", "--detector", "adwin"]) == 0
    out = capsys.readouterr().out
    expected = ADWIN().update_many(_errors()).tolist()
    assert f"{len(expected)} change" in out
    for i in expected:
        assert f"index {i}" in out


def test_json_output_with_times_and_params(
    tmp_path: Path, table: pa.Table, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "errors.parquet"
    pq.write_table(table, path)
    argv = [
        "detect",
        str(path),
        "-c",
        "error",
        "-d",
        "DDM",
        "--param",
        "drift_threshold=2.5",
        "--time-column",
        "ts",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    det = DDM(drift_threshold=2.5)
    drifts, warnings = det.scan(_errors())
    assert doc["detector"] == "DDM" and doc["n"] == 6000
    assert doc["params"] == {"warm_start": 30, "warning_threshold": 2.0, "drift_threshold": 2.5}
    assert [d["index"] for d in doc["detections"]] == drifts.tolist()
    assert [w["index"] for w in doc["warnings"]] == warnings.tolist()
    first = doc["detections"][0]
    expected = np.datetime64("2026-03-01T00:00:00") + np.timedelta64(60 * first["index"], "s")
    assert first["time"] == f"{expected}+00:00"


def test_jsonl_and_string_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v.jsonl"
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(0, 1, 500), rng.normal(-3, 1, 500)]
    path.write_text("".join(json.dumps({"v": float(v)}) + "\n" for v in values))
    argv = [
        "detect",
        str(path),
        "-c",
        "v",
        "-d",
        "page_hinkley",
        "-p",
        "mode=down",
        "-p",
        "threshold=20",
        "-f",
        "json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"]["mode"] == "down" and doc["params"]["threshold"] == 20
    assert doc["detections"] and doc["detections"][0]["time"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-d", "nope"], "unknown detector 'nope'; choose one of ADWIN"),
        (["-d", "ADWIN", "-p", "speed=3"], "ADWIN has no parameter 'speed'"),
        (["-d", "ADWIN", "-p", "delta"], "--param takes NAME=VALUE"),
        (["-d", "ADWIN", "-p", "delta=2"], "'delta' parameter of ADWIN must be a float in (0, 1)"),
        (["-d", "ADWIN", "-c", "missing"], "no column 'missing'"),
        (["-d", "ADWIN", "-c", "text"], "column 'text': value at index 0 is 'a' (str)"),
        (["-d", "ADWIN", "-t", "nope"], "no time column 'nope'"),
    ],
)
def test_bad_usage_is_one_line_exit_2(
    csv_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["detect", str(csv_file), "-c", "error", *args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert message in captured.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("v\n1\n2\nnan\n", "value at index 2 is missing (empty, null or NaN)"),
        ("v\n1\n\n2\n3\n", None),
        ("v\n1\n2\n\n", None),
        ("v,w\n1,1\n,2\n3,3\n", "value at index 1 is missing"),
    ],
)
def test_bad_values_name_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str | None
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(content)
    code = main(["detect", str(path), "-c", "v", "-d", "ADWIN"])
    err = capsys.readouterr().err
    if message is None:  # blank lines are skipped by the CSV reader
        assert code == 0
    else:
        assert code == 2 and message in err and err.startswith("error: ")


def test_nan_in_parquet_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"v": [0.0] * 17 + [float("nan"), 1.0]}), path)
    assert main(["detect", str(path), "-c", "v", "-d", "KSWIN"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"error: {path}, column 'v': value at index 17 is NaN; detectors need finite numbers\n"
    )


def test_binary_detector_rejects_non_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "v.csv"
    path.write_text("v\n0\n1\n0.5\n")
    assert main(["detect", str(path), "-c", "v", "-d", "EDDM"]) == 2
    assert "value at index 2 is 0.5; EDDM takes 0/1 values" in capsys.readouterr().err


def test_text_output_shortens_long_listings(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["detect", str(csv_file), "-c", "error", "-d", "PageHinkley", "-p", "threshold=2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "more (--format json lists all)" in out
    assert out.count("  index ") == 20


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "x.csv"), "-c", "v", "-d", "ADWIN"]) == 2
    assert "no such file" in capsys.readouterr().err
