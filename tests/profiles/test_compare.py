from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.profiles import (
    ColumnProfile,
    approx_ks,
    approx_wasserstein,
    binned_counts,
    profile_table,
)

DISTRIBUTIONS = {
    "normal": lambda rng, n: rng.normal(size=n),
    "uniform": lambda rng, n: rng.uniform(-2, 2, size=n),
    "lognormal": lambda rng, n: rng.lognormal(sigma=1.0, size=n),
    "student_t2": lambda rng, n: rng.standard_t(2, size=n),
    "ties": lambda rng, n: rng.integers(0, 6, size=n).astype(float),
}


def numeric(values: np.ndarray, *, k: int = 200, seed: int = 0) -> ColumnProfile:
    profile = ColumnProfile.new("x", "numeric", k=k, seed=seed)
    for part in np.array_split(values, 3):
        profile.update(pa.array(part))
    return profile


samples = st.tuples(
    st.sampled_from(sorted(DISTRIBUTIONS)),
    st.integers(1, 30_000),
    st.integers(1, 30_000),
    st.floats(-1.0, 1.0),
    st.floats(0.5, 2.0),
    st.integers(0, 2**31),
)


def draw(sample: tuple[str, int, int, float, float, int]) -> tuple[np.ndarray, np.ndarray]:
    name, n_ref, n_cur, shift, scale, seed = sample
    rng = np.random.default_rng(seed)
    ref = DISTRIBUTIONS[name](rng, n_ref)
    cur = DISTRIBUTIONS[name](rng, n_cur) * scale + shift
    return ref, cur


@settings(max_examples=40, deadline=None)
@given(samples)
def test_approx_ks_within_its_bound_of_scipy(
    sample: tuple[str, int, int, float, float, int],
) -> None:
    ref, cur = draw(sample)
    statistic, bound = approx_ks(numeric(ref, seed=1), numeric(cur, seed=2))
    exact = scipy.stats.ks_2samp(ref, cur).statistic
    assert abs(statistic - exact) <= bound + 1e-12
    assert 0.0 <= statistic <= 1.0


def test_approx_ks_exact_on_small_samples() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(size=150), rng.normal(0.3, size=120)
    statistic, bound = approx_ks(numeric(ref), numeric(cur))
    assert bound == 0.0
    assert statistic == pytest.approx(scipy.stats.ks_2samp(ref, cur).statistic, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(samples)
def test_approx_wasserstein_within_its_bound(
    sample: tuple[str, int, int, float, float, int],
) -> None:
    ref, cur = draw(sample)
    if np.std(ref) == 0:
        return
    distance, bound = approx_wasserstein(numeric(ref, seed=1), numeric(cur, seed=2))
    exact = scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert abs(distance - exact) <= bound + 1e-9 * max(1.0, exact)


#: Measured |approx - exact| of the normed W1 (300k vs 300k values, 10 seeds, k=200):
#: normal 0.0066, uniform 0.0049, ties 0.0034, lognormal 0.014, Student t(2) 0.051.
MEASURED_W1_ERROR = {
    "normal": 0.01,
    "uniform": 0.01,
    "ties": 0.01,
    "lognormal": 0.03,
    "student_t2": 0.1,
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_approx_wasserstein_measured_error_is_small(name: str) -> None:
    """On 200k vs 200k values the error is far inside the (range-based) bound."""
    rng = np.random.default_rng(11)
    ref = DISTRIBUTIONS[name](rng, 200_000)
    cur = DISTRIBUTIONS[name](rng, 200_000) * 1.1 + 0.1
    distance, bound = approx_wasserstein(numeric(ref), numeric(cur))
    exact = scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert abs(distance - exact) <= min(bound, MEASURED_W1_ERROR[name])


def test_approx_wasserstein_exact_on_small_samples() -> None:
    rng = np.random.default_rng(1)
    ref, cur = rng.exponential(size=100), rng.exponential(size=77) + 0.2
    distance, bound = approx_wasserstein(numeric(ref), numeric(cur))
    assert bound == 0.0
    exact = scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert distance == pytest.approx(exact, rel=1e-12)


def test_binned_counts_numeric_exact_against_reference() -> None:
    rng = np.random.default_rng(4)
    reference = profile_table(pa.table({"x": rng.normal(size=50_000)}))
    current_values = rng.normal(0.2, size=30_000)
    current = profile_table(pa.table({"x": current_values}), reference=reference)
    counts = binned_counts(reference["x"], current["x"])
    ref_counts, cur_counts = counts
    assert not counts.estimated and counts.current_error == 0.0
    assert counts.edges is not None
    np.testing.assert_array_equal(
        cur_counts,
        np.bincount(np.searchsorted(counts.edges, current_values, side="right"), minlength=20),
    )
    assert ref_counts.sum() == 50_000 and cur_counts.sum() == 30_000


def test_binned_counts_numeric_estimated_from_the_sketch() -> None:
    rng = np.random.default_rng(5)
    reference = profile_table(pa.table({"x": rng.normal(size=50_000)}))
    current_values = rng.standard_t(3, size=80_000)
    current = profile_table(pa.table({"x": current_values}))  # its own edges
    counts = binned_counts(reference["x"], current["x"])
    assert counts.estimated and counts.reference_error == 0.0
    assert counts.edges is not None
    assert counts.current_error == pytest.approx(2 * current["x"].sketch.rank_error * 80_000)  # type: ignore[union-attr]
    exact = np.bincount(np.searchsorted(counts.edges, current_values, side="right"), minlength=20)
    assert counts.current.sum() == 80_000
    assert np.max(np.abs(counts.current - exact)) <= counts.current_error


def test_binned_counts_categorical_union_and_other() -> None:
    reference = profile_table(pa.table({"c": ["a", "b", "b", "c"]}))
    current = profile_table(pa.table({"c": ["b", "d", "d"]}))
    counts = binned_counts(reference["c"], current["c"])
    assert counts.categories == ("a", "b", "c", "d") and not counts.has_other
    assert counts.reference.tolist() == [1, 2, 1, 0] and counts.current.tolist() == [0, 1, 0, 2]
    capped = profile_table(pa.table({"c": list("aaabbcdef")}), max_categories=2)
    with_other = binned_counts(reference["c"], capped["c"])
    assert with_other.has_other and with_other.categories is not None
    assert with_other.categories[-1] == "(other)"
    assert with_other.current.sum() == 9 and with_other.reference.sum() == 4
    assert with_other.current_error > 0 and with_other.estimated


def test_mismatched_or_unusable_columns() -> None:
    numeric_profile = profile_table(pa.table({"x": [1.0, 2.0]}))["x"]
    categorical = profile_table(pa.table({"x": ["a"]}))["x"]
    with pytest.raises(SchemaError, match="'x' is numeric in the reference and categorical"):
        binned_counts(numeric_profile, categorical)
    with pytest.raises(ParameterError, match="no quantile sketch"):
        approx_ks(categorical, categorical)
    empty = ColumnProfile.new("x", "numeric")
    with pytest.raises(ParameterError, match="no finite values in the current"):
        approx_wasserstein(numeric_profile, empty)
    ident = ColumnProfile.new("x", "id")
    with pytest.raises(ParameterError, match="no distribution"):
        binned_counts(ident, ident)
