from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modelsteward.errors import ParameterError
from modelsteward.stats import (
    TestResult,
    _cdf,
    anderson_ksamp,
    cramer_von_mises,
    energy_normed,
    ks_test,
    wasserstein_normed,
)

from .conftest import Pair

TOL = 1e-12

samples = arrays(
    np.float64,
    st.integers(1, 40),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
samples2 = arrays(
    np.float64,
    st.integers(2, 40),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
FAST = settings(max_examples=80, deadline=None)


# --- KS --------------------------------------------------------------------------------


def test_ks_matches_scipy(pair: Pair) -> None:
    ref, cur = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exact mode falling back to asymp
        expected = scipy.stats.ks_2samp(ref, cur)
    got = ks_test(ref, cur)
    assert got.statistic == float(expected.statistic)
    assert got.p_value == pytest.approx(float(expected.pvalue), abs=TOL, rel=TOL)


def test_ks_assume_sorted_gives_the_same_result(pair: Pair) -> None:
    ref, cur = pair
    assert ks_test(np.sort(ref), np.sort(cur), assume_sorted=True) == ks_test(ref, cur)


def test_ks_asymptotic_branch_uses_kstwo() -> None:
    rng = np.random.default_rng(11)
    ref, cur = rng.normal(size=12_000), rng.normal(0.02, size=30_000)
    got = ks_test(ref, cur)
    en = 30_000 * 12_000 / 42_000
    assert got.p_value == pytest.approx(
        float(scipy.stats.kstwo.sf(got.statistic, round(en))), rel=TOL
    )


def test_ks_identical_samples() -> None:
    x = np.array([3.0, 1.0, 2.0, 2.0])
    assert ks_test(x, x) == (0.0, 1.0)


@FAST
@given(samples, samples)
def test_ks_statistic_and_p_value_in_unit_interval(ref: np.ndarray, cur: np.ndarray) -> None:
    statistic, p_value = ks_test(ref, cur)
    assert 0.0 <= statistic <= 1.0
    assert p_value is not None and 0.0 <= p_value <= 1.0


@FAST
@given(samples, samples)
def test_ks_statistic_is_symmetric(ref: np.ndarray, cur: np.ndarray) -> None:
    assert ks_test(ref, cur).statistic == ks_test(cur, ref).statistic


# --- Wasserstein and energy ------------------------------------------------------------


def test_wasserstein_matches_scipy(pair: Pair) -> None:
    ref, cur = pair
    if ref.size < 2:
        ref = np.append(ref, ref[0] + 1.0)
    expected = scipy.stats.wasserstein_distance(ref, cur) / np.std(ref, ddof=1)
    got = wasserstein_normed(ref, cur)
    assert got.p_value is None
    assert got.statistic == pytest.approx(expected, rel=TOL, abs=TOL)
    sorted_got = wasserstein_normed(np.sort(ref), np.sort(cur), assume_sorted=True)
    assert sorted_got.statistic == pytest.approx(got.statistic, rel=TOL, abs=TOL)


def test_energy_matches_scipy_on_standardised_samples(pair: Pair) -> None:
    ref, cur = pair
    if ref.size < 2:
        ref = np.append(ref, ref[0] + 1.0)
    scale = np.std(ref, ddof=1)
    got = energy_normed(ref, cur)
    assert got.p_value is None
    assert got.statistic == pytest.approx(
        scipy.stats.energy_distance(ref / scale, cur / scale), rel=1e-9, abs=TOL
    )
    assert got.statistic == pytest.approx(
        scipy.stats.energy_distance(ref, cur) / math.sqrt(scale), rel=1e-9, abs=TOL
    )
    sorted_got = energy_normed(np.sort(ref), np.sort(cur), assume_sorted=True)
    assert sorted_got.statistic == pytest.approx(got.statistic, rel=TOL, abs=TOL)


def test_constant_reference_is_divided_by_one() -> None:
    ref, cur = np.full(10, 2.0), np.array([1.0, 4.0, 5.0])
    assert wasserstein_normed(ref, cur).statistic == pytest.approx(
        scipy.stats.wasserstein_distance(ref, cur), rel=TOL
    )
    assert energy_normed(ref, cur).statistic == pytest.approx(
        scipy.stats.energy_distance(ref, cur), rel=TOL
    )


@FAST
@given(samples2, samples, st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_normed_distances_are_scale_and_shift_invariant(
    ref: np.ndarray, cur: np.ndarray, scale: float, shift: float
) -> None:
    assume(np.std(ref) > 1e-6 * (1.0 + np.abs(ref).max()))
    for func in (wasserstein_normed, energy_normed):
        base = func(ref, cur).statistic
        moved = func(ref * scale + shift, cur * scale + shift).statistic
        assert moved == pytest.approx(base, rel=1e-6, abs=1e-9)


@FAST
@given(samples2)
def test_normed_distances_are_zero_on_identical_samples(ref: np.ndarray) -> None:
    assert wasserstein_normed(ref, ref).statistic == 0.0
    assert energy_normed(ref, ref).statistic == 0.0


# --- Anderson-Darling and Cramér-von Mises --------------------------------------------


def test_anderson_matches_scipy_without_leaking_warnings(pair: Pair) -> None:
    ref, cur = pair
    if ref.size + cur.size < 4:  # scipy fails or divides by zero below 4 values
        with pytest.raises(ParameterError, match=r"at least 4 values between them. Got"):
            anderson_ksamp(ref, cur)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = scipy.stats.anderson_ksamp([ref, cur])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = anderson_ksamp(ref, cur)
    assert got.statistic == pytest.approx(float(expected.statistic), rel=TOL, abs=TOL)
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=TOL, abs=TOL)
    assert got.p_value is not None and 0.001 <= got.p_value <= 0.25


def test_anderson_needs_two_distinct_values() -> None:
    with pytest.raises(ParameterError, match=r"two distinct values.*Got only 1.0"):
        anderson_ksamp([1.0, 1.0], [1.0, 1.0])
    assert anderson_ksamp([1.0, 1.0, 1.0], [2.0]).statistic == pytest.approx(4.5)


def test_cramer_von_mises_matches_scipy(pair: Pair) -> None:
    ref, cur = pair
    if ref.size < 2 or cur.size < 2:
        with pytest.raises(ParameterError, match=r"at least 2 values"):
            cramer_von_mises(ref, cur)
        return
    expected = scipy.stats.cramervonmises_2samp(ref, cur)
    got = cramer_von_mises(ref, cur)
    assert got.statistic == pytest.approx(float(expected.statistic), rel=TOL, abs=TOL)
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=TOL, abs=TOL)


@settings(max_examples=40, deadline=None)
@given(samples2, samples2)
def test_test_p_values_in_unit_interval(ref: np.ndarray, cur: np.ndarray) -> None:
    assume(np.ptp(np.concatenate((ref, cur))) > 0)  # anderson needs two distinct values
    for func in (anderson_ksamp, cramer_von_mises):
        p_value = func(ref, cur).p_value
        assert p_value is not None and 0.0 <= p_value <= 1.0


# --- validation ------------------------------------------------------------------------

ALL = [ks_test, wasserstein_normed, energy_normed, anderson_ksamp, cramer_von_mises]


@pytest.mark.parametrize("func", ALL)
def test_empty_sample_is_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=rf"'current' parameter of {func.__name__}.*empty"):
        func([1.0, 2.0, 3.0], [])


