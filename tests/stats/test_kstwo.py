from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from modelsteward.stats._kstwo import kstwo_sf
from tests.conftest import run_fresh_python

CASES = [
    (n, d)
    for n in (141, 500, 3_000, 20_000)
    for d in (
        np.sqrt(2.2 / n) + 1e-9,  # just inside the Smirnov branch
        np.sqrt(5.0 / n),
        np.sqrt(14.0 / n),
        np.sqrt(60.0 / n),
        np.sqrt(369.0 / n),
        0.5,
        0.73,
    )
] + [(n, d) for n in (5, 140, 141, 20_000) for d in (0.0, 0.001, 0.01, 0.05, 0.2, 0.999, 1.0)]
# The Pelz-Good branch: n d^2 < 2.2 with n > 100 000, or n d^1.5 > 1.4 below that.
PELZ_GOOD = [
    (n, float(np.sqrt(nd2 / n)))
    for n in (100_001, 150_000, 500_000, 2_000_000)
    for nd2 in (0.01, 0.05, 0.3, 0.8, 1.2, 2.19)
] + [(n, d) for n, d in ((20_000, 0.01), (100_000, 0.002), (3_000, 0.025))]


# Above n = 1,000,000 scipy's smirnov is an asymptotic series, called as scipy calls it.
HUGE_N = [(n, float(np.sqrt(nd2 / n))) for n in (1_000_001, 50_000_000) for nd2 in (2.2, 60.0)]


@pytest.mark.parametrize(("n", "d"), CASES + PELZ_GOOD + HUGE_N)
def test_kstwo_sf_matches_scipy(n: int, d: float) -> None:
    expected = float(scipy.stats.kstwo.sf(d, n))
    assert kstwo_sf(float(d), n) == pytest.approx(expected, rel=1e-11, abs=1e-300)


def test_two_sample_p_value_on_large_samples_matches_scipy() -> None:
    from modelsteward.stats import ks_test

    rng = np.random.default_rng(21)
    ref, cur = rng.normal(size=60_000), rng.normal(0.03, size=40_000)
    expected = scipy.stats.ks_2samp(ref, cur)
    got = ks_test(ref, cur)
    assert 0.0 < float(expected.pvalue) < 0.02  # the Smirnov branch
    assert got.p_value == pytest.approx(float(expected.pvalue), rel=1e-11)


@pytest.mark.parametrize(("n", "d"), PELZ_GOOD)
def test_pelz_good_cases_take_that_branch(n: int, d: float) -> None:
    assert n * d * d < 2.2 and (n > 100_000 or n * d**1.5 > 1.4)


def test_large_samples_need_no_scipy_stats() -> None:
    # Both branches large samples take are computed here from their formulas, so a
    # drift run on big tables never pays for importing scipy.stats (0.7 s).
    code = (
        "import sys\n"
        "from modelsteward.stats._kstwo import kstwo_sf\n"
        "print([kstwo_sf(d, 500_000) for d in (0.0005, 0.002, 0.004, 0.03, 0.6)], "
        "'scipy.stats' in sys.modules)\n"
    )
    assert run_fresh_python(code).endswith("False")
