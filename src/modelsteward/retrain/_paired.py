"""Paired comparisons of two models on the same rows: McNemar's exact and mid-p test for
correct/incorrect outcomes, a seeded paired bootstrap for a per-row loss difference.

>>> import numpy as np
>>> champion = np.array([1, 1, 1, 0, 0, 1, 0, 1, 0, 0], bool)
>>> candidate = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], bool)
>>> r = mcnemar(champion, candidate)
>>> (r.b, r.c, round(r.p_exact, 4), round(r.p_mid, 4))
(0, 4, 0.125, 0.0625)
>>> diff = np.array([0.1, -0.4, -0.2, -0.3, 0.0, -0.5, -0.1, -0.2])
>>> round(paired_bootstrap(diff, seed=0).mean, 4)
-0.2
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from modelsteward.errors import ParameterError

__all__ = ["BootstrapResult", "McNemarResult", "mcnemar", "paired_bootstrap"]

_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on the discordant pairs.

    ``b``: rows the champion got right and the candidate wrong; ``c``: the reverse.
    ``p_exact`` is the two-sided exact binomial p-value ``min(1, 2 P(X <= min(b, c)))``
    with ``X ~ Binomial(b + c, 1/2)`` (equal to :func:`scipy.stats.binomtest`);
    ``p_mid`` the mid-p value ``2 P(X <= min(b, c)) - P(X = min(b, c))`` (capped at 1;
    Fagerland, Lydersen and Laake 2013), less conservative and closer to nominal size;
    ``statistic`` the chi-square statistic ``(b - c)^2 / (b + c)`` for reference
    (0 when ``b + c = 0``).
    """

    b: int
    c: int
    statistic: float
    p_exact: float
    p_mid: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mcnemar(champion_correct: np.ndarray, candidate_correct: np.ndarray) -> McNemarResult:
    """McNemar's test on paired boolean outcomes (True where the model was right)."""
    a = np.asarray(champion_correct, dtype=bool)
    z = np.asarray(candidate_correct, dtype=bool)
    if a.shape != z.shape or a.ndim != 1:
        raise ParameterError(
            f"McNemar needs two one-dimensional outcome arrays of the same length. Got shapes "
            f"{a.shape} and {z.shape}."
        )
    b = int(np.count_nonzero(a & ~z))
    c = int(np.count_nonzero(~a & z))
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 0.0, 1.0, 1.0)
    k = min(b, c)
    cdf = float(stats.binom.cdf(k, n, 0.5))
    pmf = float(stats.binom.pmf(k, n, 0.5))
    p_exact = min(1.0, 2.0 * cdf)
    p_mid = min(1.0, 2.0 * cdf - pmf)
    return McNemarResult(b, c, (b - c) ** 2 / n, p_exact, p_mid)


@dataclass(frozen=True)
class BootstrapResult:
    """A paired bootstrap of the mean of per-row differences (candidate minus champion).

    ``ci_low``/``ci_high``: the percentile interval at ``confidence``; ``p_value``: the
    two-sided bootstrap p-value of "mean difference is 0" from the centred resamples.
    """

    mean: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float
    n_resamples: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_bootstrap(
    diff: np.ndarray, *, n_resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> BootstrapResult:
    """Bootstrap the mean of ``diff`` (one value per row) with row resampling.

    Vectorised: resamples are drawn as a matrix of row indices, in chunks of about two
    million cells so that memory stays bounded; the result depends only on ``seed``.
    """
    d = np.asarray(diff, dtype=float)
    if d.ndim != 1 or d.size == 0 or not np.all(np.isfinite(d)):
        raise ParameterError(
            "paired_bootstrap needs a non-empty one-dimensional array of finite differences."
        )
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be in (0, 1). Got {confidence}.")
    if n_resamples < 1:
        raise ParameterError(f"n_resamples must be a positive integer. Got {n_resamples}.")
    rng = np.random.default_rng(seed)
    n = d.size
    per_chunk = max(1, _CHUNK_CELLS // n)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, per_chunk):
        stop = min(n_resamples, start + per_chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = d[idx].mean(axis=1)
    mean = float(d.mean())
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    extreme = np.count_nonzero(np.abs(means - mean) >= abs(mean) - 1e-12 * max(1.0, abs(mean)))
    p_value = min(1.0, (1 + int(extreme)) / (n_resamples + 1))
    return BootstrapResult(mean, float(low), float(high), p_value, confidence, n_resamples, seed)
