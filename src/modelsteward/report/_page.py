"""The page shell every HTML report shares: header, summary cards, sections, CSS and JS.

A report is a small function that turns a result dict into :class:`SummaryCard` and
:class:`Section` objects and hands them to :func:`render_page`. Everything here is
plain string building: values are formatted and escaped, nothing is computed.

>>> page = render_page("Demo", [SummaryCard("Rows", "10")],
...                    [Section("Numbers", table_html(["a"], [[1]]))], plotly=False)
>>> page.startswith("<!DOCTYPE html>") and "<h2>Numbers</h2>" in page
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from modelsteward.report._assets import CSS, JS

__all__ = [
    "Cell",
    "Html",
    "Section",
    "SummaryCard",
    "Tone",
    "badge",
    "esc",
    "fmt_number",
    "fmt_share",
    "render_fragment",
    "render_page",
    "table_html",
]

Tone = Literal["neutral", "good", "bad", "warn", "muted"]


class Html(str):
    """A string that is already safe HTML; :func:`table_html` inserts it unescaped.

    >>> table_html(["x"], [[Html("<b>ok</b>")]]).count("<b>ok</b>")
    1
    """

    __slots__ = ()


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; ``Html`` passes through.

    >>> esc("<b>&x")
    '&lt;b&gt;&amp;x'
    >>> esc(Html("<i>kept</i>"))
    '<i>kept</i>'
    """
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=True)


def fmt_number(value: object, digits: int = 4) -> str:
    """Format a number for a table cell: ``—`` for missing, scientific when tiny.

    >>> fmt_number(0.123456), fmt_number(3.2e-7), fmt_number(None), fmt_number(12000)
    ('0.1235', '3.20e-07', '—', '12,000')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value != 0 and abs(value) < 10 ** -(digits - 1):
        return f"{value:.2e}"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def fmt_share(value: object) -> str:
    """Format a share in [0, 1] as a percentage.

    >>> fmt_share(0.25), fmt_share(0.0004), fmt_share(None)
    ('25.0%', '0.04%', '—')
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    if not math.isfinite(value):
        return fmt_number(float(value))
    pct = 100.0 * value
    if pct != 0 and abs(pct) < 0.1:
        return f"{pct:.2g}%"
    return f"{pct:.1f}%"


def badge(text: str, tone: Tone) -> Html:
    """A coloured pill for verdicts.

    >>> badge("Drift", "bad")
    '<span class="badge badge-bad">Drift</span>'
    """
    return Html(f'<span class="badge badge-{tone}">{esc(text)}</span>')


@dataclass(frozen=True)
class SummaryCard:
    """One tile of the summary strip: a label, a headline value and an optional detail line."""

    label: str
    value: str
    detail: str | None = None
    tone: Tone = "neutral"


@dataclass(frozen=True)
class Section:
    """One titled block of a page. ``body_html`` is trusted HTML; ``intro`` is escaped text."""

    heading: str
    body_html: str
    intro: str | None = None
    anchor: str | None = None

    @property
    def id(self) -> str:
        """The anchor used by the page's table of contents."""
        if self.anchor:
            return self.anchor
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return slug or "section"


@dataclass(frozen=True)
class Cell:
    """A table cell with extras: a sort key and/or a CSS class around any value.

    >>> table_html(["n"], [[Cell(Html("<a>x</a>"), sort=3, klass="warn")]]).count('data-sort="3.0"')
    1
    """

    value: object
    sort: float | None = None
    klass: str = ""


def _cell_html(value: object) -> str:
    if isinstance(value, Cell):
        inner = _cell_html(value.value)
        attrs = ""
        if value.sort is not None and math.isfinite(value.sort):
            inner = re.sub(r' data-sort="[^"]*"', "", inner, count=1)
            attrs += f' data-sort="{float(value.sort)!r}"'
        if value.klass:
            if inner.startswith("<td class=\""):
                inner = inner.replace('<td class="', f'<td class="{esc(value.klass)} ', 1)
            else:
                attrs += f' class="{esc(value.klass)}"'
        return inner.replace("<td", "<td" + attrs, 1)
    if isinstance(value, Html):
        return f"<td>{value}</td>"
    if isinstance(value, bool):
        return f"<td>{esc(fmt_number(value))}</td>"
    if isinstance(value, int | float):
        key = float(value)
        sort = "" if math.isnan(key) else f' data-sort="{key!r}"'
        return f'<td class="num"{sort}>{esc(fmt_number(value))}</td>'
    if value is None:
        return '<td class="empty">—</td>'
    return f"<td>{esc(value)}</td>"