@pytest.mark.parametrize("func", ALL)
def test_non_finite_values_are_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"'reference'.*finite.*Got 1 non-finite"):
        func([1.0, np.nan, 3.0], [1.0, 2.0])


@pytest.mark.parametrize("func", ALL)
def test_two_dimensional_input_is_rejected(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"1-D.*shape \(2, 2\)"):
        func(np.ones((2, 2)), [1.0, 2.0])


@pytest.mark.parametrize("func", [wasserstein_normed, energy_normed])
def test_normed_distances_need_two_reference_values(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"at least 2 values. Got an array of length 1"):
        func([1.0], [1.0, 2.0])


@pytest.mark.parametrize("func", [ks_test, wasserstein_normed, energy_normed])
def test_assume_sorted_is_checked(func: Callable[..., TestResult]) -> None:
    with pytest.raises(ParameterError, match=r"'current'.*sorted ascending"):
        func([1.0, 2.0], [3.0, 1.0], assume_sorted=True)


@pytest.mark.parametrize(
    "current", [[1.0, np.nan, 2.0], [1.0, 2.0, np.inf], [-np.inf, 1.0], [np.nan, np.nan]]
)
def test_assume_sorted_still_rejects_non_finite_values(current: list[float]) -> None:
    # The sorted path checks order and the two ends only; NaN anywhere must still fail.
    with pytest.raises(ParameterError, match=r"'current'.*finite values only"):
        ks_test([1.0, 2.0], current, assume_sorted=True)


