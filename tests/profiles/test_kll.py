from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.profiles import KLLSketch, normalized_rank_error
from tests.profiles._helpers import max_cdf_error, max_quantile_error

QS = np.linspace(0.0, 1.0, 201)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
arrays = st.lists(finite, min_size=0, max_size=600).map(lambda xs: np.asarray(xs, dtype=float))


def sketch_of(values: np.ndarray, k: int = 50, seed: int = 0) -> KLLSketch:
    return KLLSketch(k, seed=seed).update(values)


def test_error_bound_is_datasketches_table() -> None:
    assert normalized_rank_error(200) == pytest.approx(0.01329, abs=1e-4)
    assert normalized_rank_error(200, pmf=True) == pytest.approx(0.01651, abs=1e-4)
    sketch = KLLSketch(200)
    sketch.update(np.arange(200.0))
    assert sketch.is_exact and sketch.rank_error == 0.0
    sketch.update([1.0])
    assert not sketch.is_exact and sketch.rank_error == normalized_rank_error(200)


def test_exact_while_small_matches_numpy_inverted_cdf() -> None:
    data = np.random.default_rng(0).normal(size=150)
    sketch = KLLSketch(200).update(data)
    assert sketch.is_exact and sketch.num_retained == 150
    qs = np.linspace(0, 1, 37)
    np.testing.assert_array_equal(
        sketch.quantiles(qs), np.quantile(data, qs, method="inverted_cdf")
    )
    np.testing.assert_allclose(sketch.cdf(data), (np.sort(data)[:, None] <= data).sum(0) / 150)


@pytest.mark.parametrize("distribution", ["uniform", "normal", "pareto", "ties"])
@pytest.mark.parametrize("batch", [1_000_000, 4_096])
def test_rank_error_within_bound_on_a_million(distribution: str, batch: int) -> None:
    rng = np.random.default_rng(7)
    n = 1_000_000
    data = {
        "uniform": lambda: rng.uniform(size=n),
        "normal": lambda: rng.normal(size=n),
        "pareto": lambda: rng.pareto(1.1, size=n),
        "ties": lambda: rng.integers(0, 7, size=n).astype(float),
    }[distribution]()
    sketch = KLLSketch(200, seed=1)
    for start in range(0, n, batch):
        sketch.update(data[start : start + batch])
    assert sketch.n == n and sketch.min == data.min() and sketch.max == data.max()
    assert sketch.num_retained < 700
    assert max_cdf_error(sketch, data) <= sketch.rank_error
    assert max_quantile_error(sketch, data, QS) <= sketch.rank_error


def test_rank_error_after_many_merges() -> None:
    rng = np.random.default_rng(3)
    data = rng.standard_cauchy(size=200_000)
    parts = [KLLSketch(seed=i).update(part) for i, part in enumerate(np.array_split(data, 64))]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged.n == data.size
    assert max_cdf_error(merged, data) <= merged.rank_error
    assert max_quantile_error(merged, data, QS) <= merged.rank_error


def test_deterministic_under_seed() -> None:
    data = np.random.default_rng(5).normal(size=50_000)
    a = KLLSketch(seed=9).update(data).to_dict()
    b = KLLSketch(seed=9).update(data).to_dict()
    assert a == b


@settings(max_examples=60, deadline=None)
@given(arrays, arrays, arrays)
def test_merge_associative_and_commutative(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    a, b, c = sketch_of(x), sketch_of(y), sketch_of(z)
    before = [s.to_dict() for s in (a, b, c)]
    left = a.merge(b).merge(c)
    right = a.merge(b.merge(c))
    swapped = c.merge(b).merge(a)
    assert [s.to_dict() for s in (a, b, c)] == before  # inputs unchanged
    assert a.merge(b).to_dict() == b.merge(a).to_dict()  # same seed and k: identical
    data = np.concatenate([x, y, z])
    for merged in (left, right, swapped):
        assert merged.n == data.size
        if data.size:
            assert merged.min == data.min() and merged.max == data.max()
            assert max_quantile_error(merged, data, QS) <= merged.rank_error + 1e-12
            assert max_cdf_error(merged, data) <= merged.rank_error + 1e-12


@settings(max_examples=40, deadline=None)
@given(arrays, st.integers(0, 2**32))
def test_dict_round_trip_exact(x: np.ndarray, seed: int) -> None:
    sketch = sketch_of(x, seed=seed)
    again = KLLSketch.from_dict(sketch.to_dict())
    assert again.to_dict() == sketch.to_dict()
    np.testing.assert_array_equal(again.quantiles(QS), sketch.quantiles(QS))


def test_empty_and_invalid() -> None:
    sketch = KLLSketch()
    assert np.isnan(sketch.quantiles([0.5])).all() and np.isnan(sketch.cdf([0.0])).all()
    assert np.isnan(sketch.min)
    with pytest.raises(ParameterError, match="'k' parameter"):
        KLLSketch(4)
    with pytest.raises(ParameterError, match="finite"):
        sketch.update([1.0, np.nan])
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        KLLSketch().update([1.0]).quantiles([1.5])
    broken = KLLSketch().update(np.arange(300.0)).to_dict()
    broken["n"] += 1
    with pytest.raises(ValueError, match="weigh"):
        KLLSketch.from_dict(broken)
