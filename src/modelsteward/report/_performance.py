"""The model-performance report: a ``PerformanceReport.to_dict()`` dict rendered as HTML.

Rendering only: values, intervals, change tests and the ``degraded`` verdicts all come
from :func:`modelsteward.performance.evaluate`; this module lays them out.

>>> result = {"task": "binary", "metrics": ["accuracy"], "confidence": 0.95,
...           "degraded": False, "labels": {"predictions": 4, "matched": 4, "coverage": 1.0},
...           "overall": {"kind": "overall", "key": "all", "n": 4, "n_labelled": 4,
...                       "coverage": 1.0, "status": "ok",
...                       "metrics": {"accuracy": {"name": "accuracy", "value": 0.75,
...                                   "lower": 0.3, "upper": 0.95, "interval": "wilson",
...                                   "status": "ok", "reason": None, "reference": None,
...                                   "change": None}}},
...           "reference": None, "windows": [], "segments": []}
>>> page = render_performance_html(result)
>>> "0.3 – 0.95" in page and "wilson" in page
True
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from modelsteward.errors import InputError
from modelsteward.report._page import (
    Cell,
    Html,
    Section,
    SummaryCard,
    Tone,
    badge,
    esc,
    fmt_number,
    fmt_share,
    render_page,
    table_html,
)

__all__ = ["render_performance_html"]

MAX_OPEN_WINDOW_ROWS = 20


def render_performance_html(
    result: Mapping[str, Any], *, title: str = "Model performance report"
) -> str:
    """Render ``PerformanceReport.to_dict()`` as one self-contained page.

    The page shows whether any metric degraded against the reference, label coverage,
    every overall metric with its interval and change test, one chart per metric over
    the windows (interval band, reference line, degraded windows in red), the windows
    and segments as tables, and a reliability diagram when the ECE details are present.
    Needs the ``report`` extra (plotly).

    >>> window = {"kind": "window", "key": "rows 0-1", "start": None, "end": None, "n": 2,
    ...           "n_labelled": 2, "coverage": 1.0, "status": "ok",
    ...           "metrics": {"mae": {"name": "mae", "value": 0.2, "lower": 0.1,
    ...                       "upper": 0.3, "interval": "bootstrap", "status": "ok",
    ...                       "reason": None, "reference": None, "change": None}}}
    >>> result = {"task": "regression", "metrics": ["mae"], "confidence": 0.9,
    ...           "degraded": False, "labels": {}, "overall": dict(window, kind="overall"),
    ...           "windows": [window], "segments": []}
    >>> render_performance_html(result).count("Plotly.newPlot(")
    1
    """
    _check(result)
    names = _metric_names(result)
    ids = (f"ms-chart-{i}" for i in itertools.count(1))
    overall = result["overall"]
    sections = [
        Section("Overall", _metrics_table(overall, names),
                f"All predictions together. Intervals are "
                f"{fmt_share(result.get('confidence'))} confidence intervals; the change is "
                "current minus reference, with its interval and test.", anchor="overall"),
    ]
    windows = [w for w in result.get("windows") or [] if isinstance(w, Mapping)]
    if windows:
        sections.append(_windows_section(windows, names, ids))
    segments = [s for s in result.get("segments") or [] if isinstance(s, Mapping)]
    if segments:
        sections.append(Section(
            "Segments", _slices_table(segments, names, first="segment"),
            "Each segment against the reference's value for the same segment; red cells "
            "degraded significantly.", anchor="segments"))
    calibration = _calibration(overall, ids)
    if calibration:
        sections.append(calibration)
    labels = result.get("labels")
    if isinstance(labels, Mapping) and labels:
        sections.append(_labels_section(labels))
    return render_page(title, _cards(result, windows), sections,
                       subtitle=_subtitle(result))


def _check(result: Mapping[str, Any]) -> None:
    if not isinstance(result, Mapping):
        raise InputError(
            "a performance report must be a mapping like PerformanceReport.to_dict(); got "
            f"{type(result).__name__}"
        )
    missing = [k for k in ("task", "overall") if k not in result]
    if missing:
        raise InputError(
            f"the performance report dict lacks {', '.join(repr(k) for k in missing)}; "
            "pass PerformanceReport.to_dict()"
        )
    if not isinstance(result["overall"], Mapping):
        raise InputError("the performance report's 'overall' must be a slice dict")


def _metric_names(result: Mapping[str, Any]) -> list[str]:
    names = [str(n) for n in result.get("metrics") or []]
    overall = result["overall"].get("metrics") or {}
    return names + [str(n) for n in overall if str(n) not in names]


def _subtitle(result: Mapping[str, Any]) -> str:
    parts = [f"task: {result.get('task')}"]
    classes = result.get("classes")
    if classes:
        shown = ", ".join(str(c) for c in classes[:10])
        parts.append(f"classes: {shown}{' …' if len(classes) > 10 else ''}")
    return " · ".join(parts)


def metric_verdict(metric: Mapping[str, Any]) -> tuple[str, Tone] | None:
    """The badge for one metric result; None when there is nothing to judge against.

    >>> metric_verdict({"status": "ok", "change": {"degraded": True}})
    ('Degraded', 'bad')
    >>> metric_verdict({"status": "insufficient data"})
    ('Insufficient data', 'muted')
    """
    status = metric.get("status")
    if status == "insufficient data":
        return "Insufficient data", "muted"
    if status == "undefined":
        return "Undefined", "warn"
    change = metric.get("change")
    if not isinstance(change, Mapping):
        return None
    return ("Degraded", "bad") if change.get("degraded") else ("Not degraded", "good")


def _cards(result: Mapping[str, Any], windows: Sequence[Mapping[str, Any]]) -> list[SummaryCard]:
    overall = result["overall"]
    metrics = [m for m in (overall.get("metrics") or {}).values() if isinstance(m, Mapping)]
    compared = [m for m in metrics if isinstance(m.get("change"), Mapping)]
    worse = [str(m.get("name")) for m in compared if m["change"].get("degraded")]
    if compared:
        verdict = SummaryCard(
            "Performance", "Degraded" if result.get("degraded") else "Not degraded",
            f"{len(worse)} of {len(compared)} metrics worse than reference"
            + (f": {', '.join(worse[:3])}{'…' if len(worse) > 3 else ''}" if worse else ""),
            "bad" if result.get("degraded") else "good")
    else:
        verdict = SummaryCard("Performance", "No reference", "nothing to compare against",
                              "muted")
    cards = [
        verdict,
        SummaryCard("Predictions", fmt_number(overall.get("n")),
                    f"{fmt_number(overall.get('n_labelled'))} labelled"),
        SummaryCard("Label coverage", fmt_share(overall.get("coverage")),
                    "share of predictions with a label",
                    "warn" if (overall.get("coverage") or 0) < 1 else "neutral"),
    ]
    if windows:
        flagged = sum(1 for w in windows if _degraded_names(w))
        cards.append(SummaryCard("Windows", str(len(windows)),
                                 f"{flagged} with a degraded metric",
                                 "bad" if flagged else "neutral"))
    cards.append(SummaryCard("Confidence", fmt_share(result.get("confidence")),
                             "level of every interval"))
    return cards


def _degraded_names(slice_: Mapping[str, Any]) -> list[str]:
    metrics = slice_.get("metrics") or {}
    return [str(k) for k, m in metrics.items()
            if isinstance(m, Mapping) and isinstance(m.get("change"), Mapping)
            and m["change"].get("degraded")]


def _interval(metric: Mapping[str, Any]) -> object:
    lo, hi = metric.get("lower"), metric.get("upper")
    if lo is None or hi is None:
        return None
    method = f'<span class="sub">{esc(metric.get("interval") or "")}</span>'
    return Html(f"{esc(fmt_number(lo))} – {esc(fmt_number(hi))}{method}")


def _change(change: Any) -> object:
    if not isinstance(change, Mapping):
        return None
    diff = change.get("difference")
    text = fmt_number(diff)
    if isinstance(diff, int | float) and diff > 0:
        text = "+" + text
    ci = (f'<span class="sub">[{esc(fmt_number(change.get("lower")))}, '
          f'{esc(fmt_number(change.get("upper")))}]</span>')
    sort = float(diff) if isinstance(diff, int | float) else None
    return Cell(Html(esc(text) + ci), sort=sort, klass="num")


def _metrics_table(slice_: Mapping[str, Any], names: Sequence[str]) -> str:
    metrics = slice_.get("metrics") or {}
    heads = ["metric", "value", "interval", "reference", "change", "p-value", "test",
             "verdict", "reason"]
    rows, classes = [], []
    for name in names:
        m = metrics.get(name)
        if not isinstance(m, Mapping):
            continue
        raw = m.get("change")
        change: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        verdict = metric_verdict(m)
        rows.append([name, m.get("value"), _interval(m), m.get("reference"),
                     _change(m.get("change")), change.get("p_value"), change.get("test"),
                     badge(*verdict) if verdict else None, m.get("reason")])
        classes.append("row-bad" if verdict and verdict[1] == "bad" else "")
    if not rows:
        return '<p class="note">No metrics were measured.</p>'
    if all(row[-1] is None for row in rows):
        heads, rows = heads[:-1], [row[:-1] for row in rows]
    return table_html(heads, rows, row_classes=classes)


def _when(value: Any) -> str:
    """A UTC ISO timestamp shortened for a table: ``2026-11-01`` or ``2026-11-01 06:00``.

    >>> _when("2026-11-01T00:00:00+00:00"), _when("2026-11-01T06:30:00+00:00"), _when(None)
    ('2026-11-01', '2026-11-01 06:30', '')
    """
    if not isinstance(value, str):
        return ""
    match = _ISO.fullmatch(value)
    if not match:
        return value
    date, clock, seconds = match.group(1), match.group(2), match.group(3) or "00"
    if seconds != "00":
        return value
    return date if clock == "00:00" else f"{date} {clock}"


_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}))?(?:Z|\+00:?00)?")


def _slice_label(s: Mapping[str, Any]) -> object:
    start, end = _when(s.get("start")), _when(s.get("end"))
    if not start:
        return s.get("key")
    sub = f'<span class="sub">to {esc(end)}</span>' if end else ""
    return Cell(Html(f'<span class="nowrap">{esc(start)}</span>{sub}'))


def _metric_cell(m: Any, *, show_reference: bool = True) -> object:
    if not isinstance(m, Mapping):
        return None
    verdict = metric_verdict(m)
    value = m.get("value")
    if value is None:
        return Cell(m.get("status") or "—", klass="empty")
    klass = {"bad": "bad", "warn": "warn"}.get(verdict[1], "") if verdict else ""
    ref = m.get("reference")
    if ref is None or not show_reference:
        return Cell(value, klass=klass)
    sub = f'<span class="sub">ref {esc(fmt_number(ref))}</span>'
    return Cell(Html(esc(fmt_number(value)) + sub), sort=float(value), klass=f"num {klass}")


def _slices_table(
    slices: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    *,
    first: str,
    show_reference: bool = True,
) -> str:
    heads = [first, "rows", "labelled", "coverage", "status", *names]
    rows, classes = [], []
    for s in slices:
        metrics = s.get("metrics") or {}
        cov = s.get("coverage")
        rows.append([_slice_label(s), s.get("n"), s.get("n_labelled"),
                     Cell(fmt_share(cov), sort=cov if isinstance(cov, float) else None,
                          klass="num"),
                     s.get("status"),
                     *[_metric_cell(metrics.get(n), show_reference=show_reference)
                       for n in names]])
        classes.append("row-bad" if _degraded_names(s) else "")
    return table_html(heads, rows, row_classes=classes)


def _windows_section(
    windows: Sequence[Mapping[str, Any]], names: Sequence[str], ids: Iterator[str]
) -> Section:
    from modelsteward.report._charts import figure_html
    from modelsteward.report._perf_charts import series_figure

    x = [str(w.get("start") or w.get("key")) for w in windows]
    charts = []
    for name in names:
        ms = [(w.get("metrics") or {}).get(name) or {} for w in windows]
        if not any(m.get("value") is not None for m in ms):
            continue
        refs = [m.get("reference") for m in ms if m.get("reference") is not None]
        fig = series_figure(
            x, [m.get("value") for m in ms], [m.get("lower") for m in ms],
            [m.get("upper") for m in ms], reference=refs[0] if refs else None,
            flagged=[bool((m.get("change") or {}).get("degraded")) for m in ms], title=name)
        charts.append(figure_html(fig, next(ids)))
    table = _slices_table(windows, names, first="window", show_reference=False)
    is_open = " open" if len(windows) <= MAX_OPEN_WINDOW_ROWS else ""
    body = (f'<div class="grid2">{"".join(charts)}</div>'
            f"<details{is_open}><summary><strong>All {len(windows)} windows</strong>"
            f'</summary><div class="details-body">{table}</div></details>')
    return Section("Windows", body,
                   "Each metric per window, by when the prediction was made: the line is the "
                   "value, the band its interval, the dashed line the reference; red markers "
                   "and cells are windows that degraded significantly.", anchor="windows")


def _calibration(overall: Mapping[str, Any], ids: Iterator[str]) -> Section | None:
    ece = (overall.get("metrics") or {}).get("ece")
    if not isinstance(ece, Mapping):
        return None
    details = ece.get("details")
    if not isinstance(details, Mapping):
        return None
    predicted, observed = details.get("mean_predicted"), details.get("observed")
    if not predicted or not observed or len(predicted) != len(observed):
        return None
    from modelsteward.report._charts import figure_html
    from modelsteward.report._perf_charts import reliability_figure

    fig = reliability_figure(predicted, observed, details.get("counts") or [])
    return Section("Calibration", figure_html(fig, next(ids)),
                   f"Observed frequency against predicted probability, per bin "
                   f"(ECE {fmt_number(ece.get('value'))}).", anchor="calibration")


def _labels_section(labels: Mapping[str, Any]) -> Section:
    items = []
    for key, value in labels.items():
        if "coverage" in key or "share" in key:
            text = fmt_share(value)
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value[:10]) or "—"
        else:
            text = fmt_number(value)
        items.append(f"<dt>{esc(key.replace('_', ' '))}</dt><dd>{esc(text)}</dd>")
    return Section("Labels", f'<dl class="facts">{"".join(items)}</dl>',
                   "How labels were matched to predictions.", anchor="labels")
