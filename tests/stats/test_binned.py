from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon as scipy_jensenshannon

from modelsteward.errors import ParameterError
from modelsteward.stats import (
    TestResult,
    hellinger,
    hellinger_numeric,
    histogram_counts,
    jensenshannon,
    jensenshannon_numeric,
    psi,
    psi_numeric,
    quantile_edges,
    total_variation,
)

from .conftest import Pair

TOL = 1e-12

COUNT_PAIRS = [
    ([50, 30, 20], [30, 30, 40]),
    ([1, 0], [0, 1]),
    ([10], [3]),
    ([5, 0, 5], [5, 5, 0]),
    ([1000, 1, 1, 1], [1, 1, 1, 1000]),
    ([0.5, 2.5, 7.0], [1.0, 1.0, 1.0]),  # profile counts may be weighted
]


def _props(ref: list[float], cur: list[float]) -> tuple[list[float], list[float]]:
    return [r / sum(ref) for r in ref], [c / sum(cur) for c in cur]


@pytest.mark.parametrize(("ref", "cur"), COUNT_PAIRS)
def test_psi_textbook(ref: list[float], cur: list[float]) -> None:
    p, q = _props(ref, cur)
    expected = 0.0
    for r, c in zip(p, q, strict=True):
        r, c = max(r, 1e-4), max(c, 1e-4)
        expected += (c - r) * math.log(c / r)
    assert psi(ref, cur).statistic == pytest.approx(expected, rel=TOL, abs=TOL)
    assert psi(ref, cur).p_value is None


@pytest.mark.parametrize(("ref", "cur"), COUNT_PAIRS)
def test_jensenshannon_matches_scipy(ref: list[float], cur: list[float]) -> None:
    expected = scipy_jensenshannon(np.asarray(ref, float), np.asarray(cur, float), base=2)
    assert jensenshannon(ref, cur).statistic == pytest.approx(expected, rel=TOL, abs=1e-7)


@pytest.mark.parametrize(("ref", "cur"), COUNT_PAIRS)
def test_hellinger_textbook(ref: list[float], cur: list[float]) -> None:
    p, q = _props(ref, cur)
    euclidean = math.sqrt(
        sum((math.sqrt(a) - math.sqrt(b)) ** 2 for a, b in zip(p, q, strict=True))
    )
    assert hellinger(ref, cur).statistic == pytest.approx(euclidean / math.sqrt(2), abs=1e-7)


@pytest.mark.parametrize(("ref", "cur"), COUNT_PAIRS)
def test_total_variation_textbook(ref: list[float], cur: list[float]) -> None:
    p, q = _props(ref, cur)
    expected = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    assert total_variation(ref, cur).statistic == pytest.approx(expected, rel=TOL, abs=TOL)


def test_disjoint_distributions_are_at_distance_one() -> None:
    for func in (jensenshannon, hellinger, total_variation):
        assert func([3, 0], [0, 7]).statistic == pytest.approx(1.0)


def test_psi_smoothing_bounds_empty_bins() -> None:
    assert math.isfinite(psi([10, 0], [0, 10]).statistic)
    assert psi([10, 0], [0, 10], smoothing=0.01).statistic < psi([10, 0], [0, 10]).statistic
    with pytest.raises(ParameterError, match=r"'smoothing' parameter of psi.*\(0, 1\). Got 0"):
        psi([1], [1], smoothing=0)


# --- properties ------------------------------------------------------------------------

count_vectors = st.integers(1, 12).flatmap(
    lambda k: st.tuples(
        st.lists(st.integers(0, 10_000), min_size=k, max_size=k).filter(lambda c: sum(c) > 0),
        st.lists(st.integers(0, 10_000), min_size=k, max_size=k).filter(lambda c: sum(c) > 0),
    )
)
PROPS = settings(max_examples=100, deadline=None)


@PROPS
@given(count_vectors)
def test_psi_is_non_negative_and_zero_on_identical(pair: tuple[list[int], list[int]]) -> None:
    ref, cur = pair
    assert psi(ref, cur).statistic >= 0.0
    assert psi(ref, ref).statistic == 0.0
    assert psi(ref, [3 * c for c in ref]).statistic == pytest.approx(0.0, abs=1e-12)


@PROPS
@given(count_vectors)
def test_distances_are_bounded_symmetric_and_zero_on_identical(
    pair: tuple[list[int], list[int]],
) -> None:
    ref, cur = pair
    for func in (jensenshannon, hellinger, total_variation):
        value = func(ref, cur).statistic
        assert 0.0 <= value <= 1.0
        assert value == pytest.approx(func(cur, ref).statistic, abs=1e-12)
        assert func(ref, ref).statistic == pytest.approx(0.0, abs=1e-7)


# --- numeric binned variants -----------------------------------------------------------


@pytest.mark.parametrize(
    ("numeric", "binned"),
    [(psi_numeric, psi), (jensenshannon_numeric, jensenshannon), (hellinger_numeric, hellinger)],
)
@pytest.mark.parametrize("bins", [2, 10])
def test_numeric_variants_bin_on_reference_quantiles(
    pair: Pair,
    numeric: Callable[..., TestResult],
    binned: Callable[..., TestResult],
    bins: int,
) -> None:
    ref, cur = pair
    edges = quantile_edges(ref, bins)
    expected = binned(histogram_counts(ref, edges), histogram_counts(cur, edges))
    assert numeric(ref, cur, bins=bins) == expected
    assert numeric(np.sort(ref), np.sort(cur), bins=bins, assume_sorted=True) == expected


def test_numeric_psi_detects_a_shift() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=20_000)
    assert psi_numeric(ref, rng.normal(size=20_000)).statistic < 0.01
    assert psi_numeric(ref, rng.normal(1.0, size=20_000)).statistic > 0.25


# --- validation ------------------------------------------------------------------------

BINNED = [psi, jensenshannon, hellinger, total_variation]


@pytest.mark.parametrize("func", BINNED)
def test_length_mismatch_is_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError) as info:
        func([1, 2, 3], [1, 2])
    assert str(info.value) == (
        f"The 'current_counts' parameter of {func.__name__} must have the same length as "
        "'reference_counts' (3). Got length 2 instead."
    )


@pytest.mark.parametrize("func", BINNED)
def test_negative_counts_are_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"'current_counts'.*>= 0. Got -1.0 instead"):
        func([1, 2], [3, -1])


@pytest.mark.parametrize("func", BINNED)
def test_empty_or_all_zero_counts_are_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"at least one bin"):
        func([], [])
    with pytest.raises(ParameterError, match=r"'reference_counts'.*positive total"):
        func([0, 0], [1, 1])


def test_numeric_bins_message() -> None:
    with pytest.raises(ParameterError) as info:
        psi_numeric([1.0, 2.0], [1.0], bins=1)
    assert str(info.value) == (
        "The 'bins' parameter of psi_numeric must be an int >= 2. Got 1 instead."
    )


@pytest.mark.parametrize("func", [psi_numeric, jensenshannon_numeric, hellinger_numeric])
def test_numeric_variants_reject_empty_samples(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=rf"'current' parameter of {func.__name__}"):
        func([1.0, 2.0], [])
