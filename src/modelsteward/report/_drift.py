"""The data-drift report: a ``DriftReport.to_dict()`` dict rendered as HTML.

Rendering only: every number, verdict and rule comes from the dict; this module
formats, orders and draws them.

>>> report = {"reference_rows": 100, "current_rows": 80, "dataset_drift": False,
...           "drift_share": 0.0, "drift_share_threshold": 0.5,
...           "columns": [{"name": "age", "kind": "numeric", "method": "ks", "score": 0.05,
...                        "p_value": 0.9, "threshold": 0.05, "drifted": False,
...                        "status": "ok", "reason": None}]}
>>> "No drift" in render_drift_summary_html(report)
True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from modelsteward.errors import InputError
from modelsteward.report._drift_sections import (
    decision_facts_html,
    multivariate_section,
    quality_section,
)
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
    render_fragment,
    render_page,
    table_html,
)

__all__ = ["render_drift_html", "render_drift_summary_html"]

REQUIRED_KEYS = (
    "reference_rows",
    "current_rows",
    "dataset_drift",
    "drift_share",
    "drift_share_threshold",
    "columns",
)
OPEN_DRIFTED_PLOTS = 6


def render_drift_html(report: Mapping[str, Any], *, title: str = "Data drift report") -> str:
    """Render a drift report dict (``DriftReport.to_dict()``) as one self-contained page.

    The page shows the dataset verdict, a sortable per-column table (drifted first,
    then by score), a reference-vs-current distribution chart per column (folded in
    ``<details>``), and, when present in the dict, data quality, multivariate drift,
    skipped columns and the decision rule. It needs the ``report`` extra (plotly).

    >>> report = {"reference_rows": 1000, "current_rows": 900, "dataset_drift": True,
    ...           "drift_share": 1.0, "drift_share_threshold": 0.5,
    ...           "columns": [{"name": "x", "kind": "numeric", "method": "ks", "score": 0.4,
    ...                        "p_value": 1e-9, "threshold": 0.05, "drifted": True,
    ...                        "status": "ok", "reason": None,
    ...                        "distribution": {"type": "histogram", "edges": [0, 1, 2],
    ...                                         "reference": [0.5, 0.5],
    ...                                         "current": [0.1, 0.9]}}]}
    >>> page = render_drift_html(report)
    >>> page.count("Plotly.newPlot("), "Dataset drift detected" in page
    (1, True)
    """
    _check(report)
    columns = sorted_columns(report["columns"])
    ids = (f"ms-chart-{i}" for i in itertools.count(1))
    sections = [
        _summary_section(report),
        Section("Drift by column", _drift_table(columns, links=True),
                "Drifted columns first, then by score. Click a header to sort; click a "
                "name to see its distributions.", anchor="columns"),
        _distributions_section(columns, ids),
    ]
    quality = report.get("data_quality")
    if isinstance(quality, Mapping):
        sections.append(quality_section(quality))
    multivariate = report.get("multivariate")
    if isinstance(multivariate, Mapping) and multivariate:
        sections.append(multivariate_section(multivariate, ids))
    skipped = [c for c in columns if c.get("status") == "skipped"]
    if skipped:
        sections.append(_skipped_section(skipped))
    return render_page(title, _cards(report, columns), sections, subtitle=_subtitle(report))


def render_drift_summary_html(report: Mapping[str, Any]) -> str:
    """A compact HTML fragment (summary cards and drift table) for Jupyter's ``_repr_html_``.

    The table is already ordered (drifted first, then by score) and, with no script,
    not sortable.

    It carries its own scoped CSS and no scripts or plotly bundle, so it works without
    the ``report`` extra.

    >>> report = {"reference_rows": 10, "current_rows": 10, "dataset_drift": False,
    ...           "drift_share": 0.0, "drift_share_threshold": 0.5, "columns": []}
    >>> fragment = render_drift_summary_html(report)
    >>> fragment.startswith('<div class="ms-report">') and "<script" not in fragment
    True
    """
    _check(report)
    columns = sorted_columns(report["columns"])
    body = _drift_table(columns, links=False)
    rule = report.get("decision_rule")
    intro = rule.get("description") if isinstance(rule, Mapping) else None
    section = Section("Drift by column", body, intro=str(intro) if intro else None)
    return render_fragment(_cards(report, columns, page=False), [section])


def _check(report: Mapping[str, Any]) -> None:
    if not isinstance(report, Mapping):
        raise InputError(
            f"a drift report must be a mapping like DriftReport.to_dict(); got "
            f"{type(report).__name__}"
        )
    missing = [k for k in REQUIRED_KEYS if k not in report]
    if missing:
        raise InputError(
            f"the drift report dict lacks {', '.join(repr(k) for k in missing)}; "
            "pass DriftReport.to_dict() or the JSON of `steward drift --format json`"
        )
    if not isinstance(report["columns"], Sequence) or isinstance(report["columns"], str):
        raise InputError("the drift report's 'columns' must be a list of column dicts")


def sorted_columns(columns: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drifted first, then checked columns by score descending, skipped columns last.

    >>> cols = [{"name": "a", "score": 0.1, "drifted": False, "status": "ok"},
    ...         {"name": "b", "score": None, "drifted": False, "status": "skipped"},
    ...         {"name": "c", "score": 0.05, "drifted": True, "status": "ok"},
    ...         {"name": "d", "score": 0.3, "drifted": False, "status": "ok"}]
    >>> [c["name"] for c in sorted_columns(cols)]
    ['c', 'd', 'a', 'b']
    """

    def key(col: Mapping[str, Any]) -> tuple[int, int, float]:
        score = _as_float(col.get("score"))
        return (
            0 if col.get("drifted") else 1,
            1 if col.get("status") == "skipped" else 0,
            -score if score is not None and score == score else float("inf"),
        )

    return sorted(columns, key=key)


