from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.cli import main


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    n = 2000
    labels = np.array(["a", "b"] * (n // 2))
    ref = pa.table({"x": rng.normal(size=n), "z": rng.normal(size=n), "c": labels})
    cur = pa.table({"x": rng.normal(1.0, 1, n), "z": rng.normal(0.8, 1, n), "c": labels[::-1]})
    pq.write_table(ref, tmp_path / "ref.parquet")
    pq.write_table(cur, tmp_path / "cur.parquet")
    pq.write_table(ref, tmp_path / "same.parquet")
    return tmp_path / "ref.parquet", tmp_path / "cur.parquet", tmp_path / "same.parquet"


def test_json_alone_on_stdout(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur, _ = files
    assert main(["drift", str(ref), str(cur), "--format", "json", "--no-multivariate"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dataset_drift"] is True
    assert {c["name"] for c in data["columns"] if c["drifted"]} == {"x", "z"}


def test_fail_on_drift_exit_codes(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur, same = files
    assert main(["drift", str(ref), str(cur), "--fail-on-drift", "-q", "--no-multivariate"]) == 1
    assert main(["drift", str(ref), str(same), "--fail-on-drift", "-q", "--no-multivariate"]) == 0
    assert "no dataset drift" in capsys.readouterr().out


def test_text_table_and_method_options(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur, _ = files
    code = main(
        [
            "drift",
            str(ref),
            str(cur),
            "--method",
            "psi",
            "--column-method",
            "c=tvd",
            "--no-multivariate",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "psi" in out and "tvd" in out and "DRIFT" in out


def test_json_to_file(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref, cur, _ = files
    target = tmp_path / "out.json"
    assert (
        main(["drift", str(ref), str(cur), "-f", "json", "-o", str(target), "--no-multivariate"])
        == 0
    )
    assert json.loads(target.read_text())["current_rows"] == 2000
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["drift", "{d}/missing.csv", "{cur}"], "no such file"),
        (["drift", "{ref}", "{cur}", "--method", "nope"], "Unknown drift method 'nope'"),
        (
            ["drift", "{ref}", "{cur}", "--column-method", "broken"],
            "--column-method takes KEY=VALUE",
        ),
        (["drift", "{d}/empty.csv", "{cur}"], "the file is empty"),
        (["drift", "{d}/header.csv", "{cur}"], "has no rows"),
        (["drift", "{d}/data.txt", "{cur}"], "cannot tell the format"),
        (["drift", "{d}/trunc.parquet", "{cur}"], "Parquet"),
        (["drift", "{d}/latin1.csv", "{cur}"], "not UTF-8"),
        (["drift", "{ref}", "{cur}", "--schema", "x=nominal"], "kind 'nominal'"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    files: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    ref, cur, _ = files
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("x,c\n")
    (tmp_path / "data.txt").write_text("x\n1\n")
    (tmp_path / "trunc.parquet").write_bytes(ref.read_bytes()[:100])
    (tmp_path / "latin1.csv").write_bytes("x,c\n1,caf\xe9\n".encode("latin-1"))
    argv = [a.format(d=tmp_path, ref=ref, cur=cur) for a in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_no_domain_classifier_keeps_the_pca_view(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ref, cur, _ = files
    args = ["drift", str(ref), str(cur), "--no-domain-classifier"]
    assert main([*args, "--format", "json"]) == 0
    views = json.loads(capsys.readouterr().out)["multivariate"]
    assert views["domain_classifier"]["status"] == "skipped"
    assert "turned off" in views["domain_classifier"]["reason"]
    assert views["pca_reconstruction"]["status"] == "ok"
    assert views["pca_reconstruction"]["drifted"] is True
    html = tmp_path / "report.html"
    assert main([*args, "--format", "html", "-o", str(html)]) == 0
    assert "turned off (domain_classifier=False)" in html.read_text(encoding="utf-8")
