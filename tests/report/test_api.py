"""The public surface of modelsteward.report."""

from __future__ import annotations

from pathlib import Path

import pytest

import modelsteward.report as report
from modelsteward.errors import InputError


def test_public_api() -> None:
    assert sorted(report.__all__) == [
        "Cell", "Html", "Section", "SummaryCard", "badge", "bar_figure", "categories_figure",
        "figure_html", "histogram_figure", "interval_figure", "render_drift_html",
        "render_drift_summary_html", "render_fragment", "render_page",
        "render_performance_html", "save_html", "table_html",
    ]
    for name in report.__all__:
        assert getattr(report, name).__doc__, name


def test_save_html_errors_name_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match=str(blocker / "r.html")):
        report.save_html("<p>", blocker / "r.html")
    out = report.save_html("é", tmp_path / "a" / "b" / "r.html")
    assert out.read_bytes() == "é".encode()
