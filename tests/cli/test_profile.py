from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.cli import main
from modelsteward.profiles import TableProfile


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(2)
    paths = []
    for i in range(3):
        table = pa.table({"x": rng.normal(size=1000), "c": rng.choice(["a", "b"], 1000)})
        path = tmp_path / f"part{i}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


def test_profile_then_merge_then_drift(
    parts: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = []
    for part in parts:
        out = tmp_path / f"{part.stem}.json"
        assert main(["profile", str(part), "-o", str(out), "-q"]) == 0
        outs.append(out)
    merged = tmp_path / "merged.json"
    assert main(["profile", "merge", *map(str, outs), "-o", str(merged)]) == 0
    assert TableProfile.load(merged).rows == 3000
    capsys.readouterr()
    code = main(["drift", str(merged), str(parts[0]), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reference_rows"] == 3000 and data["current_rows"] == 1000
    assert not data["dataset_drift"]


def test_profile_against_a_reference(parts: list[Path], tmp_path: Path) -> None:
    ref = tmp_path / "ref.json"
    cur = tmp_path / "cur.json"
    assert main(["profile", str(parts[0]), "-o", str(ref), "-q"]) == 0
    assert main(["profile", str(parts[1]), "-o", str(cur), "--reference", str(ref), "-q"]) == 0
    ref_edges = TableProfile.load(ref)["x"].histogram.edges
    cur_edges = TableProfile.load(cur)["x"].histogram.edges
    assert np.array_equal(ref_edges, cur_edges)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "merge", "-o", "{d}/o.json"], "at least one profile"),
        (["profile", "{d}/a.parquet", "{d}/b.parquet", "-o", "{d}/o.json"], "one DATA file"),
        (["profile", "merge", "{d}/bad.json", "-o", "{d}/o.json"], "not a modelsteward profile"),
        (["drift", "{d}/bad.json", "{d}/bad.json"], "not a modelsteward profile"),
    ],
)
def test_profile_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    assert main([a.format(d=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