def verdict(col: Mapping[str, Any]) -> tuple[str, Tone]:
    """The badge text and tone for one column.

    >>> verdict({"status": "skipped"}), verdict({"status": "ok", "drifted": True})
    (('Skipped', 'muted'), ('Drift', 'bad'))
    """
    if col.get("status") == "skipped":
        return "Skipped", "muted"
    return ("Drift", "bad") if col.get("drifted") else ("No drift", "good")


def _subtitle(report: Mapping[str, Any]) -> str | None:
    sources = report.get("sources")
    if not isinstance(sources, Mapping):
        return None
    parts = [f"{side}: {sources[side]}" for side in ("reference", "current") if sources.get(side)]
    return " · ".join(parts) or None


def _cards(
    report: Mapping[str, Any], columns: Sequence[Mapping[str, Any]], *, page: bool = True
) -> list[SummaryCard]:
    drifted = report.get("dataset_drift")
    checked = [c for c in columns if c.get("status") != "skipped"]
    n_drifted = sum(1 for c in checked if c.get("drifted"))
    share, threshold = fmt_share(report.get("drift_share")), fmt_share(
        report.get("drift_share_threshold")
    )
    rule = report.get("decision_rule")
    rule_name = rule.get("name") if isinstance(rule, Mapping) else None
    cards = [
        SummaryCard("Dataset drift", "Detected" if drifted else "Not detected",
                    f"rule: {rule_name}" if rule_name
                    else f"share {share} vs threshold {threshold}",
                    "bad" if drifted else "good"),
        SummaryCard("Drifted columns", f"{n_drifted} of {len(checked)}",
                    f"share {share} · threshold {threshold}",
                    "bad" if n_drifted else "neutral"),
    ]
    sources = report.get("sources") if isinstance(report.get("sources"), Mapping) else {}
    for side in ("reference", "current"):
        label = sources.get(side) if isinstance(sources, Mapping) else None
        cards.append(SummaryCard(f"{side.capitalize()} rows",
                                 fmt_number(report.get(f"{side}_rows")),
                                 str(label) if label else None))
    skipped = len(columns) - len(checked)
    if skipped:
        detail = "not tested; reasons below" if page else "not tested"
        cards.append(SummaryCard("Skipped columns", str(skipped), detail, "warn"))
    quality = report.get("data_quality")
    warnings = quality.get("warnings") if isinstance(quality, Mapping) else None
    if warnings:
        cards.append(SummaryCard("Data-quality warnings", str(len(warnings)),
                                 "see Data quality" if page else "in the full report",
                                 "warn"))
    mv = report.get("multivariate")
    dc = mv.get("domain_classifier") if isinstance(mv, Mapping) else None
    if isinstance(dc, Mapping) and dc.get("status") == "ok":
        tone: Tone = "bad" if dc.get("drifted") else "good"
        cards.append(SummaryCard("Domain classifier AUC", fmt_number(dc.get("auc"), 3),
                                 f"threshold {fmt_number(dc.get('threshold'), 3)}", tone))
    return cards


