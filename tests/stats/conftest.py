"""Seeded samples shared by the statistics tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

Pair = tuple[np.ndarray, np.ndarray]


def _normal(n: int, m: int, shift: float = 0.0, seed: int = 0) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(shift, 1.0, size=m)


def _ties(n: int, m: int, seed: int = 1) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5, size=n).astype(float), rng.integers(1, 6, size=m).astype(float)


def _skewed(n: int, m: int, seed: int = 2) -> Pair:
    rng = np.random.default_rng(seed)
    return rng.lognormal(size=n), rng.lognormal(0.3, 1.2, size=m)


PAIRS: dict[str, Callable[[], Pair]] = {
    "tiny-1-1": lambda: (np.array([0.5]), np.array([1.5])),
    "tiny-1-3": lambda: _normal(1, 3, seed=3),
    "tiny-2-2": lambda: _normal(2, 2, seed=4),
    "tiny-3-5": lambda: _normal(3, 5, shift=1.0, seed=5),
    "tiny-5-4-ties": lambda: _ties(5, 4),
    "normal-37-53": lambda: _normal(37, 53, shift=0.3),
    "normal-200-300-same": lambda: _normal(200, 300),
    "ties-400-250": lambda: _ties(400, 250),
    "lognormal-500-800": lambda: _skewed(500, 800),
    "disjoint-20-30": lambda: (np.arange(20.0), np.arange(100.0, 130.0)),
    "normal-50k-40k": lambda: _normal(50_000, 40_000, shift=0.01, seed=6),
    "ties-30k-20k": lambda: _ties(30_000, 20_000, seed=7),
}
"""Named sample pairs: tiny sizes 1..5, ties, skew, disjoint ranges, and ~50k samples
that take the asymptotic branches."""


@pytest.fixture(params=sorted(PAIRS))
def pair(request: pytest.FixtureRequest) -> Pair:
    ref, cur = PAIRS[request.param]()
    return ref, cur
