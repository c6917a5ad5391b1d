"""Data drift: column and dataset drift on tables or profiles, and multivariate drift.

The front door is :func:`modelsteward.drift` (this package's :func:`drift`); it returns a
:class:`DriftReport`. Compute lives in :mod:`modelsteward.stats`, judgement in
:class:`DecisionRule`, rendering in :mod:`modelsteward.report`.
"""

from modelsteward.datadrift._engine import drift
from modelsteward.datadrift._methods import METHODS, Method, get_method
from modelsteward.datadrift._report import ColumnDrift, ColumnQuality, DriftReport
from modelsteward.datadrift._rule import DecisionRule

__all__ = [
    "METHODS",
    "ColumnDrift",
    "ColumnQuality",
    "DecisionRule",
    "DriftReport",
    "Method",
    "drift",
    "get_method",
]
