"""Where HTML renderers are plugged in.

Rendering (:mod:`modelsteward.report`) sits below the computing layers in DESIGN.md's
order, so results such as :class:`~modelsteward.datadrift.DriftReport` cannot import it.
The package's ``__init__`` registers the renderers here at import time, and results look
them up by name when asked for HTML.

>>> register("example", lambda data: f"<p>{data['x']}</p>")
>>> render("example", {"x": 1})
'<p>1</p>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Renderer", "register", "render"]

Renderer = Callable[[dict[str, Any]], str]
_registry: dict[str, Renderer] = {}


def register(name: str, renderer: Renderer) -> None:
    """Install ``renderer`` under ``name`` (a later registration replaces an earlier one)."""
    _registry[name] = renderer


def render(name: str, data: dict[str, Any]) -> str:
    """Render ``data`` with the renderer registered under ``name``."""
    try:
        renderer = _registry[name]
    except KeyError:
        raise LookupError(f"no HTML renderer is registered for {name!r}") from None
    return renderer(data)
