"""Plotly charts for the reports, built from numbers already in the result dict.

Every chart is emitted with ``fig.to_html(full_html=False, include_plotlyjs=False)``;
the page embeds the plotly.js bundle once (:func:`plotly_bundle`). Figures use an
empty template and rounded numbers so that fifty of them stay small.

>>> chart = figure_html(bar_figure(["a", "b"], [0.4, 0.6], title="Shares"), "c1")
>>> chart.count("Plotly.newPlot"), '"c1"' in chart
(1, True)
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from modelsteward.errors import MissingExtraError

__all__ = [
    "CURRENT_COLOR",
    "REFERENCE_COLOR",
    "bar_figure",
    "categories_figure",
    "figure_html",
    "histogram_figure",
    "interval_figure",
    "plotly_bundle",
]

REFERENCE_COLOR = "#4c78a8"
CURRENT_COLOR = "#f58518"
MAX_CATEGORIES = 30
_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


def _go() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise MissingExtraError("plotly", "report", "HTML reports") from exc
    return go


@lru_cache(maxsize=1)
def plotly_bundle() -> str:
    """The plotly.js source, to embed once in a ``<script>`` element.

    >>> "Plotly" in plotly_bundle()[:2000]
    True
    """
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise MissingExtraError("plotly", "report", "HTML reports") from exc
    bundle: str = get_plotlyjs()
    return bundle


def _r(value: Any) -> float | None:
    """Round to 5 significant digits (keeps the embedded JSON small); non-finite → None."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    if not math.isfinite(x):
        return None
    return float(f"{x:.5g}")


def _text(value: object) -> str:
    """Plotly reads ``<b>``, ``<a>``, ``<br>`` in labels as markup: show user text literally."""
    return html.escape(str(value), quote=False)


def _layout(go: Any, fig: Any, *, title: str | None, height: int, **extra: Any) -> None:
    fig.update_layout(
        template=go.layout.Template(),
        title={"text": _text(title), "x": 0, "font": {"size": 14}} if title else None,
        height=height,
        margin={"l": 56, "r": 16, "t": 64 if title else 36, "b": 48},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif",
              "size": 12, "color": "#1f2933"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        hoverlabel={"bgcolor": "#ffffff"},
        **extra,
    )
    axis = {"gridcolor": "#e4e7eb", "linecolor": "#9aa5b1", "zeroline": False, "automargin": True}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)


def figure_html(fig: Any, div_id: str) -> str:
    """A figure as an HTML fragment without the plotly.js bundle, with a stable div id.

    >>> figure_html(bar_figure(["x"], [1.0]), "fig-1").count("<script")
    1
    """
    height = fig.layout.height or 320
    html: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config=_CONFIG,
        default_width="100%",
        default_height=f"{int(height)}px",
    )
    return f'<div class="chart">{html}</div>'


def histogram_figure(
    edges: Sequence[float],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    title: str | None = None,
    height: int = 300,
) -> Any:
    """Reference and current shares per bin as overlaid bars on the true bin widths.

    >>> fig = histogram_figure([0, 1, 3], [0.5, 0.5], [0.2, 0.8])
    >>> [t.name for t in fig.data], list(fig.data[0].width)
    (['reference', 'current'], [1.0, 2.0])
    """
    go = _go()
    lo, hi = [_r(e) for e in edges[:-1]], [_r(e) for e in edges[1:]]
    centers, widths, ranges = [], [], []
    for a, b in zip(lo, hi, strict=True):
        ok = a is not None and b is not None
        centers.append(_r((a + b) / 2) if ok else None)  # type: ignore[operator]
        widths.append(_r(b - a) if ok else None)  # type: ignore[operator]
        ranges.append([a, b])
    fig = go.Figure()
    for name, shares, color in (
        ("reference", reference, REFERENCE_COLOR),
        ("current", current, CURRENT_COLOR),
    ):
        fig.add_trace(go.Bar(
            x=centers, y=[_r(s) for s in shares], width=widths, name=name,
            marker={"color": color, "line": {"width": 0}}, opacity=0.55,
            customdata=ranges,
            hovertemplate="[%{customdata[0]}, %{customdata[1]}]: %{y:.1%}<extra>"
            + name + "</extra>",
        ))
    _layout(go, fig, title=title, height=height, barmode="overlay", bargap=0)
    fig.update_yaxes(tickformat=".0%", title_text="share of rows")
    return fig


