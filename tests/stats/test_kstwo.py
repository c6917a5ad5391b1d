from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from modelsteward.stats._kstwo import kstwo_sf

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


@pytest.mark.parametrize(("n", "d"), CASES)
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
