"""Fixtures for the report tests: fresh copies of the hand-written drift report."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.report._fixtures import REPORT, REQUIRED


@pytest.fixture
def report() -> dict[str, Any]:
    return copy.deepcopy(REPORT)


@pytest.fixture
def minimal_report() -> dict[str, Any]:
    out = {k: copy.deepcopy(REPORT[k]) for k in REQUIRED}
    contract = ("name", "kind", "method", "score", "p_value", "threshold", "drifted", "status",
                "reason")
    out["columns"] = [{k: c[k] for k in contract} for c in out["columns"]]
    return out
