from __future__ import annotations

from collections.abc import Callable

import pytest

from modelsteward.datadrift import Method
from modelsteward.testing import STATISTIC_CHECKS, all_methods


@pytest.mark.parametrize("method", all_methods(), ids=lambda m: m.name)
@pytest.mark.parametrize("check", STATISTIC_CHECKS, ids=lambda c: c.__name__)
def test_every_drift_method_conforms(method: Method, check: Callable[[Method], None]) -> None:
    check(method)


def test_every_method_is_covered() -> None:
    assert len(all_methods()) == 12