def test_non_numeric_input_is_rejected() -> None:
    with pytest.raises(ParameterError, match=r"numbers"):
        ks_test(["a", "b"], [1.0])


def test_ks_p_value_matches_scipy_asymptotic() -> None:
    from modelsteward.stats import ks_p_value

    rng = np.random.default_rng(11)
    ref, cur = rng.normal(size=30_000), rng.normal(0.02, 1, size=20_000)
    expected = scipy.stats.ks_2samp(ref, cur, method="asymp")
    assert ks_p_value(expected.statistic, ref.size, cur.size) == pytest.approx(
        expected.pvalue, rel=1e-9
    )


def test_ks_p_value_validates() -> None:
    from modelsteward.stats import ks_p_value

    with pytest.raises(ParameterError, match=r"'n_current' parameter of ks_p_value.*Got 0"):
        ks_p_value(0.1, 10, 0)
    with pytest.raises(ParameterError, match=r"'statistic'.*\[0, 1\]. Got 1.5"):
        ks_p_value(1.5, 10, 10)


# --- the sorted-sample kernels ---------------------------------------------------------

tied_samples = arrays(
    np.float64, st.integers(1, 120), elements=st.integers(-8, 8).map(float)
) | arrays(np.float64, st.integers(1, 120), elements=st.floats(-1e3, 1e3))


@settings(max_examples=60, deadline=None)
@given(tied_samples, tied_samples, st.integers(1, 9))
def test_grid_ks_statistic_equals_the_full_merge(
    ref: np.ndarray, cur: np.ndarray, block: int
) -> None:
    ref, cur = np.sort(ref), np.sort(cur)
    assert _cdf.ks_statistic(ref, cur, block=block) == _cdf._ks_by_merge(ref, cur)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exact mode falling back to asymp
        expected = scipy.stats.ks_2samp(ref, cur).statistic
    assert _cdf._ks_by_merge(ref, cur) == pytest.approx(expected, abs=1e-15)
    assert ks_test(ref, cur, assume_sorted=True).statistic == expected


@settings(max_examples=60, deadline=None)
@given(tied_samples, tied_samples)
def test_quantile_wasserstein_equals_scipy(ref: np.ndarray, cur: np.ndarray) -> None:
    expected = scipy.stats.wasserstein_distance(ref, cur)
    got = _cdf.wasserstein1(np.sort(ref), np.sort(cur))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_grid_ks_on_large_samples_with_and_without_drift() -> None:
    rng = np.random.default_rng(5)
    ref = np.sort(rng.normal(size=60_000))
    for cur in (rng.normal(size=45_000), rng.normal(0.05, size=45_000), rng.uniform(size=45_000)):
        cur = np.sort(cur)
        assert _cdf.ks_statistic(ref, cur) == _cdf._ks_by_merge(ref, cur)
    tiny = np.array([-0.1, 0.0, 0.2])
    assert _cdf.ks_statistic(ref, tiny) == _cdf._ks_by_merge(ref, tiny)
    assert _cdf.ks_statistic(tiny, ref) == _cdf._ks_by_merge(tiny, ref)
    ties = np.sort(rng.integers(0, 3, size=40_000).astype(float))
    assert _cdf.ks_statistic(ties, ties[::2]) == _cdf._ks_by_merge(ties, ties[::2])
