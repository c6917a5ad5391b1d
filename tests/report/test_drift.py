"""The drift report page and its Jupyter fragment."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from modelsteward.errors import InputError, MissingExtraError
from modelsteward.report import render_drift_html, render_drift_summary_html
from modelsteward.report._charts import plotly_bundle
from tests.report._fixtures import NASTY, NASTY_CATEGORY, REPORT
from tests.report._html import hide_plotly, parse


@pytest.fixture(scope="module")
def page() -> str:
    return render_drift_html(REPORT)


def test_every_column_name_appears_escaped(page: str) -> None:
    for name in ("income", "age", "is_member", "user_id", "legacy_flag"):
        assert name in page
    assert html.escape(NASTY) in page
    body = page.split("</head>", 1)[1]
    assert NASTY not in body  # never raw, in markup or in chart JSON
    assert NASTY_CATEGORY not in body
    text = "".join(parse(page).text)
    assert NASTY in text  # ...but the reader sees it literally


def test_verdicts_thresholds_and_rules_are_visible(page: str) -> None:
    text = " ".join(parse(page).text)
    assert "Dataset drift detected" in text and "Detected" in text
    assert text.count("No drift") >= 2 and text.count("Skipped") >= 2
    assert "50.0%" in text  # drift share and its threshold
    assert "0.05" in text and "0.1" in text  # column thresholds
    assert "significant-and-material" in text and "Benjamini–Hochberg" in text
    assert "drift when the BH-adjusted KS p-value" in text
    assert "identifier-like: nearly every value is distinct" in text
    assert "train.parquet" in text and "last_week.parquet" in text
    assert "10,000" in text and "8,500" in text


def test_exactly_one_plotly_bundle(page: str) -> None:
    bundle = plotly_bundle()
    assert page.count(bundle[:300]) == 1
    assert page.count(bundle[-300:]) == 1
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert sum(len(s) > 1_000_000 for s in scripts) == 1


def test_no_external_resources(page: str) -> None:
    checker = parse(page)
    assert checker.urls, "the table of contents has internal links"
    for url in checker.urls:
        assert url.startswith("#"), url
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//",
                         page, flags=re.I)
    assert "@import" not in page and "fonts.googleapis" not in page


def test_tags_balance(page: str) -> None:
    checker = parse(page)
    assert checker.errors == []
    assert checker.stack == []
    assert checker.tags["html"] == checker.tags["body"] == 1
    assert checker.tags["details"] == 5


def test_drift_table_sorted_drifted_first_then_by_score(page: str) -> None:
    table = page.split('id="columns"', 1)[1].split("</table>", 1)[0]
    order = [html.unescape(m) for m in re.findall(r'class="colname">(.*?)</a>', table)]
    assert order == ["<b>&x", "age", "is_member", "income", "user_id"]


def test_charts_one_per_distribution_and_multivariate(page: str) -> None:
    # 4 distributions, AUC interval, top features, PCA band
    assert page.count("Plotly.newPlot(") == 7
    assert len(set(re.findall(r'id="(ms-chart-\d+)"', page))) == 7


def test_data_quality_and_multivariate_sections(page: str) -> None:
    text = " ".join(parse(page).text)
    assert "2 warnings" in text
    assert "present in the reference only" in text
    assert "+7.0 pp" in text and "15.0%" in text
    assert "0.734" in text and "0.712 – 0.756" in text and "0.55" in text
    assert "0.37 – 0.45" in text and "91.0%" in text
    assert 'class="callout callout-warn"' in page


def test_drifted_columns_are_open_and_others_folded(page: str) -> None:
    opened = re.findall(r'<details id="col-\d+"( open)?>', page)
    assert [bool(o) for o in opened] == [True, True, False, False, False]


def test_minimal_contract_dict_renders(minimal_report: dict[str, Any]) -> None:
    page = render_drift_html(minimal_report, title="Only the contract")
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert "No distribution was recorded" in page
    assert "Data quality" not in page and "Multivariate drift" not in page
    assert "<title>Only the contract</title>" in page


@pytest.mark.parametrize("key", ["decision_rule", "data_quality", "multivariate", "sources"])
def test_each_optional_section_may_be_absent(report: dict[str, Any], key: str) -> None:
    del report[key]
    assert parse(render_drift_html(report)).errors == []


def test_partial_and_odd_optional_content(report: dict[str, Any]) -> None:
    report["multivariate"] = {
        "domain_classifier": {"status": "skipped", "reason": "needs scikit-learn"},
        "pca_reconstruction": {"status": "ok", "components": 2, "drifted": None},
    }
    report["data_quality"] = {"warnings": []}
    report["columns"][0]["distribution"] = {"type": "histogram", "edges": [0, 1],
                                            "reference": [0.5, 0.5], "current": [1.0]}
    report["columns"][1]["distribution"] = {"type": "something-new"}
    report["columns"][1]["score"] = float("nan")
    page = render_drift_html(report)
    assert "needs scikit-learn" in page and "Not decided" in page
    assert "No data-quality warnings" in page
    assert page.count("No distribution was recorded") == 2
    assert parse(page).errors == []


def test_many_columns_stay_usable() -> None:
    columns = [
        {"name": f"c{i}", "kind": "numeric", "method": "ks", "score": i / 100, "p_value": 0.5,
         "threshold": 0.05, "drifted": i % 5 == 0, "status": "ok", "reason": None,
         "distribution": {"type": "histogram", "edges": [float(j) for j in range(31)],
                          "reference": [1 / 30] * 30, "current": [1 / 30] * 30}}
        for i in range(50)
    ]
    report = {"reference_rows": 1, "current_rows": 1, "dataset_drift": False,
              "drift_share": 0.2, "drift_share_threshold": 0.5, "columns": columns}
    page = render_drift_html(report)
    assert page.count("<details") == 50
    assert page.count("<details id=") - page.count("open>") == 50 - 6
    assert len(page) - len(plotly_bundle()) < 400_000


def test_bad_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="lacks 'dataset_drift'"):
        render_drift_html({"reference_rows": 1, "current_rows": 1, "drift_share": 0.0,
                           "drift_share_threshold": 0.5, "columns": []})
    with pytest.raises(InputError, match="must be a mapping"):
        render_drift_html([])  # type: ignore[arg-type]


def test_missing_plotly_raises_missing_extra(
    monkeypatch: pytest.MonkeyPatch, report: dict[str, Any]
) -> None:
    hide_plotly(monkeypatch)
    try:
        with pytest.raises(MissingExtraError, match=r"pip install 'modelsteward\[report\]'"):
            render_drift_html(report)
        # The Jupyter fragment needs no plotly.
        assert "income" in render_drift_summary_html(report)
    finally:
        plotly_bundle.cache_clear()


def test_summary_fragment(report: dict[str, Any]) -> None:
    fragment = render_drift_summary_html(report)
    checker = parse(fragment)
    assert checker.errors == [] and checker.stack == []
    assert fragment.startswith('<div class="ms-report">')
    assert "<script" not in fragment and "Plotly" not in fragment
    assert html.escape(NASTY) in fragment and NASTY not in fragment
    assert "Detected" in fragment and "Benjamini–Hochberg" in fragment
    assert len(fragment) < 30_000


def test_renders_a_real_drift_report() -> None:
    np = pytest.importorskip("numpy")
    pa = pytest.importorskip("pyarrow")
    from modelsteward.datadrift import drift

    rng = np.random.default_rng(0)
    ref = pa.table({"age": rng.normal(40, 10, 400), "city": rng.choice(["a", "b"], 400)})
    cur = pa.table({"age": rng.normal(46, 10, 300), "city": rng.choice(["a", "<b>"], 300)})
    report = drift(ref, cur, multivariate=False).to_dict()
    page = render_drift_html(report)
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert page.count("<details id=") == 2 and "&lt;b&gt;" in page
    assert parse(render_drift_summary_html(report)).errors == []
