"""Self-contained HTML reports that open offline.

Reports render plain result dicts (``DriftReport.to_dict()``,
``PerformanceReport.to_dict()``);
they compute nothing. A page embeds the plotly.js bundle once, inline; charts and
styles need no network. Plotly is the optional ``report`` extra
(``pip install 'modelsteward[report]'``); without it :func:`render_drift_html` raises
:class:`~modelsteward.errors.MissingExtraError`, while the Jupyter fragment
:func:`render_drift_summary_html` still works.

A new report is a small function over the shared shell:

>>> from modelsteward.report import Section, SummaryCard, render_page, table_html
>>> page = render_page("Latency", [SummaryCard("p95", "120 ms")],
...                    [Section("Windows", table_html(["window", "p95"], [["w1", 120]]))],
...                    plotly=False)
>>> "<h2>Windows</h2>" in page and "http" not in page.split("<body>")[1].split("</footer>")[0]
True
"""

from __future__ import annotations

from modelsteward.report._charts import (
    bar_figure,
    categories_figure,
    figure_html,
    histogram_figure,
    interval_figure,
)
from modelsteward.report._drift import render_drift_html, render_drift_summary_html
from modelsteward.report._io import save_html
from modelsteward.report._page import (
    Cell,
    Html,
    Section,
    SummaryCard,
    badge,
    render_fragment,
    render_page,
    table_html,
)
from modelsteward.report._performance import render_performance_html

__all__ = [
    "Cell",
    "Html",
    "Section",
    "SummaryCard",
    "badge",
    "bar_figure",
    "categories_figure",
    "figure_html",
    "histogram_figure",
    "interval_figure",
    "render_drift_html",
    "render_drift_summary_html",
    "render_fragment",
    "render_page",
    "render_performance_html",
    "save_html",
    "table_html",
]
