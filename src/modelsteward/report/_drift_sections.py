"""Optional sections of the drift report: decision rule, data quality, multivariate drift.

Each takes the matching sub-dict of ``DriftReport.to_dict()`` and tolerates missing keys.

>>> quality_section({"columns": [], "warnings": ["x is constant"]}).heading
'Data quality'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from modelsteward.report._page import (
    Cell,
    Html,
    Section,
    badge,
    esc,
    fmt_number,
    fmt_share,
    table_html,
)

__all__ = ["decision_facts_html", "multivariate_section", "quality_section"]

MAX_NEW_CATEGORIES = 5
MAX_FEATURES = 15


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float) or value is None:
        return fmt_number(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def decision_facts_html(rule: Mapping[str, Any]) -> str:
    """The dataset-level decision rule: its description and any parameters it carries.

    >>> html = decision_facts_html({"name": "bh+effect", "description": "BH at <5%", "alpha": 0.05})
    >>> "BH at &lt;5%" in html and "<dt>alpha</dt><dd>0.05</dd>" in html
    True
    """
    parts = ['<div class="callout callout-info"><strong>How drift is decided</strong>']
    if rule.get("name"):
        parts.append(f" — <code>{esc(rule['name'])}</code>")
    if rule.get("description"):
        parts.append(f"<p>{esc(rule['description'])}</p>")
    extra = [(k, v) for k, v in rule.items() if k not in ("name", "description")]
    if extra:
        items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(_scalar_text(v))}</dd>" for k, v in extra)
        parts.append(f'<dl class="facts">{items}</dl>')
    parts.append("</div>")
    return "".join(parts)


def _flag(value: object) -> object:
    """A text finding (type mismatch, constant side, ...) highlighted when present."""
    if value is None or value == "":
        return None
    return Cell(str(value), klass="warn")


def _new_categories(col: Mapping[str, Any]) -> object:
    cats = [str(c) for c in col.get("new_categories") or []]
    if not cats:
        return None
    shown = ", ".join(cats[:MAX_NEW_CATEGORIES])
    if len(cats) > MAX_NEW_CATEGORIES:
        shown += f" (+{len(cats) - MAX_NEW_CATEGORIES} more)"
    return Cell(shown, klass="warn")


def _share(value: Any) -> object:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return Cell(fmt_share(value), sort=float(value))


def _share_flag(value: Any) -> object:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return Cell(fmt_share(value), sort=float(value), klass="warn" if value else "")


def _change(value: Any) -> object:
    """A signed change of a share, in percentage points."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    text = f"{100 * value:+.1f} pp" if value else "0"
    return Cell(text, sort=float(value), klass="num")


def _non_finite(col: Mapping[str, Any]) -> object:
    nf = col.get("non_finite")
    if not isinstance(nf, Mapping):
        return None
    ref, cur = nf.get("reference", 0) or 0, nf.get("current", 0) or 0
    text = f"{fmt_number(ref)} / {fmt_number(cur)}"
    return Cell(text, klass="warn") if ref or cur else text


_QUALITY_COLUMNS: Sequence[tuple[str, str]] = (
    ("new_categories", "new categories"),
    ("new_category_share", "new-cat. share"),
    ("out_of_range_share", "out of range"),
    ("type_mismatch", "type mismatch"),
    ("constant", "constant in"),
    ("non_finite", "non-finite ref / cur"),
    ("coerced", "coerced"),
    ("only_in", "only in"),
)


def _quality_cell(key: str, col: Mapping[str, Any]) -> object:
    if key == "new_categories":
        return _new_categories(col)
    if key in ("new_category_share", "out_of_range_share"):
        return _share_flag(col.get(key))
    if key == "non_finite":
        return _non_finite(col)
    return _flag(col.get(key))


def quality_section(quality: Mapping[str, Any]) -> Section:
    """Missing rates on each side, new categories, out-of-range shares and other findings.

    Optional columns that are empty for every row are left out of the table; the
    warnings list is shown first, highlighted.

    >>> s = quality_section({"columns": [{"name": "city", "reference_missing_share": 0.0,
    ...     "current_missing_share": 0.1, "new_categories": ["Oslo"]}], "warnings": []})
    >>> "Oslo" in s.body_html and "10.0%" in s.body_html and "type mismatch" not in s.body_html
    True
    """
    body = []
    warnings = [str(w) for w in quality.get("warnings") or []]
    if warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
        body.append(f'<div class="callout callout-warn"><strong>{len(warnings)} warning'
                    f'{"s" if len(warnings) != 1 else ""}</strong><ul>{items}</ul></div>')
    else:
        body.append('<p class="note">No data-quality warnings.</p>')
    columns = [c for c in quality.get("columns") or [] if isinstance(c, Mapping)]
    if columns:
        keys = [(k, label) for k, label in _QUALITY_COLUMNS
                if any(_quality_cell(k, c) is not None for c in columns)]
        with_change = any(c.get("missing_change") is not None for c in columns)
        heads = ["column", "missing ref", "missing cur"]
        heads += ["Δ missing"] if with_change else []
        heads += [label for _, label in keys]
        rows, classes = [], []
        for col in columns:
            cells = [_quality_cell(k, col) for k, _ in keys]
            rows.append([col.get("name"), _share(col.get("reference_missing_share")),
                         _share(col.get("current_missing_share")), *cells])
            if with_change:
                rows[-1].insert(3, _change(col.get("missing_change")))
            classes.append("row-warn" if any(isinstance(c, Cell) and "warn" in c.klass
                                             for c in cells) else "")
        body.append(table_html(heads, rows, row_classes=classes))
    return Section("Data quality", "".join(body),
                   "Findings about the data itself, reported alongside drift.",
                   anchor="data-quality")


