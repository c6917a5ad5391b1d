from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modelsteward.errors import ParameterError
from modelsteward.stats import histogram_counts, quantile_edges

from .conftest import Pair

samples = arrays(
    np.float64,
    st.integers(1, 60),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@pytest.mark.parametrize("bins", [2, 3, 10, 17])
def test_edges_are_deduplicated_numpy_quantiles(pair: Pair, bins: int) -> None:
    ref, _ = pair
    expected = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    np.testing.assert_array_equal(quantile_edges(ref, bins), expected)
    np.testing.assert_array_equal(quantile_edges(np.sort(ref), bins, assume_sorted=True), expected)


@settings(max_examples=100, deadline=None)
@given(samples, st.integers(2, 30))
def test_sorted_quantiles_are_bit_identical_to_numpy(ref: np.ndarray, bins: int) -> None:
    expected = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    np.testing.assert_array_equal(quantile_edges(np.sort(ref), bins, assume_sorted=True), expected)


def test_ties_collapse_bins() -> None:
    assert quantile_edges(np.ones(100), bins=10).tolist() == [1.0]


def _count_by_hand(values: np.ndarray, edges: np.ndarray) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[sum(1 for e in edges if e < v)] += 1
    return counts


def test_counts_match_the_bin_definition(pair: Pair) -> None:
    ref, cur = pair
    edges = quantile_edges(ref, 5)
    for values in (ref, cur):
        expected = _count_by_hand(values, edges)
        assert histogram_counts(values, edges).tolist() == expected
        assert histogram_counts(np.sort(values), edges, assume_sorted=True).tolist() == expected


def test_values_outside_the_reference_range_land_in_the_outer_bins() -> None:
    edges = quantile_edges([1.0, 2.0, 3.0, 4.0], bins=2)
    assert histogram_counts([-100.0, 100.0], edges).tolist() == [1, 1]


def test_a_value_on_an_edge_belongs_to_the_bin_on_its_left() -> None:
    assert histogram_counts([1.0, 2.0], [1.0, 2.0]).tolist() == [1, 1, 0]


def test_no_edges_means_one_bin() -> None:
    assert histogram_counts([1.0, 2.0, 3.0], []).tolist() == [3]


@settings(max_examples=100, deadline=None)
@given(samples, samples, st.integers(2, 12))
def test_counts_sum_to_the_sample_size(ref: np.ndarray, cur: np.ndarray, bins: int) -> None:
    edges = quantile_edges(ref, bins)
    counts = histogram_counts(cur, edges)
    assert counts.sum() == cur.size
    assert (counts >= 0).all()
    np.testing.assert_array_equal(histogram_counts(np.sort(cur), edges, assume_sorted=True), counts)


def test_bins_must_be_an_int_of_at_least_two() -> None:
    with pytest.raises(ParameterError) as info:
        quantile_edges([1.0, 2.0], bins=1)
    assert str(info.value) == (
        "The 'bins' parameter of quantile_edges must be an int >= 2. Got 1 instead."
    )
    for bad in (2.5, True, "10"):
        with pytest.raises(ParameterError, match=r"'bins'"):
            quantile_edges([1.0, 2.0], bins=bad)  # type: ignore[arg-type]


def test_edges_must_increase() -> None:
    with pytest.raises(ParameterError, match=r"strictly increasing. Got \[2.0, 1.0\]"):
        histogram_counts([1.0], [2.0, 1.0])


def test_empty_values_are_rejected() -> None:
    with pytest.raises(ParameterError, match=r"'values' parameter of histogram_counts"):
        histogram_counts([], [1.0])
    with pytest.raises(ParameterError, match=r"'reference' parameter of quantile_edges"):
        quantile_edges([], 4)