def table_html(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sortable: bool = True,
    row_classes: Sequence[str] | None = None,
    caption: str | None = None,
) -> str:
    """An HTML table; plain values are formatted and escaped, :class:`Html` cells kept.

    Cells may be ``str``, numbers, ``None``, :class:`Html` or :class:`Cell`.

    Numbers are right-aligned and carry a ``data-sort`` key so that clicking a
    header sorts them numerically (when ``sortable``).

    >>> t = table_html(["name", "score"], [["<b>&x", 0.5], ["b", None]])
    >>> "&lt;b&gt;&amp;x" in t and 'data-sort="0.5"' in t and "<b>&x" not in t
    True
    """
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes is not None and i < len(row_classes) else ""
        attr = f' class="{esc(cls)}"' if cls else ""
        body.append(f"<tr{attr}>{''.join(_cell_html(v) for v in row)}</tr>")
    klass = "data sortable" if sortable else "data"
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table class="{klass}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _cards_html(cards: Sequence[SummaryCard]) -> str:
    tiles = []
    for card in cards:
        detail = f'<div class="card-detail">{esc(card.detail)}</div>' if card.detail else ""
        tiles.append(
            f'<div class="card card-{card.tone}"><div class="card-label">{esc(card.label)}</div>'
            f'<div class="card-value">{esc(card.value)}</div>{detail}</div>'
        )
    return f'<div class="cards">{"".join(tiles)}</div>'


def _section_html(section: Section) -> str:
    intro = f'<p class="intro">{esc(section.intro)}</p>' if section.intro else ""
    return (
        f'<section id="{esc(section.id)}"><h2>{esc(section.heading)}</h2>'
        f"{intro}{section.body_html}</section>"
    )


def render_fragment(cards: Sequence[SummaryCard], sections: Sequence[Section]) -> str:
    """A self-styled block with no page wrapper and no scripts, e.g. for Jupyter.

    >>> render_fragment([SummaryCard("Rows", "3")], []).startswith('<div class="ms-report">')
    True
    """
    body = "".join(_section_html(s) for s in sections)
    return f'<div class="ms-report"><style>{CSS}</style>{_cards_html(cards)}{body}</div>'


def _version() -> str:
    # Looked up at call time: ``modelsteward/__init__`` may import this package early.
    import modelsteward

    return str(getattr(modelsteward, "__version__", ""))


def render_page(
    title: str,
    summary_cards: Sequence[SummaryCard],
    sections: Sequence[Section],
    *,
    subtitle: str | None = None,
    plotly: bool = True,
) -> str:
    """Render a whole self-contained HTML page.

    With ``plotly=True`` the plotly.js bundle is embedded once, inline, so charts made
    by :func:`modelsteward.report.figure_html` work offline; this needs the ``report``
    extra. Nothing on the page is fetched from the network.

    >>> page = render_page("T <1>", [], [Section("S", "<p>body</p>")], plotly=False)
    >>> "<title>T &lt;1&gt;</title>" in page and 'href="#s"' in page
    True
    """
    version = esc(_version())
    bundle = ""
    if plotly:
        from modelsteward.report._charts import plotly_bundle

        bundle = f"<script>{plotly_bundle()}</script>"
    toc = "".join(f'<a href="#{esc(s.id)}">{esc(s.heading)}</a>' for s in sections)
    sub = f'<p class="subtitle">{esc(subtitle)}</p>' if subtitle else ""
    body = "".join(_section_html(s) for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="modelsteward {version}">'
        f"<title>{esc(title)}</title><style>{CSS}</style>{bundle}</head>"
        '<body><div class="ms-report ms-page">'
        f'<header><div class="brand">modelsteward</div><h1>{esc(title)}</h1>{sub}'
        f'<nav class="toc">{toc}</nav></header>'
        f"<main>{_cards_html(summary_cards)}{body}</main>"
        f'<footer>Generated by modelsteward {version}. This file is '
        "self-contained and opens offline.</footer>"
        f"</div><script>{JS}</script></body></html>\n"
    )
