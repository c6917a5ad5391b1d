from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps

import modelsteward
from modelsteward.datadrift import drift
from modelsteward.errors import InputError, ParameterError
from tests.conftest import run_fresh_python

CONTRACT_COLUMN_KEYS = {
    "name",
    "kind",
    "method",
    "score",
    "p_value",
    "threshold",
    "drifted",
    "status",
    "reason",
}


def _tables(n: int = 3000, shift: float = 0.0, seed: int = 0) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    ref = pa.table(
        {
            "x": rng.normal(0, 1, n),
            "y": rng.exponential(2.0, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    cur = pa.table(
        {
            "x": rng.normal(shift, 1, n),
            "y": rng.exponential(2.0, n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    return ref, cur


def test_json_follows_the_contract() -> None:
    ref, cur = _tables(shift=0.5)
    data = json.loads(drift(ref, cur, multivariate=False).to_json())
    assert {
        "reference_rows",
        "current_rows",
        "dataset_drift",
        "drift_share",
        "drift_share_threshold",
        "columns",
    } <= data.keys()
    assert data["reference_rows"] == 3000 and data["current_rows"] == 3000
    for column in data["columns"]:
        assert column.keys() >= CONTRACT_COLUMN_KEYS
        assert column["status"] in ("ok", "skipped")
    assert data["drift_share"] == pytest.approx(1 / 3)
    assert data["dataset_drift"] is False


def test_ks_column_equals_scipy() -> None:
    ref, cur = _tables(n=800, shift=0.2)
    column = drift(ref, cur, multivariate=False).column("x")
    expected = sps.ks_2samp(ref["x"].to_numpy(), cur["x"].to_numpy())
    assert column.method == "ks"
    assert column.score == pytest.approx(expected.statistic, abs=1e-12)
    assert column.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    wasserstein = sps.wasserstein_distance(ref["x"].to_numpy(), cur["x"].to_numpy())
    assert column.effect_size == pytest.approx(wasserstein / np.std(ref["x"].to_numpy(), ddof=1))


def test_chisquare_column_equals_scipy() -> None:
    ref, cur = _tables(n=2000)
    column = drift(ref, cur, multivariate=False).column("c")
    counts = [[np.sum(np.asarray(t["c"]) == k) for k in ("a", "b", "c")] for t in (ref, cur)]
    expected = sps.chi2_contingency(counts, correction=False)
    assert column.method == "chisquare"
    assert column.score == pytest.approx(expected.statistic)
    assert column.p_value == pytest.approx(expected.pvalue)


def test_holm_adjustment_across_columns() -> None:
    ref, cur = _tables(shift=0.1)
    report = drift(ref, cur, multivariate=False)
    tested = [c for c in report.columns if c.p_value is not None]
    raw = np.array([c.p_value for c in tested])
    order = np.argsort(raw)
    holm = np.minimum(1, np.maximum.accumulate(raw[order] * (len(raw) - np.arange(len(raw)))))
    adjusted = np.empty_like(holm)
    adjusted[order] = holm
    assert [c.p_value_adjusted for c in tested] == pytest.approx(adjusted.tolist())


def test_no_false_alarms_on_many_columns_without_drift() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    ref = pa.table({f"n{i}": rng.normal(size=n) for i in range(30)})
    cur = pa.table({f"n{i}": rng.normal(size=n) for i in range(30)})
    report = drift(ref, cur, multivariate=False)
    assert report.drifted_columns == []


def test_subtle_shift_detected_at_large_n_but_tiny_one_is_immaterial() -> None:
    rng = np.random.default_rng(3)
    n = 400_000
    ref = pa.table({"subtle": rng.normal(size=n), "tiny": rng.normal(size=n)})
    cur = pa.table({"subtle": rng.normal(0.05, 1, n), "tiny": rng.normal(0.012, 1, n)})
    report = drift(ref, cur, multivariate=False)
    tiny = report.column("tiny")
    assert report.column("subtle").drifted
    assert tiny.p_value_adjusted is not None and tiny.p_value_adjusted < 0.05
    assert not tiny.drifted, "significant but below the materiality floor"
    assert "wasserstein_sd >= 0.02" in (tiny.rule or "")


def test_forced_method_applies_where_it_can() -> None:
    ref, cur = _tables(shift=0.5)
    report = drift(ref, cur, method="psi", multivariate=False)
    assert [c.method for c in report.columns] == ["psi", "psi", "psi"]
    assert report.column("x").p_value is None
    assert report.column("x").threshold == 0.1
    wasserstein = drift(ref, cur, method="wasserstein", multivariate=False)
    assert wasserstein.column("c").method == "chisquare"  # wasserstein has no categorical form


def test_column_methods_and_thresholds() -> None:
    ref, cur = _tables(shift=0.5)
    report = drift(
        ref,
        cur,
        column_methods={"x": "anderson", "c": "jensenshannon"},
        column_thresholds={"c": 0.5},
        multivariate=False,
    )
    assert report.column("x").method == "anderson"
    assert report.column("c").method == "jensenshannon"
    assert report.column("c").threshold == 0.5
    with pytest.raises(ParameterError, match="does not apply to numeric"):
        drift(ref, cur, column_methods={"x": "chisquare"}, multivariate=False)
    with pytest.raises(ParameterError, match="Unknown drift method 'nope'"):
        drift(ref, cur, method="nope")
    with pytest.raises(ParameterError, match="not compared"):
        drift(ref, cur, column_methods={"zzz": "ks"})


def test_columns_on_one_side_only_are_reported() -> None:
    ref = pa.table({"a": [1.0, 2.0, 3.0], "only_ref": [1, 2, 3]})
    cur = pa.table({"a": [1.0, 2.0, 4.0], "only_cur": ["x", "y", "z"]})
    report = drift(ref, cur, multivariate=False)
    assert report.column("only_ref").status == "skipped"
    assert report.column("only_ref").reason == "only in the reference"
    assert report.column("only_cur").reason == "only in the current"
    quality = {q.name: q for q in report.data_quality}
    assert quality["only_cur"].only_in == "current"


def test_null_constant_and_non_finite_columns() -> None:
    ref = pa.table(
        {
            "empty": pa.array([None] * 4, pa.float64()),
            "const": [1.0] * 4,
            "inf": [1.0, np.inf, 2.0, 3.0],
        }
    )
    cur = pa.table(
        {
            "empty": pa.array([None] * 4, pa.float64()),
            "const": [1.0, 1.0, 1.0, 2.0],
            "inf": [1.0, 2.0, np.nan, -np.inf],
        }
    )
    report = drift(ref, cur, multivariate=False)
    assert report.column("empty").status == "skipped"
    quality = {q.name: q for q in report.data_quality}
    assert quality["const"].constant == "reference"
    assert quality["inf"].non_finite == {"reference": 1, "current": 1}
    assert quality["inf"].current_missing_share == 0.25


def test_data_quality_new_categories_range_and_missing() -> None:
    ref = pa.table({"c": ["a", "b", "a", "b"], "x": [0.0, 1.0, 2.0, 3.0]})
    cur = pa.table({"c": ["a", "z", None, "z"], "x": [-1.0, 1.0, 5.0, 2.0]})
    report = drift(ref, cur, multivariate=False)
    quality = {q.name: q for q in report.data_quality}
    assert quality["c"].new_categories == ["z"]
    assert quality["c"].new_category_share == pytest.approx(2 / 3)
    assert quality["c"].missing_change == pytest.approx(0.25)
    assert quality["x"].out_of_range_share == pytest.approx(0.5)


def test_type_mismatch_is_reported_not_raised() -> None:
    ref = pa.table({"x": [1.0, 2.0, 3.0], "ok": [1, 2, 3]})
    cur = pa.table({"x": ["a", "b", "c"], "ok": [1, 2, 3]})
    report = drift(ref, cur, multivariate=False)
    assert report.column("x").status == "skipped"
    assert "type mismatch" in (report.column("x").reason or "")
    assert any("type mismatch" in w for w in report.warnings)


def test_mixed_type_pandas_column_is_compared_as_text() -> None:
    ref = pd.DataFrame({"m": [1, "a", 2.5] * 10})
    cur = pd.DataFrame({"m": ["a", "b", "a"] * 10})
    report = drift(ref, cur, multivariate=False)
    assert report.column("m").kind == "categorical"
    assert any("mixed types" in w for w in report.warnings)


def test_skipped_kinds_say_why() -> None:
    n = 120
    ref = pa.table(
        {
            "user": [f"u{i}" for i in range(n)],
            "when": pa.array(np.arange(n).astype("datetime64[s]")),
            "x": np.arange(n, dtype=float),
        }
    )
    report = drift(ref, ref, multivariate=False)
    assert "identifier" in (report.column("user").reason or "")
    assert "datetime" in (report.column("when").reason or "")
    as_numeric = drift(ref, ref, schema={"when": "numeric"}, multivariate=False)
    assert as_numeric.column("when").status == "ok"


def test_one_row_current_works_with_a_warning() -> None:
    ref, _ = _tables(n=200)
    cur = ref.slice(0, 1)
    report = drift(ref, cur, multivariate=False)
    assert report.current_rows == 1
    assert any("only 1 rows" in w for w in report.warnings)


def test_empty_table_is_an_input_error() -> None:
    ref, _ = _tables(n=10)
    with pytest.raises(InputError, match="no rows"):
        drift(ref, ref.slice(0, 0))


def test_no_common_columns() -> None:
    with pytest.raises(InputError, match="no column in common"):
        drift(pa.table({"a": [1]}), pa.table({"b": [1]}))


def test_paths_and_frames_give_the_same_report(tmp_path: Path) -> None:
    ref, cur = _tables(n=500, shift=0.3)
    pq.write_table(ref, tmp_path / "r.parquet")
    cur.to_pandas().to_csv(tmp_path / "c.csv", index=False)
    from_arrow = drift(ref, cur, multivariate=False).to_dict()
    from_files = drift(tmp_path / "r.parquet", tmp_path / "c.csv", multivariate=False).to_dict()
    from_frames = drift(ref.to_pandas(), pl.from_arrow(cur), multivariate=False).to_dict()
    for other in (from_files, from_frames):
        assert [c["score"] for c in other["columns"]] == pytest.approx(
            [c["score"] for c in from_arrow["columns"]]
        )


def test_top_level_front_door_and_repr() -> None:
    ref, cur = _tables(n=300, shift=1.0)
    report = modelsteward.drift(ref, cur, multivariate=False)
    assert "1 of 3 columns drifted" in repr(report)


def test_progress_callback_counts_columns() -> None:
    ref, cur = _tables(n=100)
    seen: list[tuple[int, int]] = []
    drift(ref, cur, multivariate=False, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)


def test_html_report_and_notebook_fragment(tmp_path: Path) -> None:
    ref, cur = _tables(n=400, shift=0.5)
    report = drift(ref, cur)
    path = report.save_html(tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    assert "ks" in page and ">x<" in page
    fragment = report._repr_html_()
    assert "x" in fragment and "<script" not in fragment.lower()


def test_save_html_creates_folders_and_reports_unwritable_paths(tmp_path: Path) -> None:
    ref, cur = _tables(n=100)
    report = drift(ref, cur, multivariate=False)
    assert report.save_html(tmp_path / "a" / "b" / "r.html").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write the report"):
        report.save_html(tmp_path / "file" / "r.html")


def test_large_tables_use_scipy_special_only_and_match_scipy(tmp_path: Path) -> None:
    # From 200,000 rows a side the default tests need no scipy.stats (0.7 s to import):
    # run in a fresh interpreter, then check the p-values against scipy.stats here.
    rng = np.random.default_rng(5)
    n = 200_000
    sides = {
        "ref": (rng.normal(size=n), rng.normal(size=n), rng.choice(list("abc"), n)),
        "cur": (rng.normal(size=n), rng.normal(0.012, 1.0, n), rng.choice(list("abc"), n)),
    }
    for side, (x, y, c) in sides.items():
        pq.write_table(pa.table({"x": x, "y": y, "c": c}), tmp_path / f"{side}.parquet")
    code = (
        "import json, sys\n"
        "from modelsteward import drift\n"
        f"r = drift({str(tmp_path / 'ref.parquet')!r}, {str(tmp_path / 'cur.parquet')!r}, "
        "multivariate=False)\n"
        "print(json.dumps([r.to_dict()['columns'], 'scipy.stats' in sys.modules]))\n"
    )
    columns, stats_imported = json.loads(run_fresh_python(code))
    assert not stats_imported
    by_name = {c["name"]: c for c in columns}
    for i, name in enumerate(("x", "y")):
        expected = sps.ks_2samp(sides["ref"][i], sides["cur"][i])
        assert by_name[name]["score"] == pytest.approx(expected.statistic, rel=1e-12)
        assert by_name[name]["p_value"] == pytest.approx(expected.pvalue, rel=1e-10)
    assert by_name["y"]["p_value"] < 0.01 < by_name["x"]["p_value"]
