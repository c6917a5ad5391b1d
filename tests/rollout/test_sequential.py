from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.rollout import Summary, compare, confidence_sequence, msprt_statistic


def _looks(base: np.ndarray, cand: np.ndarray, looks: int) -> list[tuple[Summary, Summary]]:
    """Cumulative summaries after each of ``looks`` equal batches (vectorised)."""
    out = []
    cb, cc = np.cumsum(base), np.cumsum(cand)
    qb, qc = np.cumsum(base**2), np.cumsum(cand**2)
    for k in range(1, looks + 1):
        nb, nc = k * len(base) // looks, k * len(cand) // looks
        mb, mc = cb[nb - 1] / nb, cc[nc - 1] / nc
        out.append(
            (Summary(nb, mb, qb[nb - 1] / nb - mb * mb), Summary(nc, mc, qc[nc - 1] / nc - mc * mc))
        )
    return out


@pytest.mark.parametrize("proportion", [True, False])
def test_aa_checked_after_every_batch_keeps_false_fails_below_alpha(proportion: bool) -> None:
    """200 simulated A/A canaries (5 % candidate share), checked after each of 40 batches,
    at the strictest tolerance (0): the share that ever fails stays below alpha."""
    rng = np.random.default_rng(7)
    sims, looks, alpha = 200, 40, 0.05
    failed = 0
    for _ in range(sims):
        if proportion:
            base = rng.binomial(1, 0.05, 38_000).astype(float)
            cand = rng.binomial(1, 0.05, 2_000).astype(float)
        else:
            base = rng.lognormal(3.0, 0.5, 38_000)
            cand = rng.lognormal(3.0, 0.5, 2_000)
        for b, c in _looks(base, cand, looks):
            r = compare(
                b,
                c,
                tolerance=0.0,
                alpha=alpha,
                proportion=proportion,
                tau=0.01 if proportion else 2.0,
                min_samples=20,
            )
            if r.verdict == "fail":
                failed += 1
                break
    assert failed / sims <= 0.07


def test_confidence_sequence_covers_truth_at_every_look() -> None:
    rng = np.random.default_rng(3)
    misses = 0
    for _ in range(200):
        base = rng.normal(0.0, 1.0, 20_000)
        cand = rng.normal(0.3, 2.0, 4_000)
        for b, c in _looks(base, cand, 50):
            r = compare(b, c, tolerance=1.0, tau=0.3)
            if not r.lower <= 0.3 <= r.upper:
                misses += 1
                break
    assert misses / 200 <= 0.07


def test_clearly_worse_candidate_fails_and_similar_passes() -> None:
    rng = np.random.default_rng(1)
    base = Summary.of(rng.binomial(1, 0.01, 50_000))
    bad = compare(base, Summary.of(rng.binomial(1, 0.2, 400)), tolerance=0.02, proportion=True)
    assert bad.verdict == "fail" and bad.lower > 0.02 and bad.msprt > 20
    good = compare(base, Summary.of(rng.binomial(1, 0.01, 20_000)), tolerance=0.02, proportion=True)
    assert good.verdict == "pass" and good.upper <= 0.02


def test_higher_is_better_flips_the_harm() -> None:
    base = Summary(10_000, 0.90, 0.09)
    worse = Summary(10_000, 0.80, 0.16)
    r = compare(base, worse, tolerance=0.01, higher_is_better=True, proportion=True)
    assert r.harm == pytest.approx(0.10) and r.verdict == "fail"


def test_too_little_or_missing_data_is_inconclusive_never_pass() -> None:
    base = Summary(1000, 0.0, 0.0)
    assert compare(base, Summary(0, 0.0, 0.0), tolerance=1.0).verdict == "inconclusive"
    assert compare(base, Summary(50, 0.0, 0.0), tolerance=1.0, min_samples=100).verdict == (
        "inconclusive"
    )
    d = compare(base, Summary(0, 0.0, 0.0), tolerance=1.0).to_dict()
    assert d["lower"] is None and "too few samples" in d["reason"]


@given(
    diff=st.floats(-10, 10),
    v=st.floats(1e-6, 10),
    tau2=st.floats(1e-6, 10),
    alpha=st.floats(1e-4, 0.5),
)
def test_interval_is_the_inverted_msprt(diff: float, v: float, tau2: float, alpha: float) -> None:
    lo, hi = confidence_sequence(diff, v, tau2, alpha)
    assert lo <= diff <= hi
    # on the boundary the mixture likelihood ratio is exactly 1/alpha
    assert math.isclose(msprt_statistic(diff, v, tau2, theta0=hi), 1 / alpha, rel_tol=1e-6)
    # smaller alpha, wider interval
    lo2, hi2 = confidence_sequence(diff, v, tau2, alpha / 2)
    assert lo2 <= lo and hi2 >= hi


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        confidence_sequence(0.0, 1.0, 1.0, 1.5)
    with pytest.raises(ParameterError):
        confidence_sequence(0.0, 1.0, 0.0, 0.05)
