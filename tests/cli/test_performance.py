"""``steward performance`` and ``steward estimate`` through ``main`` + capsys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelsteward.cli import main


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    n = 1200

    def table(shift: float, seed: int, start: str) -> pa.Table:
        r = np.random.default_rng(seed)
        x = r.normal(shift, 1, n)
        p = _sigmoid(2 * x - 0.5)
        y = (r.uniform(size=n) < _sigmoid(2 * x - 0.5 - 1.5 * shift)).astype(int)
        return pa.table(
            {
                "id": [f"p{seed}-{i}" for i in range(n)],
                "x": x,
                "label": y,
                "prediction": (p >= 0.5).astype(int),
                "score": p,
                "ts": pa.array(
                    np.datetime64(start) + (np.arange(n) * 120).astype("timedelta64[s]")
                ),
                "region": r.choice(["eu", "us"], n),
            }
        )

    ref, cur = table(0.0, 1, "2026-01-01"), table(1.0, 2, "2026-02-01")
    paths = {
        "ref": tmp_path / "ref.parquet",
        "cur": tmp_path / "cur.parquet",
        "preds": tmp_path / "preds.csv",
        "labels": tmp_path / "labels.csv",
    }
    pq.write_table(ref, paths["ref"])
    pq.write_table(cur, paths["cur"])
    pacsv.write_csv(cur.drop_columns(["label"]), paths["preds"])
    keep = rng.permutation(n)[: int(0.7 * n)]
    lab = pa.table(
        {"id": cur["id"].take(pa.array(keep)), "label": cur["label"].take(pa.array(keep))}
    )
    lab = pa.concat_tables([lab, pa.table({"id": ["ghost"], "label": [1]})])
    pacsv.write_csv(lab, paths["labels"])
    return paths


def test_performance_json_with_windows_segments_and_reference(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "performance",
            str(files["preds"]),
            "--labels",
            str(files["labels"]),
            "--score",
            "score",
            "--time-column",
            "ts",
            "--window",
            "1d",
            "--segment",
            "region",
            "--reference",
            str(files["ref"]),
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["task"] == "binary"
    assert data["labels"]["unknown_ids"] == 1 and data["labels"]["coverage"] == pytest.approx(0.7)
    assert len(data["windows"]) == 2 and [s["key"] for s in data["segments"]] == ["eu", "us"]
    auc = data["overall"]["metrics"]["roc_auc"]
    assert auc["interval"] == "delong" and auc["change"]["test"].startswith("DeLong")
    assert data["overall"]["metrics"]["accuracy"]["change"]["degraded"] is True
    assert data["degraded"] is True


def test_performance_text_shows_intervals_and_fail_flag(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "performance",
            str(files["cur"]),
            "--score",
            "score",
            "--window",
            "500",
            "--reference",
            str(files["ref"]),
            "--fail-on-degradation",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "DEGRADED" in out and "rows 0-499" in out and "roc_auc" in out
    assert "[" in out  # intervals


def test_performance_html(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "perf.html"
    assert (
        main(
            [
                "performance",
                str(files["cur"]),
                "--score",
                "score",
                "--window",
                "600",
                "--format",
                "html",
                "-o",
                str(target),
            ]
        )
        == 0
    )
    page = target.read_text()
    assert "<h2>Windows</h2>" in page and "roc_auc" in page


def test_performance_bad_input_is_one_line_error(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["performance", str(files["cur"]), "--label", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no label column 'nope'" in err
    assert err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    pacsv.write_csv(pa.table({"label": [0, 1], "prediction": [0, 1], "score": [0.2, 7.0]}), bad)
    assert main(["performance", str(bad), "--score", "score"]) == 2
    assert "outside [0, 1]" in capsys.readouterr().err
    assert main(["performance", str(files["cur"]), "--window", "1d"]) == 2
    assert "pass the time column" in capsys.readouterr().err


def test_estimate_binary_json_and_text(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "estimate",
                str(files["ref"]),
                str(files["cur"]),
                "--score",
                "score",
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    est = data["estimates"]
    assert set(est) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert 0 < est["accuracy"]["sampling_error"] < 0.05
    assert main(["estimate", str(files["ref"]), str(files["cur"]), "--score", "score"]) == 0
    out = capsys.readouterr().out
    assert "CBPE estimates" in out and "sampling error" in out


def test_estimate_regression_with_dle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(3)

    def table(n: int, shift: float) -> pa.Table:
        x = rng.normal(shift, 1, n)
        pred = 2 * x
        return pa.table({"x": x, "pred": pred, "y": pred + rng.normal(size=n) * (0.2 + abs(x))})

    pq.write_table(table(1500, 0.0), tmp_path / "r.parquet")
    pq.write_table(table(800, 1.0), tmp_path / "c.parquet")
    assert (
        main(
            [
                "estimate",
                str(tmp_path / "r.parquet"),
                str(tmp_path / "c.parquet"),
                "--label",
                "y",
                "--score",
                "pred",
                "--problem",
                "regression",
                "--threads",
                "1",
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["features"] == ["x"]
    assert data["estimates"]["mae"]["estimate"] > data["estimates"]["mae"]["reference"]


def test_estimate_errors(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", str(files["ref"]), str(files["cur"])]) == 2
    assert "--score is required" in capsys.readouterr().err
    assert main(["estimate", str(files["ref"]), str(files["cur"]), "--score", "x"]) == 2
    assert "outside [0, 1]" in capsys.readouterr().err