def categories_figure(
    categories: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    title: str | None = None,
    height: int = 300,
    limit: int = MAX_CATEGORIES,
) -> Any:
    """Grouped bars of category shares; beyond ``limit`` categories the rest are pooled.

    The categories kept are the first ``limit`` in the order given (the report
    producer lists them most frequent first); the pooled bar sums the remaining shares.

    >>> fig = categories_figure(["a", "b", "c"], [0.5, 0.3, 0.2], [0.4, 0.4, 0.2], limit=2)
    >>> list(fig.data[0].x)
    ['a', 'b', '1 other']
    """
    go = _go()
    names = [_text(c) for c in categories]
    ref = [_r(s) or 0.0 for s in reference]
    cur = [_r(s) or 0.0 for s in current]
    if len(names) > limit:
        rest = len(names) - limit
        names = [*names[:limit], f"{rest} other" if rest == 1 else f"{rest} others"]
        ref = [*ref[:limit], _r(sum(ref[limit:])) or 0.0]
        cur = [*cur[:limit], _r(sum(cur[limit:])) or 0.0]
    fig = go.Figure()
    sides = (("reference", ref, REFERENCE_COLOR), ("current", cur, CURRENT_COLOR))
    for name, shares, color in sides:
        fig.add_trace(go.Bar(
            x=names, y=shares, name=name, marker={"color": color},
            hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>",
        ))
    _layout(go, fig, title=title, height=height, barmode="group", bargap=0.25)
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=".0%", title_text="share of rows")
    return fig


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str | None = None,
    horizontal: bool = False,
    value_title: str | None = None,
    height: int | None = None,
) -> Any:
    """A single-series bar chart (e.g. domain-classifier feature importances).

    >>> bar_figure(["f1", "f2"], [0.7, 0.3], horizontal=True).data[0].orientation
    'h'
    """
    go = _go()
    vals = [_r(v) for v in values]
    labels = [_text(x) for x in labels]
    if horizontal:
        trace = go.Bar(x=vals, y=labels, orientation="h", marker={"color": REFERENCE_COLOR},
                       hovertemplate="%{y}: %{x:.4g}<extra></extra>")
    else:
        trace = go.Bar(x=labels, y=vals, marker={"color": REFERENCE_COLOR},
                       hovertemplate="%{x}: %{y:.4g}<extra></extra>")
    fig = go.Figure(trace)
    h = height or (max(160, 60 + 26 * len(labels)) if horizontal else 300)
    _layout(go, fig, title=title, height=h, showlegend=False)
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        if value_title:
            fig.update_xaxes(title_text=value_title)
    elif value_title:
        fig.update_yaxes(title_text=value_title)
    return fig


def _padded_range(
    points: Sequence[Mapping[str, Any]], band: tuple[float, float] | None, line: float | None
) -> tuple[float, float] | None:
    """An axis range showing every point, bar end, band edge and line, with 8% margins."""
    values = [_r(p.get(k)) for p in points for k in ("value", "low", "high")]
    values += [_r(v) for v in (*(band or ()), line)]
    finite = [v for v in values if v is not None]
    if not finite:
        return None
    lo, hi = min(finite), max(finite)
    pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
    return lo - pad, hi + pad


def interval_figure(
    points: Sequence[Mapping[str, Any]],
    *,
    band: tuple[float, float] | None = None,
    band_label: str = "",
    line: float | None = None,
    line_label: str = "",
    title: str | None = None,
    value_title: str | None = None,
    value_range: tuple[float, float] | None = None,
    height: int = 180,
) -> Any:
    """Points (with optional ``low``/``high`` error bars) on one axis, against a band or line.

    Each point is ``{"label": str, "value": float, "low": float|None, "high": float|None,
    "color": str}``; used for the AUC with its interval against the threshold, and for
    PCA reconstruction errors against their expected band.

    >>> fig = interval_figure([{"label": "AUC", "value": 0.8, "low": 0.75, "high": 0.85}],
    ...                       line=0.55, line_label="threshold")
    >>> list(fig.data[0].error_x.array), list(fig.data[0].error_x.arrayminus)
    ([0.05], [0.05])
    """
    go = _go()
    fig = go.Figure()
    for p in points:
        value = _r(p.get("value"))
        low, high = _r(p.get("low")), _r(p.get("high"))
        error = None
        if value is not None and low is not None and high is not None:
            error = {"type": "data", "symmetric": False, "array": [_r(high - value)],
                     "arrayminus": [_r(value - low)], "color": "#3e4c59", "thickness": 2,
                     "width": 8}
        label = _text(p.get("label", ""))
        fig.add_trace(go.Scatter(
            x=[value], y=[label], mode="markers", name=label,
            marker={"size": 12, "color": p.get("color", REFERENCE_COLOR),
                    "line": {"width": 1, "color": "#ffffff"}},
            error_x=error, hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        ))
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    if band is not None and None not in (_r(band[0]), _r(band[1])):
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": _r(band[0]),
                       "x1": _r(band[1]), "y0": 0, "y1": 1, "fillcolor": "#1e7b4f",
                       "opacity": 0.12, "line": {"width": 0}, "layer": "below"})
        annotations.append({"x": _r(band[1]), "y": 1, "xref": "x", "yref": "paper",
                            "text": band_label, "showarrow": False, "xanchor": "right",
                            "yanchor": "bottom", "font": {"size": 11, "color": "#1e7b4f"}})
    if line is not None and _r(line) is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": _r(line),
                       "x1": _r(line), "y0": 0, "y1": 1,
                       "line": {"color": "#b42318", "width": 2, "dash": "dash"}})
        annotations.append({"x": _r(line), "y": 1, "xref": "x", "yref": "paper",
                            "text": line_label, "showarrow": False, "xanchor": "left",
                            "yanchor": "bottom", "font": {"size": 11, "color": "#b42318"}})
    _layout(go, fig, title=title, height=height, showlegend=False, shapes=shapes,
            annotations=annotations)
    fig.update_yaxes(type="category", autorange="reversed")
    if value_title:
        fig.update_xaxes(title_text=value_title)
    if value_range is None:
        value_range = _padded_range(points, band, line)
    if value_range is not None:
        fig.update_xaxes(range=[_r(value_range[0]), _r(value_range[1])])
    return fig
