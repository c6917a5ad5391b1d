"""The performance report page."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from modelsteward.errors import InputError, MissingExtraError
from modelsteward.report import render_performance_html
from modelsteward.report._charts import plotly_bundle
from tests.report._html import hide_plotly, parse


def _metric(name: str, value: float | None, *, ref: float | None = None,
            degraded: bool | None = None, status: str = "ok",
            reason: str | None = None) -> dict[str, Any]:
    change = None
    if degraded is not None and value is not None and ref is not None:
        change = {"difference": value - ref, "lower": value - ref - 0.02,
                  "upper": value - ref + 0.02, "p_value": 1e-6 if degraded else 0.4,
                  "test": "two-proportion z", "degraded": degraded}
    return {"name": name, "value": value,
            "lower": None if value is None else value - 0.03,
            "upper": None if value is None else value + 0.03,
            "interval": "wilson", "status": status, "reason": reason,
            "reference": ref, "change": change}


def _slice(kind: str, key: str, metrics: dict[str, Any], *, start: str | None = None,
           end: str | None = None, n: int = 500, labelled: int = 500) -> dict[str, Any]:
    return {"kind": kind, "key": key, "start": start, "end": end, "n": n,
            "n_labelled": labelled, "coverage": labelled / n, "status": "ok",
            "metrics": metrics}


SEGMENT = "<i>mobile&app"
RESULT: dict[str, Any] = {
    "task": "binary",
    "classes": [0, 1],
    "metrics": ["accuracy", "roc_auc", "ece"],
    "confidence": 0.95,
    "degraded": True,
    "labels": {"predictions": 1500, "labels_received": 1300, "matched": 1300,
               "coverage": 0.8667, "unknown_ids": 2, "unknown_id_examples": ["x9", "x10"],
               "superseded": 0},
    "overall": _slice("overall", "all", {
        "accuracy": _metric("accuracy", 0.62, ref=0.71, degraded=True),
        "roc_auc": _metric("roc_auc", 0.70, ref=0.83, degraded=True),
        "ece": {**_metric("ece", 0.11, ref=0.12, degraded=False),
                "details": {"edges": [0, 0.5, 1], "bins": [0, 1],
                            "mean_predicted": [0.25, 0.75], "observed": [0.3, 0.7],
                            "counts": [700, 600]}},
    }, n=1500, labelled=1300),
    "reference": _slice("reference", "reference", {
        "accuracy": _metric("accuracy", 0.71), "roc_auc": _metric("roc_auc", 0.83),
        "ece": _metric("ece", 0.12)}),
    "windows": [
        _slice("window", "2026-11-01T00:00:00+00:00", {
            "accuracy": _metric("accuracy", 0.72, ref=0.71, degraded=False),
            "roc_auc": _metric("roc_auc", 0.84, ref=0.83, degraded=False),
            "ece": _metric("ece", 0.12, ref=0.12, degraded=False)},
            start="2026-11-01T00:00:00+00:00", end="2026-11-02T00:00:00+00:00"),
        _slice("window", "2026-11-02T00:00:00+00:00", {
            "accuracy": _metric("accuracy", 0.52, ref=0.71, degraded=True),
            "roc_auc": _metric("roc_auc", None, ref=0.83, status="undefined",
                               reason="only one class among the labels"),
            "ece": _metric("ece", 0.10, ref=0.12, degraded=False)},
            start="2026-11-02T00:00:00+00:00", end="2026-11-03T00:00:00+00:00"),
        _slice("window", "2026-11-03T00:00:00+00:00", {
            "accuracy": _metric("accuracy", None, status="insufficient data"),
            "roc_auc": _metric("roc_auc", None, status="insufficient data"),
            "ece": _metric("ece", None, status="insufficient data")},
            start="2026-11-03T00:00:00+00:00", end="2026-11-04T00:00:00+00:00",
            labelled=0),
    ],
    "segments": [
        _slice("segment", SEGMENT, {
            "accuracy": _metric("accuracy", 0.60, ref=0.70, degraded=True),
            "roc_auc": _metric("roc_auc", 0.69, ref=0.82, degraded=True),
            "ece": _metric("ece", 0.11, ref=0.11, degraded=False)}),
    ],
}


@pytest.fixture(scope="module")
def page() -> str:
    return render_performance_html(RESULT)


def test_page_is_self_contained_and_balanced(page: str) -> None:
    checker = parse(page)
    assert checker.errors == [] and checker.stack == []
    assert all(url.startswith("#") for url in checker.urls)
    assert page.count(plotly_bundle()[:300]) == 1


def test_verdicts_intervals_and_tests_are_visible(page: str) -> None:
    text = " ".join(parse(page).text)
    assert "Degraded" in text and "Not degraded" in text
    assert "2 of 3 metrics worse than reference" in text
    assert "0.59 – 0.65" in text and "wilson" in text  # interval and its method
    assert "two-proportion z" in text and "1.00e-06" in text
    assert "95.0%" in text and "86.7%" in text  # confidence and label coverage
    assert "insufficient data" in text and "undefined" in text


def test_charts_windows_segments_and_labels(page: str) -> None:
    # one chart per metric over the windows, plus the reliability diagram
    assert page.count("Plotly.newPlot(") == 4
    text = " ".join(parse(page).text)
    assert "2026-11-02" in text and "T00:00:00" not in text
    assert "<i>mobile&app" in text and "<i>mobile" not in page.split("</head>", 1)[1]
    assert "unknown ids" in text and "x9, x10" in text
    assert re.search(r'<td class="bad num"[^>]*>0\.52</td>', page)


def test_without_windows_segments_or_reference() -> None:
    result = copy.deepcopy(RESULT)
    result.update(windows=[], segments=[], reference=None, labels={})
    for metric in result["overall"]["metrics"].values():
        metric.update(change=None, reference=None)
    del result["overall"]["metrics"]["ece"]["details"]
    page = render_performance_html(result)
    assert "No reference" in page and 'id="windows"' not in page
    assert 'id="calibration"' not in page and 'id="labels"' not in page
    assert parse(page).errors == []


def test_bad_input_and_missing_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="lacks 'overall'"):
        render_performance_html({"task": "binary"})
    hide_plotly(monkeypatch)
    try:
        with pytest.raises(MissingExtraError, match="report"):
            render_performance_html(RESULT)
    finally:
        plotly_bundle.cache_clear()


def test_renders_a_real_evaluate_result() -> None:
    pa = pytest.importorskip("pyarrow")
    from modelsteward.performance import evaluate

    preds = pa.table({"id": [1, 2, 3, 4, 5, 6], "prediction": [1, 0, 1, 1, 0, 0],
                      "score": [0.9, 0.2, 0.7, 0.6, 0.4, 0.1],
                      "label": [1, 0, 0, 1, None, 0]})
    result = evaluate(preds, task="binary", score="score", window=3,
                      metrics=["accuracy", "roc_auc"])
    page = render_performance_html(result.to_dict())
    assert parse(page).errors == [] and "rows 0-2" in page
