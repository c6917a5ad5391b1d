from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.profiles import Histogram

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
arrays = st.lists(finite, max_size=80).map(lambda xs: np.asarray(xs, dtype=float))
EDGES = np.array([-10.0, -1.0, 0.0, 2.5, 50.0])


@settings(max_examples=100, deadline=None)
@given(arrays)
def test_counts_match_numpy_histogram(values: np.ndarray) -> None:
    counts = Histogram(EDGES).update(values).counts
    # numpy bins are [a, b) except the last; close the outer bins with values out of range.
    outer = np.concatenate([[-1e9], EDGES, [1e9]])
    expected, _ = np.histogram(values, bins=outer)
    np.testing.assert_array_equal(counts, expected)
    assert counts.size == EDGES.size + 1 and counts.sum() == values.size


def test_edge_values_go_to_the_right_bin() -> None:
    assert Histogram([0.0, 1.0]).update([0.0, 1.0, 1.0 - 1e-12]).counts.tolist() == [0, 2, 1]
    assert Histogram([]).update([1.0, -5.0]).counts.tolist() == [2]


@settings(max_examples=60, deadline=None)
@given(arrays, arrays, arrays)
def test_merge_associative_commutative_exact(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    a, b, c = (Histogram(EDGES).update(v) for v in (x, y, z))
    whole = Histogram(EDGES).update(np.concatenate([x, y, z])).counts
    np.testing.assert_array_equal(a.merge(b).merge(c).counts, whole)
    np.testing.assert_array_equal(a.merge(b.merge(c)).counts, whole)
    np.testing.assert_array_equal(a.merge(b).counts, b.merge(a).counts)


def test_different_edges_refuse_to_merge() -> None:
    with pytest.raises(ParameterError, match=r"binned differently.*same reference"):
        Histogram([0.0, 1.0]).merge(Histogram([0.0, 2.0]))


def test_validation_and_round_trip() -> None:
    with pytest.raises(ParameterError, match="strictly increasing"):
        Histogram([1.0, 1.0])
    with pytest.raises(ParameterError, match="finite"):
        Histogram([0.0]).update([np.inf])
    h = Histogram(EDGES).update([1.0, 2.0, 99.0])
    again = Histogram.from_dict(h.to_dict())
    assert again.to_dict() == h.to_dict()
    with pytest.raises(ValueError):
        Histogram.from_dict({"edges": [0.0], "counts": [1]})