def _summary_section(report: Mapping[str, Any]) -> Section:
    drifted = bool(report.get("dataset_drift"))
    share = fmt_share(report.get("drift_share"))
    threshold = fmt_share(report.get("drift_share_threshold"))
    head = "Dataset drift detected" if drifted else "No dataset drift"
    text = (f"{head}: {share} of the columns drifted; the dataset-level threshold on that "
            f"share is {threshold}.")
    body = [f'<p>{badge("Drift" if drifted else "No drift", "bad" if drifted else "good")} '
            f"{esc(text)}</p>"]
    rule = report.get("decision_rule")
    if isinstance(rule, Mapping):
        body.append(decision_facts_html(rule))
    return Section("Summary", "".join(body), anchor="summary")


def _effect(col: Mapping[str, Any]) -> object:
    size = col.get("effect_size")
    if size is None:
        return None
    extra = [str(x) for x in (col.get("effect_name"),) if x]
    if col.get("effect_floor") is not None:
        extra.append(f"floor {fmt_number(col.get('effect_floor'))}")
    meta = f'<span class="sub wrap">{esc(" · ".join(extra))}</span>' if extra else ""
    return Cell(Html(f"{esc(fmt_number(size))}{meta}"), sort=_as_float(size))


def _drift_table(columns: Sequence[Mapping[str, Any]], *, links: bool) -> str:
    if not columns:
        return '<p class="note">The report has no columns.</p>'
    has_adj = any("p_value_adjusted" in c for c in columns)
    has_effect = any(c.get("effect_size") is not None for c in columns)
    heads = ["column", "kind", "method", "score", "p-value"]
    heads += ["adjusted p"] if has_adj else []
    heads += ["effect size"] if has_effect else []
    heads += ["threshold", "verdict", "rule / reason"]
    rows, classes = [], []
    for i, col in enumerate(columns):
        name = esc(col.get("name", ""))
        name_html = Html(f'<a href="#col-{i}" class="colname">{name}</a>' if links
                         else f'<span class="colname">{name}</span>')
        text, tone = verdict(col)
        row: list[object] = [name_html, col.get("kind"), col.get("method"),
                             _num(col.get("score")), _num(col.get("p_value"))]
        if col.get("approximate") and _num(col.get("score")) is not None:
            row[3] = Cell(Html(f'{esc(fmt_number(col.get("score")))} <span class="meta" '
                               'title="computed from profiles/sketches">≈</span>'),
                          sort=_as_float(col.get("score")), klass="num")
        if has_adj:
            row.append(_num(col.get("p_value_adjusted")))
        if has_effect:
            row.append(_effect(col))
        rule = col.get("reason") if col.get("status") == "skipped" else col.get("rule")
        threshold = None if col.get("status") == "skipped" else _num(col.get("threshold"))
        row += [threshold, badge(text, tone),
                Cell(rule, klass="rule") if rule else None]
        rows.append(row)
        classes.append({"bad": "row-bad", "muted": "row-muted"}.get(tone, ""))
    return table_html(heads, rows, row_classes=classes, sortable=links)


