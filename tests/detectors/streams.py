"""Seeded streams shared by the detector tests: abrupt, gradual and no change."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Stream = npt.NDArray[np.float64]


def _ramp(n: int, a: float, b: float) -> Stream:
    """a for the first third, a linear ramp to b in the middle third, then b."""
    third = n // 3
    return np.concatenate([np.full(third, a), np.linspace(a, b, third), np.full(n - 2 * third, b)])


def binary(kind: str, n: int = 20_000, seed: int = 0) -> Stream:
    rng = np.random.default_rng(seed)
    if kind == "abrupt":
        p = np.where(np.arange(n) < n // 2, 0.1, 0.3)
    elif kind == "gradual":
        p = _ramp(n, 0.1, 0.4)
    else:
        p = np.full(n, 0.2)
    return (rng.random(n) < p).astype(np.float64)


def real(kind: str, n: int = 20_000, seed: int = 0) -> Stream:
    rng = np.random.default_rng(seed)
    if kind == "abrupt":
        mu = np.where(np.arange(n) < n // 2, 0.0, 1.0)
    elif kind == "gradual":
        mu = _ramp(n, 0.0, 1.5)
    else:
        mu = np.zeros(n)
    return rng.normal(mu, 1.0)


def unit(kind: str, n: int = 20_000, seed: int = 0) -> Stream:
    """Values in [0, 1] (e.g. per-batch error rates) for the Hoeffding detectors."""
    rng = np.random.default_rng(seed)
    shift = {"abrupt": np.where(np.arange(n) < n // 2, 0.0, 0.2), "gradual": _ramp(n, 0, 0.3)}
    return np.clip(rng.beta(2, 8, n) + shift.get(kind, np.zeros(n)), 0.0, 1.0)


KINDS = ("abrupt", "gradual", "none")
