"""Charts of the performance report: a metric over windows, and a reliability diagram.

>>> fig = series_figure(["w1", "w2"], [0.8, None], [0.7, None], [0.9, None],
...                     reference=0.85, flagged=[False, False], title="accuracy")
>>> [t.name for t in fig.data]
['interval', 'value', 'reference']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelsteward.report._charts import (
    CURRENT_COLOR,
    REFERENCE_COLOR,
    _go,
    _layout,
    _r,
)

__all__ = ["reliability_figure", "series_figure"]

BAD_COLOR = "#d92d20"
LINE_COLOR = "#3e4c59"


def series_figure(
    x: Sequence[str],
    values: Sequence[Any],
    lower: Sequence[Any],
    upper: Sequence[Any],
    *,
    reference: Any = None,
    flagged: Sequence[bool] = (),
    title: str | None = None,
    height: int = 260,
) -> Any:
    """A metric per window: its value, its interval as a band, the reference as a line.

    Windows in ``flagged`` (significantly worse than the reference) get red markers;
    missing values leave gaps rather than being drawn as zero.

    >>> fig = series_figure(["a", "b"], [0.5, 0.4], [0.4, 0.3], [0.6, 0.5],
    ...                     flagged=[False, True])
    >>> list(fig.data[1].marker.color)
    ['#3e4c59', '#d92d20']
    """
    go = _go()
    xs = [str(v) for v in x]
    ys = [_r(v) for v in values]
    lo, hi = [_r(v) for v in lower], [_r(v) for v in upper]
    colors = [BAD_COLOR if i < len(flagged) and flagged[i] else LINE_COLOR
              for i in range(len(xs))]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[*xs, *reversed(xs)], y=[*hi, *reversed(lo)], fill="toself", name="interval",
        mode="lines", fillcolor="rgba(62,76,89,0.14)", line={"width": 0}, hoverinfo="skip",
        showlegend=True,
    ))
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="lines+markers", name="value", connectgaps=False,
        line={"color": LINE_COLOR, "width": 2},
        marker={"color": colors, "size": [10 if c == BAD_COLOR else 6 for c in colors],
                "line": {"width": 1, "color": "#ffffff"}},
        customdata=[[a, b] for a, b in zip(lo, hi, strict=True)],
        hovertemplate="%{x}: %{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}]"
        "<extra></extra>",
    ))
    shapes: list[dict[str, Any]] = []
    ref = _r(reference)
    if ref is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                       "y0": ref, "y1": ref,
                       "line": {"color": REFERENCE_COLOR, "width": 2, "dash": "dash"}})
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="reference",
                                 line={"color": REFERENCE_COLOR, "width": 2, "dash": "dash"}))
    _layout(go, fig, title=title, height=height, shapes=shapes)
    return fig


def reliability_figure(
    mean_predicted: Sequence[Any],
    observed: Sequence[Any],
    counts: Sequence[Any] = (),
    *,
    title: str | None = None,
    height: int = 320,
) -> Any:
    """Observed frequency against mean predicted probability per bin, with the diagonal.

    >>> reliability_figure([0.1, 0.9], [0.2, 0.8]).data[1].name
    'model'
    """
    go = _go()
    n = [c if isinstance(c, int | float) else None for c in counts]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line={"color": "#9aa5b1", "dash": "dot"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=[_r(v) for v in mean_predicted], y=[_r(v) for v in observed], mode="lines+markers",
        name="model", line={"color": CURRENT_COLOR, "width": 2},
        customdata=n if len(n) == len(observed) else None,
        hovertemplate="predicted %{x:.3f}, observed %{y:.3f}"
        + (" (n=%{customdata})" if len(n) == len(observed) else "") + "<extra></extra>",
    ))
    _layout(go, fig, title=title, height=height)
    fig.update_xaxes(range=[0, 1], title_text="mean predicted probability")
    fig.update_yaxes(range=[0, 1], title_text="observed frequency")
    return fig
