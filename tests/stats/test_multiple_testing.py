from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modelsteward.errors import ParameterError
from modelsteward.stats import benjamini_hochberg, holm

P_SETS = [
    [0.01, 0.04, 0.03, 0.5],
    [0.2],
    [0.0, 1.0],
    [0.05, 0.05, 0.05],
    [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
    list(np.random.default_rng(0).uniform(size=30)),
]


def _holm_textbook(p: list[float]) -> list[float]:
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


@pytest.mark.parametrize("p", P_SETS)
def test_holm_textbook(p: list[float]) -> None:
    np.testing.assert_allclose(holm(p), _holm_textbook(p), rtol=1e-12)


def test_holm_worked_example() -> None:
    # m = 4: sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.09, max(0.09, 0.08), min(1, 0.5)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])


@pytest.mark.parametrize("p", P_SETS)
def test_benjamini_hochberg_matches_scipy(p: list[float]) -> None:
    np.testing.assert_allclose(
        benjamini_hochberg(p), scipy.stats.false_discovery_control(p), rtol=1e-12
    )


p_arrays = arrays(np.float64, st.integers(1, 50), elements=st.floats(0.0, 1.0))


@settings(max_examples=100, deadline=None)
@given(p_arrays)
def test_adjustments_are_monotone_bounded_and_ordered(p: np.ndarray) -> None:
    h, bh = holm(p), benjamini_hochberg(p)
    order = np.argsort(p, kind="stable")
    for adjusted in (h, bh):
        assert (adjusted >= p).all()
        assert (adjusted <= 1.0).all()
        assert (np.diff(adjusted[order]) >= 0).all()
    assert (bh <= h + 1e-15).all()  # BH is never more conservative than Holm


@pytest.mark.parametrize("func", [holm, benjamini_hochberg])
def test_bad_p_values_are_rejected(func: Callable[..., np.ndarray]) -> None:
    with pytest.raises(ParameterError, match=r"'p_values' parameter of .*at least one"):
        func([])
    with pytest.raises(ParameterError, match=r"in \[0, 1\]. Got 1.5 instead"):
        func([0.1, 1.5])
    with pytest.raises(ParameterError, match=r"in \[0, 1\]. Got nan instead"):
        func([np.nan])
    with pytest.raises(ParameterError, match=r"1-D"):
        func([[0.1, 0.2]])
