"""Conformance checks run over every drift method of :data:`modelsteward.datadrift.METHODS`.

Each method is checked on its numeric form (sorted samples) and its categorical form
(aligned counts), where it has one: results are finite and deterministic, p-values lie
in [0, 1], identical inputs show no drift, and a clear shift is flagged at the method's
default threshold.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from modelsteward.datadrift import METHODS, Method
from modelsteward.stats import TestResult

__all__ = [
    "STATISTIC_CHECKS",
    "all_methods",
    "check_method",
]

_BINS = 10


def all_methods() -> list[Method]:
    """Every drift method the engine knows, by name order."""
    return [METHODS[name] for name in sorted(METHODS)]


def _samples(shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return np.sort(rng.normal(size=3000)), np.sort(rng.normal(shift, 1.0, size=2000))


def _counts(shifted: bool) -> tuple[np.ndarray, np.ndarray]:
    reference = np.array([600, 300, 100])
    current = np.array([300, 300, 400]) if shifted else reference * 2
    return reference, current


def _two_counts(shifted: bool) -> tuple[np.ndarray, np.ndarray]:
    reference = np.array([700, 300])
    return reference, (np.array([400, 600]) if shifted else reference.copy())


def _results(method: Method, *, shifted: bool) -> list[TestResult]:
    out = []
    if method.numeric is not None:
        reference, current = _samples(1.0 if shifted else 0.0)
        if not shifted:
            current = reference.copy()
        out.append(method.numeric(reference, current, _BINS))
    if method.counts is not None:
        pair = _two_counts(shifted) if method.name in ("ztest", "fisher") else _counts(shifted)
        out.append(method.counts(*pair))
    return out


def check_finite_and_in_range(method: Method) -> None:
    """Scores are finite; p-values, when present, lie in [0, 1]."""
    for shifted in (False, True):
        for result in _results(method, shifted=shifted):
            assert np.isfinite(result.statistic), (method.name, result)
            if method.has_p_value:
                assert result.p_value is not None and 0.0 <= result.p_value <= 1.0
            else:
                assert result.p_value is None


def check_deterministic(method: Method) -> None:
    """The same inputs give the same result."""
    assert _results(method, shifted=True) == _results(method, shifted=True), method.name


def check_no_drift_on_identical_inputs(method: Method) -> None:
    """Identical samples or counts: a large p-value, or a zero distance."""
    for result in _results(method, shifted=False):
        if method.has_p_value:
            assert result.p_value is not None and result.p_value >= 0.2, (method.name, result)
        else:
            assert abs(result.statistic) <= 1e-9, (method.name, result)


def check_flags_a_clear_shift(method: Method) -> None:
    """A one-sd shift (or a large change of shares) is flagged at the default threshold."""
    for result in _results(method, shifted=True):
        if method.has_p_value:
            assert result.p_value is not None and result.p_value < method.default_threshold
        else:
            assert result.statistic >= method.default_threshold, (method.name, result)


STATISTIC_CHECKS: tuple[Callable[[Method], None], ...] = (
    check_finite_and_in_range,
    check_deterministic,
    check_no_drift_on_identical_inputs,
    check_flags_a_clear_shift,
)


def check_method(method: Method) -> None:
    """Run every statistic check on one method.

    >>> check_method(METHODS["ks"])
    """
    for check in STATISTIC_CHECKS:
        check(method)
