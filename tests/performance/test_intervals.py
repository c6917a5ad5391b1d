"""Intervals cover the truth about as often as they claim; change tests keep their level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelsteward.performance._intervals import (
    auc_change,
    proportion_change,
    wilson_interval,
)
from modelsteward.performance._registry import Sample, compare, measure

REPS = 200
# With 200 repetitions the observed coverage of a 95% interval has sd ≈ 0.015.
BAND = (0.90, 0.99)


def _binary_sample(rng: np.random.Generator, n: int, d: float) -> Sample:
    y = rng.integers(0, 2, n)
    s = stats.norm.cdf(rng.normal(size=n) + d * y)
    proba = np.column_stack([1 - s, s])
    return Sample("binary", y, (s >= 0.5).astype(np.int64), proba, 2)


def _coverage(metric: str, truth: float, make: object) -> float:
    hits = 0
    for rep in range(REPS):
        rng = np.random.default_rng(rep)
        m = measure(metric, make(rng), confidence=0.95, n_boot=200, seed=(rep,))  # type: ignore[operator]
        hits += m.lower <= truth <= m.upper
    return hits / REPS


def test_wilson_covers_accuracy() -> None:
    # Labels and predictions independent with P(correct) = 0.8.
    def make(rng: np.random.Generator) -> Sample:
        y = rng.integers(0, 2, 150)
        correct = rng.uniform(size=150) < 0.8
        return Sample("binary", y, np.where(correct, y, 1 - y), None, 2)

    assert BAND[0] <= _coverage("accuracy", 0.8, make) <= BAND[1]


def test_delong_covers_binormal_auc() -> None:
    d = 1.0
    truth = float(stats.norm.cdf(d / np.sqrt(2)))
    cov = _coverage("roc_auc", truth, lambda rng: _binary_sample(rng, 200, d))
    assert BAND[0] <= cov <= BAND[1]


def test_bootstrap_covers_mae() -> None:
    truth = float(np.sqrt(2 / np.pi))  # E|e| for e ~ N(0, 1)

    def make(rng: np.random.Generator) -> Sample:
        y = rng.normal(size=200)
        return Sample("regression", y, y + rng.normal(size=200))

    assert BAND[0] <= _coverage("mae", truth, make) <= BAND[1]


def test_bootstrap_covers_brier() -> None:
    # Calibrated binormal scores: the true Brier score by simulation with a large sample.
    big = _binary_sample(np.random.default_rng(10_000), 2_000_000, 1.0)
    truth = float(np.mean((big.proba[:, 1] - big.true) ** 2))  # type: ignore[index]
    cov = _coverage("brier", truth, lambda rng: _binary_sample(rng, 300, 1.0))
    assert BAND[0] <= cov <= BAND[1]


def test_m_out_of_n_bootstrap_keeps_coverage() -> None:
    truth = float(np.sqrt(2 / np.pi))
    hits = 0
    for rep in range(100):
        rng = np.random.default_rng(rep)
        y = rng.normal(size=5000)
        sample = Sample("regression", y, y + rng.normal(size=5000))
        from modelsteward.performance import _registry

        m = _registry.measure("mae", sample, confidence=0.95, n_boot=200, seed=(rep,), max_rows=500)
        hits += m.lower <= truth <= m.upper
    assert 0.88 <= hits / 100 <= 1.0


@pytest.mark.parametrize("metric", ["accuracy", "roc_auc", "f1"])
def test_change_tests_hold_their_level_and_detect_drops(metric: str) -> None:
    false_alarms = 0
    detected = 0
    for rep in range(100):
        rng = np.random.default_rng(rep)
        ref = measure(
            metric, _binary_sample(rng, 300, 1.5), confidence=0.95, n_boot=200, seed=(rep, 0)
        )
        same = measure(
            metric, _binary_sample(rng, 300, 1.5), confidence=0.95, n_boot=200, seed=(rep, 1)
        )
        worse = measure(
            metric, _binary_sample(rng, 300, 0.5), confidence=0.95, n_boot=200, seed=(rep, 2)
        )
        false_alarms += compare(same, ref, confidence=0.95, alpha=0.05).degraded  # type: ignore[union-attr]
        detected += compare(worse, ref, confidence=0.95, alpha=0.05).degraded  # type: ignore[union-attr]
    assert false_alarms <= 8  # one-sided verdict at a two-sided 5% level: ≈ 2.5 expected
    assert detected >= 80  # power ≈ 0.85 for accuracy 0.72 → 0.60 at n = 300


@given(st.integers(0, 500), st.integers(1, 500))
@settings(max_examples=100, deadline=None)
def test_wilson_interval_is_inside_unit_interval_and_contains_estimate(x: int, n: int) -> None:
    x = min(x, n)
    lo, hi = wilson_interval(x, n)
    assert 0.0 <= lo <= x / n + 1e-12
    assert x / n - 1e-12 <= hi <= 1.0


def test_proportion_change_matches_statsmodels_formula() -> None:
    c = proportion_change((45, 100), (60, 100))
    pooled = 105 / 200
    z = (0.45 - 0.60) / np.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert c.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert c.degraded
    assert not proportion_change((60, 100), (45, 100)).degraded  # better is not degraded


def test_auc_change_symmetry() -> None:
    a = auc_change((0.8, 0.001), (0.75, 0.001))
    b = auc_change((0.75, 0.001), (0.8, 0.001))
    assert a.p_value == pytest.approx(b.p_value)
    assert a.difference == pytest.approx(-b.difference)
    assert b.degraded is (b.p_value < 0.05)
