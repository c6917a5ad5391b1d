from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.stats import TestResult, chi_square, fisher_exact, z_test_proportions

TOL = 1e-12

TABLES: list[tuple[list[float], list[float]]] = [
    ([50, 30, 20], [30, 30, 40]),
    ([10, 0, 5], [0, 7, 5]),  # categories seen on one side only
    ([3, 4], [6, 1]),
    ([1, 1], [1, 1]),
    ([1000, 2000, 3000, 4000], [1100, 1900, 3050, 3950]),
    ([5.0, 0.0, 2.0, 0.0], [1.0, 0.0, 6.0, 2.0]),  # one category empty on both sides
]


@pytest.mark.parametrize(("ref", "cur"), TABLES)
def test_chi_square_matches_scipy(ref: list[float], cur: list[float]) -> None:
    table = np.array([ref, cur], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    expected = scipy.stats.chi2_contingency(table, correction=False)
    got = chi_square(ref, cur)
    assert got.statistic == pytest.approx(float(expected.statistic), rel=TOL, abs=TOL)
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=TOL, abs=TOL)


def test_chi_square_with_one_category_is_no_evidence() -> None:
    assert chi_square([5], [9]) == (0.0, 1.0)
    assert chi_square([5, 0], [9, 0]) == (0.0, 1.0)


@pytest.mark.parametrize(("ref", "cur"), [t for t in TABLES if len(t[0]) == 2])
def test_z_test_squared_is_chi_square_on_two_categories(ref: list[float], cur: list[float]) -> None:
    z = z_test_proportions(ref, cur)
    chi = chi_square(ref, cur)
    assert z.statistic**2 == pytest.approx(chi.statistic, rel=1e-10, abs=TOL)
    assert z.p_value == pytest.approx(chi.p_value, rel=1e-10, abs=TOL)


@pytest.mark.parametrize(("ref", "cur"), TABLES)
def test_z_test_textbook(ref: list[float], cur: list[float]) -> None:
    n1, n2, x1, x2 = sum(ref), sum(cur), ref[0], cur[0]
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / se
    p = math.erfc(abs(z) / math.sqrt(2))
    got = z_test_proportions(ref, cur)
    assert got.statistic == pytest.approx(z, rel=1e-10, abs=TOL)
    assert got.p_value == pytest.approx(p, rel=1e-9, abs=TOL)


def test_z_test_without_variation_is_no_evidence() -> None:
    assert z_test_proportions([0, 5], [0, 7]) == (0.0, 1.0)
    assert z_test_proportions([5], [7]) == (0.0, 1.0)


def test_z_test_sign_follows_the_current_share() -> None:
    assert z_test_proportions([50, 50], [70, 30]).statistic > 0
    assert z_test_proportions([50, 50], [30, 70]).statistic < 0


@pytest.mark.parametrize(
    ("ref", "cur"), [([8, 2], [1, 5]), ([3, 4], [6, 1]), ([0, 5], [5, 0]), ([2, 0], [1, 3])]
)
def test_fisher_two_categories_matches_scipy(ref: list[int], cur: list[int]) -> None:
    expected = scipy.stats.fisher_exact([ref, cur])
    got = fisher_exact(ref, cur)
    assert got.statistic == pytest.approx(float(expected.statistic), rel=TOL)
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=TOL)


@pytest.mark.parametrize(
    ("ref", "cur", "seed"),
    [([3, 4, 5, 2], [6, 1, 2, 8], 0), ([1, 2, 3], [3, 2, 1], 1), ([5, 0, 1], [0, 4, 2], 2)],
)
def test_fisher_more_categories_reproduces_scipy_monte_carlo(
    ref: list[int], cur: list[int], seed: int
) -> None:
    method = scipy.stats.MonteCarloMethod(n_resamples=2000, rng=np.random.default_rng(seed))
    expected = scipy.stats.fisher_exact([ref, cur], method=method)
    got = fisher_exact(ref, cur, n_resamples=2000, seed=seed)
    assert got.statistic == pytest.approx(float(expected.statistic), rel=1e-9)
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=TOL)


def test_fisher_more_categories_is_reproducible_and_copes_with_large_totals() -> None:
    ref, cur = [300_000, 400_000, 5_000], [300_000, 100_000, 5_000]
    first = fisher_exact(ref, cur)
    assert first == fisher_exact(ref, cur)
    assert first.p_value == pytest.approx(1 / 10_000)


def test_fisher_drops_empty_categories() -> None:
    assert fisher_exact([8, 0, 2], [1, 0, 5]) == fisher_exact([8, 2], [1, 5])
    assert fisher_exact([4, 0], [3, 0]) == (1.0, 1.0)


def test_fisher_needs_whole_counts() -> None:
    with pytest.raises(ParameterError, match=r"'current_counts'.*whole-number.*Got 1.5"):
        fisher_exact([1, 2], [1.5, 2])


count_pairs = st.integers(1, 6).flatmap(
    lambda k: st.tuples(
        st.lists(st.integers(0, 40), min_size=k, max_size=k).filter(lambda c: sum(c) > 0),
        st.lists(st.integers(0, 40), min_size=k, max_size=k).filter(lambda c: sum(c) > 0),
    )
)


@settings(max_examples=60, deadline=None)
@given(count_pairs)
def test_p_values_in_unit_interval(pair: tuple[list[int], list[int]]) -> None:
    ref, cur = pair
    for result in (chi_square(ref, cur), z_test_proportions(ref, cur)):
        assert result.p_value is not None and 0.0 <= result.p_value <= 1.0
        assert math.isfinite(result.statistic)
    assert chi_square(ref, cur).statistic >= 0.0
    if len(ref) <= 2:
        p_value = fisher_exact(ref, cur).p_value
        assert p_value is not None and 0.0 <= p_value <= 1.0


@pytest.mark.parametrize("func", [chi_square, z_test_proportions, fisher_exact])
def test_bad_counts_are_rejected(func: Callable[..., TestResult]) -> None:
    name = func.__name__
    with pytest.raises(ParameterError, match=rf"'current_counts' parameter of {name}.*\(2\)"):
        func([1, 2], [1, 2, 3])
    with pytest.raises(ParameterError, match=r"'reference_counts'.*>= 0. Got -3.0"):
        func([-3, 2], [1, 2])
    with pytest.raises(ParameterError, match=r"at least one bin. Got an empty array"):
        func([], [])
