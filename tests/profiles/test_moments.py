from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.profiles import Moments

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
arrays = st.lists(finite, min_size=0, max_size=50).map(lambda xs: np.asarray(xs, dtype=float))


def close(a: Moments, b: Moments) -> None:
    assert a.count == b.count and a.min == b.min and a.max == b.max
    if a.count == 0:
        return
    scale = max(abs(a.mean), a.max - a.min, 1.0)
    assert a.mean == pytest.approx(b.mean, rel=1e-9, abs=1e-9 * scale)
    for k, (x, y) in enumerate(((a.m2, b.m2), (a.m3, b.m3), (a.m4, b.m4)), start=2):
        tolerance = 1e-9 * a.count * scale**k
        assert x == pytest.approx(y, rel=1e-9, abs=tolerance)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.normal(3.0, 2.0, 100_000),
        lambda rng: rng.exponential(1.0, 100_000),
        lambda rng: rng.standard_t(5, 100_000) * 1e3 + 1e6,
        lambda rng: rng.integers(0, 3, 1000).astype(float),
    ],
)
def test_against_numpy_and_scipy(make: object) -> None:
    data = make(np.random.default_rng(0))  # type: ignore[operator]
    parts = np.array_split(data, 7)
    moments = Moments()
    for part in parts:
        moments.update(part)
    assert moments.count == data.size
    assert moments.mean == pytest.approx(np.mean(data), rel=1e-12)
    assert moments.variance == pytest.approx(np.var(data, ddof=1), rel=1e-10)
    assert moments.std == pytest.approx(np.std(data, ddof=1), rel=1e-10)
    assert moments.population_std == pytest.approx(np.std(data), rel=1e-10)
    assert moments.skewness == pytest.approx(scipy.stats.skew(data), rel=1e-8, abs=1e-10)
    assert moments.kurtosis == pytest.approx(scipy.stats.kurtosis(data), rel=1e-8, abs=1e-10)
    assert (moments.min, moments.max) == (data.min(), data.max())


@settings(max_examples=150, deadline=None)
@given(arrays, arrays, arrays)
def test_merge_associative_and_commutative(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    a, b, c = Moments.of(x), Moments.of(y), Moments.of(z)
    whole = Moments.of(np.concatenate([x, y, z]))
    close(a.merge(b).merge(c), a.merge(b.merge(c)))
    close(a.merge(b), b.merge(a))
    close(a.merge(b).merge(c), whole)


def test_degenerate_and_round_trip() -> None:
    assert math.isnan(Moments().variance) and math.isnan(Moments.of([1.0]).std)
    constant = Moments.of([2.0, 2.0, 2.0])
    assert constant.variance == 0.0 and math.isnan(constant.skewness)
    assert math.isnan(constant.kurtosis)
    m = Moments.of(np.random.default_rng(1).normal(size=100))
    assert Moments.from_dict(m.to_dict()) == m
    assert Moments.from_dict(Moments().to_dict()) == Moments()
    with pytest.raises(ParameterError, match="finite"):
        Moments.of([1.0, math.inf])


def test_overflowing_sums_still_serialise() -> None:
    m = Moments.of([1e200, -1e200, 5.0])
    assert math.isinf(m.m2) and math.isinf(m.m4)
    data = m.to_dict()
    assert data["m2"] == "inf"
    again = Moments.from_dict(data)
    assert again.count == 3 and math.isinf(again.m2) and again.max == 1e200
    with pytest.raises(ValueError, match="expected a number"):
        Moments.from_dict(dict(data, mean="lots"))
