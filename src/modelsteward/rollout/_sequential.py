"""Always-valid comparison of a candidate arm with its concurrent baseline.

The statistic is the mixture sequential probability ratio test (mSPRT) with a normal
mixture (Robbins 1970; Johari, Koomen, Pekelis & Walsh, "Always valid inference", Operations
Research 2022). For an estimated difference ``d`` of two arm means whose variance is
``v = var_b / n_b + var_c / n_c`` and a N(θ0, τ²) mixture over the true difference,

    Λ = sqrt(v / (v + τ²)) · exp(τ² (d − θ0)² / (2 v (v + τ²)))

is (asymptotically) a nonnegative martingale under θ = θ0, so by Ville's inequality
P(Λ ever ≥ 1/α) ≤ α however often it is looked at. Inverting the test gives a confidence
sequence, an interval valid at every look at once:

    d ± sqrt(v (v + τ²) / τ² · (2 log(1/α) + log((v + τ²) / v)))

(the asymptotic confidence sequences of Waudby-Smith et al., "Time-uniform central limit
theory", Ann. Statist. 2024, have the same form with the variances estimated, as here).
A guardrail compares the interval of the *harm* (how much worse the candidate is) with
its tolerance: ``fail`` when even the lower end exceeds it, ``pass`` when even the upper
end stays within it, ``inconclusive`` otherwise or when an arm has too few samples. Each
error (a false fail, a false pass) has probability at most α over the whole sequence of
looks, so checking after every batch does not inflate false rollbacks.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> base = Summary.of(rng.binomial(1, 0.02, 20_000))
>>> same = Summary.of(rng.binomial(1, 0.02, 5_000))
>>> worse = Summary.of(rng.binomial(1, 0.10, 5_000))
>>> compare(base, same, tolerance=0.01, proportion=True).verdict
'pass'
>>> compare(base, worse, tolerance=0.01, proportion=True).verdict
'fail'
>>> compare(base, Summary.of(np.zeros(10)), tolerance=0.01, min_samples=100).verdict
'inconclusive'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from modelsteward.errors import ParameterError

__all__ = [
    "Comparison",
    "Summary",
    "Verdict",
    "compare",
    "confidence_sequence",
    "msprt_statistic",
]

Verdict = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Summary:
    """Count, mean and (population) variance of one arm's observations."""

    n: int
    mean: float
    var: float

    @classmethod
    def of(cls, values: ArrayLike) -> Summary:
        """Summarise an array of observations (``nan`` values are ignored).

        >>> Summary.of([1.0, 2.0, 3.0])
        Summary(n=3, mean=2.0, var=0.666...)
        """
        x = np.asarray(values, dtype=np.float64)
        x = x[~np.isnan(x)]
        if x.size == 0:
            return cls(0, 0.0, 0.0)
        return cls(int(x.size), float(x.mean()), float(x.var()))


def msprt_statistic(diff: float, v: float, tau2: float, theta0: float = 0.0) -> float:
    """The normal-mixture likelihood ratio Λ of ``diff`` (variance ``v``) against ``theta0``.

    >>> round(msprt_statistic(0.0, 1.0, 1.0), 4)  # no evidence: sqrt(1/2)
    0.7071
    >>> msprt_statistic(5.0, 0.1, 1.0) > 20  # strong evidence: above 1/0.05
    True
    """
    if v <= 0.0:
        return math.inf if diff != theta0 else 1.0
    log_lr = 0.5 * math.log(v / (v + tau2)) + tau2 * (diff - theta0) ** 2 / (2.0 * v * (v + tau2))
    return math.exp(min(log_lr, 700.0))


def confidence_sequence(diff: float, v: float, tau2: float, alpha: float) -> tuple[float, float]:
    """The always-valid (1 − ``alpha``) interval for the true difference.

    >>> lo, hi = confidence_sequence(0.5, 0.01, 0.04, 0.05)
    >>> round(lo, 3), round(hi, 3)
    (0.192, 0.808)
    """
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be in (0, 1). Got {alpha!r} instead.")
    if tau2 <= 0.0:
        raise ParameterError(f"tau2 (the mixture variance) must be > 0. Got {tau2!r} instead.")
    if v <= 0.0:
        return diff, diff
    half = math.sqrt(v * (v + tau2) / tau2 * (2.0 * math.log(1.0 / alpha) + math.log1p(tau2 / v)))
    return diff - half, diff + half


@dataclass(frozen=True)
class Comparison:
    """One guardrail look: the harm estimate (candidate worse by), its always-valid
    interval, the mSPRT statistic against "no difference", and the verdict."""

    verdict: Verdict
    harm: float
    lower: float
    upper: float
    tolerance: float
    msprt: float
    alpha: float
    n_baseline: int
    n_candidate: int
    baseline_mean: float
    candidate_mean: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


def compare(
    baseline: Summary,
    candidate: Summary,
    *,
    tolerance: float,
    alpha: float = 0.05,
    tau: float | None = None,
    higher_is_better: bool = False,
    proportion: bool = False,
    min_samples: int = 1,
) -> Comparison:
    """Compare two arms on one metric with the mSPRT confidence sequence.

    ``tolerance`` is the largest harm accepted (in the metric's units); ``tau`` the
    mixture's scale (default: the tolerance, or a tenth of the pooled standard deviation
    when the tolerance is 0). ``proportion`` estimates each arm's variance as
    p(1 − p) with half a success and half a failure added, so that arms without any
    error yet do not claim zero variance.
    """
    sign = -1.0 if higher_is_better else 1.0
    harm = sign * (candidate.mean - baseline.mean)
    if min(baseline.n, candidate.n) < max(min_samples, 2):
        return Comparison(
            "inconclusive",
            harm,
            -math.inf,
            math.inf,
            tolerance,
            1.0,
            alpha,
            baseline.n,
            candidate.n,
            baseline.mean,
            candidate.mean,
            f"too few samples (baseline {baseline.n}, candidate {candidate.n}; "
            f"need {max(min_samples, 2)} per arm)",
        )
    var_b, var_c = _variance(baseline, proportion), _variance(candidate, proportion)
    v = var_b / baseline.n + var_c / candidate.n
    if tau is None:
        tau = tolerance if tolerance > 0 else 0.1 * math.sqrt(0.5 * (var_b + var_c))
    tau2 = max(tau * tau, 1e-18)
    lo, hi = confidence_sequence(harm, v, tau2, alpha)
    stat = msprt_statistic(harm, v, tau2)
    if lo > tolerance:
        verdict: Verdict = "fail"
        reason = f"harm {harm:.4g} > tolerance {tolerance:.4g} (interval [{lo:.4g}, {hi:.4g}])"
    elif hi <= tolerance:
        verdict = "pass"
        reason = f"harm at most {hi:.4g} <= tolerance {tolerance:.4g}"
    else:
        verdict = "inconclusive"
        reason = f"interval [{lo:.4g}, {hi:.4g}] still straddles tolerance {tolerance:.4g}"
    return Comparison(
        verdict,
        harm,
        lo,
        hi,
        tolerance,
        stat,
        alpha,
        baseline.n,
        candidate.n,
        baseline.mean,
        candidate.mean,
        reason,
    )


def _variance(s: Summary, proportion: bool) -> float:
    if proportion:
        p = (s.mean * s.n + 0.5) / (s.n + 1.0)
        return p * (1.0 - p)
    return max(s.var, 1e-18)