def _as_float(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _num(value: Any) -> object:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _facts(col: Mapping[str, Any]) -> str:
    items: list[tuple[str, str]] = [("method", str(col.get("method") or "—"))]
    for key, label in (("score", "score"), ("p_value", "p-value"),
                       ("p_value_adjusted", "adjusted p-value"), ("threshold", "threshold")):
        if key in col:
            items.append((label, fmt_number(col.get(key))))
    if col.get("effect_size") is not None:
        name = f" ({col['effect_name']})" if col.get("effect_name") else ""
        floor = col.get("effect_floor")
        items.append((f"effect size{name}", fmt_number(col.get("effect_size"))
                      + (f" — materiality floor {fmt_number(floor)}" if floor is not None else "")))
    if col.get("approximate"):
        items.append(("approximate", "yes: computed from profiles/sketches"))
    if col.get("rule"):
        items.append(("rule", str(col["rule"])))
    if col.get("reason"):
        items.append(("reason", str(col["reason"])))
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{inner}</dl>'


def _distribution_chart(dist: Any, div_id: str) -> str | None:
    from modelsteward.report._charts import categories_figure, figure_html, histogram_figure

    if not isinstance(dist, Mapping):
        return None
    ref, cur = dist.get("reference") or [], dist.get("current") or []
    if dist.get("type") == "histogram":
        edges = dist.get("edges") or []
        if not ref or len(edges) != len(ref) + 1 or len(cur) != len(ref):
            return None
        fig = histogram_figure(edges, ref, cur)
    elif dist.get("type") == "categories":
        cats = dist.get("categories") or []
        if not cats or len(cats) != len(ref) or len(cats) != len(cur):
            return None
        fig = categories_figure(cats, ref, cur)
    else:
        return None
    return figure_html(fig, div_id)


def _summary_meta(col: Mapping[str, Any]) -> str:
    if col.get("status") == "skipped":
        return " · ".join(str(x) for x in (col.get("kind"), "not tested") if x)
    parts = [str(x) for x in (col.get("kind"), col.get("method")) if x]
    if col.get("score") is not None:
        parts.append(f"score {fmt_number(col.get('score'))}")
    parts.append(f"threshold {fmt_number(col.get('threshold'))}")
    return " · ".join(parts)


def _distributions_section(columns: Sequence[Mapping[str, Any]], ids: Iterator[str]) -> Section:
    blocks, opened = [], 0
    for i, col in enumerate(columns):
        text, tone = verdict(col)
        name = str(col.get("name", ""))
        is_open = tone == "bad" and opened < OPEN_DRIFTED_PLOTS
        opened += is_open
        if col.get("status") == "skipped":
            chart = f'<p class="note">Not tested: {esc(col.get("reason") or "no reason given")}</p>'
        else:
            drawn = _distribution_chart(col.get("distribution"), next(ids))
            chart = drawn or '<p class="note">No distribution was recorded for this column.</p>'
        meta = _summary_meta(col)
        blocks.append(
            f'<details id="col-{i}"{" open" if is_open else ""}><summary>'
            f'<span class="colname">{esc(name)}</span>{badge(text, tone)}'
            f'<span class="meta">{esc(meta)}</span></summary>'
            f'<div class="details-body">{chart}{_facts(col)}</div></details>'
        )
    toolbar = (
        '<div class="toolbar"><button type="button" data-details="open" '
        'data-target="#distributions">Expand all</button><button type="button" '
        'data-details="close" data-target="#distributions">Collapse all</button></div>'
    )
    intro = (f"Reference (blue) against current (orange), as shares of rows. Drifted columns "
             f"are expanded (up to {OPEN_DRIFTED_PLOTS}); click a column to expand it.")
    return Section("Distributions", toolbar + "".join(blocks), intro, anchor="distributions")


def _skipped_section(columns: Sequence[Mapping[str, Any]]) -> Section:
    rows = [[c.get("name"), c.get("kind"), c.get("reason") or "no reason given"] for c in columns]
    return Section("Skipped columns", table_html(["column", "kind", "reason"], rows),
                   "These columns were not tested for drift.",
                   anchor="skipped")
