from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from modelsteward.errors import ParameterError
from modelsteward.retrain import mcnemar, paired_bootstrap


def outcomes(a: int, b: int, c: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Champion/candidate correctness with a both-right, b champion-only, c candidate-only,
    d both-wrong rows."""
    champ = np.array([1] * a + [1] * b + [0] * c + [0] * d, bool)
    cand = np.array([1] * a + [0] * b + [1] * c + [0] * d, bool)
    return champ, cand


def textbook(b: int, c: int) -> tuple[float, float]:
    """Exact and mid-p two-sided McNemar p-values summed term by term."""
    n, k = b + c, min(b, c)
    pmf = [math.comb(n, i) * 0.5**n for i in range(k + 1)]
    exact = min(1.0, 2 * sum(pmf))
    return exact, min(1.0, 2 * sum(pmf) - pmf[k])


@pytest.mark.parametrize(("b", "c"), [(0, 0), (0, 4), (3, 10), (12, 5), (7, 7), (40, 60)])
def test_mcnemar_against_textbook_and_binomtest(b: int, c: int) -> None:
    r = mcnemar(*outcomes(20, b, c, 9))
    assert (r.b, r.c) == (b, c)
    exact, mid = textbook(b, c) if b + c else (1.0, 1.0)
    assert r.p_exact == pytest.approx(exact, rel=1e-12)
    assert r.p_mid == pytest.approx(mid, rel=1e-12, abs=1e-15)
    if b + c:
        assert r.p_exact == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue, rel=1e-12)
        assert r.statistic == pytest.approx((b - c) ** 2 / (b + c))


def test_mcnemar_known_value() -> None:
    # b=3, c=10: exact p = 2 * P(X <= 3 | n=13) = 2 * 378 / 8192
    r = mcnemar(*outcomes(0, 3, 10, 0))
    assert r.p_exact == pytest.approx(2 * 378 / 8192)
    assert r.p_mid == pytest.approx(2 * 378 / 8192 - 286 / 8192)


def test_mcnemar_shape_mismatch() -> None:
    with pytest.raises(ParameterError, match="same length"):
        mcnemar(np.ones(3, bool), np.ones(4, bool))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_symmetric_and_mid_p_below_exact(b: int, c: int) -> None:
    r1 = mcnemar(*outcomes(1, b, c, 1))
    r2 = mcnemar(*outcomes(1, c, b, 1))
    assert r1.p_exact == pytest.approx(r2.p_exact) and r1.p_mid == pytest.approx(r2.p_mid)
    assert 0 <= r1.p_mid <= r1.p_exact <= 1


def test_bootstrap_is_seeded_and_covers_the_mean() -> None:
    rng = np.random.default_rng(1)
    diff = rng.normal(-0.5, 1.0, 400)
    a = paired_bootstrap(diff, seed=3)
    b = paired_bootstrap(diff, seed=3)
    assert a == b
    assert a.ci_low < a.mean < a.ci_high < 0
    assert a.p_value < 0.01
    # the interval is close to the normal-theory one
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert a.ci_high - a.ci_low == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_no_difference() -> None:
    diff = np.random.default_rng(2).normal(0, 1, 300)
    r = paired_bootstrap(diff - diff.mean(), seed=0, n_resamples=500)
    assert r.ci_low < 0 < r.ci_high and r.p_value > 0.5


def test_bootstrap_chunking_gives_the_same_answer_as_one_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import modelsteward.retrain._paired as paired

    diff = np.random.default_rng(5).normal(0.1, 1, 50)
    whole = paired_bootstrap(diff, n_resamples=300, seed=9)
    monkeypatch.setattr(paired, "_CHUNK_CELLS", 50 * 7)
    chunked = paired_bootstrap(diff, n_resamples=300, seed=9)
    assert whole == chunked


@pytest.mark.parametrize("bad", [np.array([]), np.array([1.0, np.nan]), np.ones((2, 2))])
def test_bootstrap_bad_input(bad: np.ndarray) -> None:
    with pytest.raises(ParameterError):
        paired_bootstrap(bad)
