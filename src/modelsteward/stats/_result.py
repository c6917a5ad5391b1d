"""The result type every statistic in :mod:`modelsteward.stats` returns."""

from __future__ import annotations

from typing import NamedTuple


class TestResult(NamedTuple):
    """A statistic and, for hypothesis tests, its p-value.

    ``statistic`` is the method's own score (the KS statistic, the normed
    Wasserstein distance, PSI, ...); ``p_value`` is ``None`` for distances that
    come without a test.

    >>> from modelsteward.stats import TestResult
    >>> TestResult(0.25, None)
    TestResult(statistic=0.25, p_value=None)
    """

    statistic: float
    p_value: float | None


# Not a pytest test class despite its name. Set after the class body because mypy
# takes every statement in a NamedTuple body for a field.
TestResult.__test__ = False  # type: ignore[attr-defined]