def _float(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else float("nan")


def _verdict_badge(drifted: Any) -> Html:
    if drifted is None:
        return badge("Not decided", "muted")
    return badge("Drift", "bad") if drifted else badge("No drift", "good")


def _facts(items: Sequence[tuple[str, object]]) -> str:
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{inner}</dl>'


def _skipped(title: str, block: Mapping[str, Any]) -> str:
    reason = block.get("reason") or "no reason given"
    return (f"<div><h3>{esc(title)} {badge('Skipped', 'muted')}</h3>"
            f'<p class="note">{esc(reason)}</p></div>')


def _domain_classifier(dc: Mapping[str, Any], ids: Iterator[str]) -> str:
    from modelsteward.report._charts import (
        CURRENT_COLOR,
        bar_figure,
        figure_html,
        interval_figure,
    )

    title = "Domain classifier"
    if dc.get("status") == "skipped":
        return _skipped(title, dc)
    ci = dc.get("auc_ci")
    low, high = (ci[0], ci[1]) if isinstance(ci, Sequence) and len(ci) == 2 else (None, None)
    auc_text = fmt_number(dc.get("auc"), 3)
    if low is not None and high is not None:
        auc_text += f" (interval {fmt_number(low, 3)} – {fmt_number(high, 3)})"
    items: list[tuple[str, object]] = [("cross-validated AUC", auc_text),
                                       ("threshold", fmt_number(dc.get("threshold"), 3))]
    rows = dc.get("rows")
    if isinstance(rows, Mapping):
        items.append(("rows used", f"{fmt_number(rows.get('reference'))} reference, "
                                   f"{fmt_number(rows.get('current'))} current"))
    facts = _facts(items)
    parts = [f"<div><h3>{esc(title)} {_verdict_badge(dc.get('drifted'))}</h3>",
             '<p class="note">A classifier is trained to tell current rows from reference '
             "rows; an AUC near 0.5 means it cannot.</p>", facts]
    if dc.get("auc") is not None:
        fig = interval_figure(
            [{"label": "AUC", "value": dc.get("auc"), "low": low, "high": high,
              "color": CURRENT_COLOR}],
            line=dc.get("threshold"), line_label="threshold", value_title="AUC", height=150,
            value_range=_auc_range(dc.get("threshold"), low, high))
        parts.append(figure_html(fig, next(ids)))
    features = [f for f in dc.get("top_features") or [] if isinstance(f, Mapping)]
    if features:
        features = features[:MAX_FEATURES]
        fig = bar_figure([str(f.get("name")) for f in features],
                         [_float(f.get("importance")) for f in features], horizontal=True,
                         title="Features that separate the two sets most",
                         value_title="importance")
        parts.append(figure_html(fig, next(ids)))
    parts.append("</div>")
    return "".join(parts)


def _auc_range(*values: Any) -> tuple[float, float]:
    """The AUC axis: 0.5 (chance) to 1, widened to show the threshold and interval."""
    finite = [v for v in (_float(x) for x in values) if v == v]
    return min([0.5, *finite]) - 0.02, max([1.0, *finite]) + 0.02


def _pca(pca: Mapping[str, Any], ids: Iterator[str]) -> str:
    from modelsteward.report._charts import (
        CURRENT_COLOR,
        REFERENCE_COLOR,
        figure_html,
        interval_figure,
    )

    title = "PCA reconstruction error"
    if pca.get("status") == "skipped":
        return _skipped(title, pca)
    lower, upper = pca.get("lower"), pca.get("upper")
    facts = _facts([
        ("components", fmt_number(pca.get("components"))),
        ("explained variance", fmt_share(pca.get("explained_variance"))),
        ("reference error", fmt_number(pca.get("reference_error"))),
        ("current error", fmt_number(pca.get("current_error"))),
        ("expected band", f"{fmt_number(lower)} – {fmt_number(upper)}"),
    ])
    parts = [f"<div><h3>{esc(title)} {_verdict_badge(pca.get('drifted'))}</h3>",
             '<p class="note">Rows are compressed with PCA fitted on the reference and '
             "reconstructed; a current error outside the band means the relations between "
             "columns changed.</p>", facts]
    band = (lower, upper) if lower is not None and upper is not None else None
    fig = interval_figure(
        [{"label": "reference", "value": pca.get("reference_error"), "color": REFERENCE_COLOR},
         {"label": "current", "value": pca.get("current_error"), "color": CURRENT_COLOR}],
        band=band, band_label="expected band", value_title="reconstruction error", height=170)
    parts.append(figure_html(fig, next(ids)))
    parts.append("</div>")
    return "".join(parts)


def multivariate_section(mv: Mapping[str, Any], ids: Iterator[str]) -> Section:
    """Domain-classifier AUC against its threshold and PCA reconstruction error against its band.

    ``ids`` yields unique div ids for the charts.

    >>> s = multivariate_section({"domain_classifier": {"status": "skipped",
    ...                           "reason": "needs scikit-learn"}}, iter(["a", "b"]))
    >>> "needs scikit-learn" in s.body_html
    True
    """
    panels = []
    dc = mv.get("domain_classifier")
    if isinstance(dc, Mapping):
        panels.append(_domain_classifier(dc, ids))
    pca = mv.get("pca_reconstruction")
    if isinstance(pca, Mapping):
        panels.append(_pca(pca, ids))
    if not panels:
        body = '<p class="note">No multivariate checks were run.</p>'
    else:
        body = f'<div class="grid2">{"".join(panels)}</div>'
    return Section("Multivariate drift", body,
                   "Drift in the joint distribution of the columns, which per-column tests "
                   "can miss.", anchor="multivariate")

