"""Helpers for the report tests: an HTML checker and a way to hide plotly."""

from __future__ import annotations

import sys
from html.parser import HTMLParser

import pytest

from modelsteward.report._charts import plotly_bundle

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Checker(HTMLParser):
    """Collects URL attributes and checks that open and close tags pair up."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: dict[str, int] = {}
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "data")]
        if tag not in VOID:
            self.stack.append(tag)
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._in_script:
            self.text.append(data)


def parse(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def hide_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    plotly_bundle.cache_clear()
    for name in list(sys.modules):
        if name == "plotly" or name.startswith("plotly."):
            monkeypatch.delitem(sys.modules, name)
    for name in ("plotly", "plotly.graph_objects", "plotly.offline"):
        monkeypatch.setitem(sys.modules, name, None)
