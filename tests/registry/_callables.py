"""Functions registered by import path in the registry tests."""

from __future__ import annotations

from typing import Any


def double(rows: Any) -> list[float]:
    return [2.0 * float(r) for r in rows]


NOT_CALLABLE = 3
