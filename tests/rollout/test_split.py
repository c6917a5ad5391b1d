from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chisquare

from modelsteward.rollout import assign, bucket, srm_check


@given(key=st.text(max_size=50), low=st.floats(0, 100), high=st.floats(0, 100))
def test_sticky_and_monotone(key: str, low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert assign(key, low, salt="m") == assign(key, low, salt="m")
    if assign(key, low, salt="m") == "candidate":
        assert assign(key, high, salt="m") == "candidate"  # growing never moves keys back


def test_split_matches_declared_share() -> None:
    for pct in (5.0, 25.0, 50.0):
        arms = [assign(f"user-{i}", pct, salt="churn") for i in range(40_000)]
        share = np.mean([a == "candidate" for a in arms]) * 100
        assert abs(share - pct) < 1.0
        n_c = sum(a == "candidate" for a in arms)
        assert not srm_check(len(arms) - n_c, n_c, pct).mismatch


def test_salt_decorrelates_models() -> None:
    a = np.array([bucket(f"k{i}", salt="a") for i in range(5000)])
    b = np.array([bucket(f"k{i}", salt="b") for i in range(5000)])
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05


def test_srm_detects_broken_split_and_skips_tiny_counts() -> None:
    assert srm_check(900, 100, 5.0).mismatch
    tiny = srm_check(10, 3, 5.0)
    assert not tiny.checked and not tiny.mismatch
    assert srm_check(9_480, 520, 5.0).to_dict()["mismatch"] is False


@given(
    baseline=st.integers(200, 100_000),  # expected counts >= 10: the test is run
    candidate=st.integers(200, 100_000),
    percent=st.sampled_from([5.0, 25.0, 50.0]),
)
def test_srm_statistic_and_p_value_equal_scipy_chisquare(
    baseline: int, candidate: int, percent: float
) -> None:
    n = baseline + candidate
    expected = [n * (1 - percent / 100), n * percent / 100]
    res = srm_check(baseline, candidate, percent)
    assert res.checked
    ref = chisquare([baseline, candidate], expected)
    np.testing.assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(res.p_value, ref.pvalue, rtol=1e-9, atol=1e-300)
