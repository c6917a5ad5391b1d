"""Guardrail analysis of one rollout stage: the candidate against its concurrent baseline.

Each arm accumulates, per request, whether it failed, its latency, its cost and (once a
label arrives) whether it was right. A look compares the arms with the always-valid test
of :mod:`modelsteward.rollout._sequential` on four guardrails:

- ``error_rate``: share of failed calls (harm = candidate − baseline);
- ``latency_tail``: share of calls slower than the baseline's p99 plus a materiality floor
  (``latency_floor_ms``, 1 ms) — the baseline sits near 1 %, a candidate with a worse p99
  above it (the threshold is re-estimated at each look from the far larger baseline arm).
  The floor keeps thread-scheduling noise from failing a fast model: at 0.1 ms a call, a
  candidate's rarely woken worker on a busy 2-core machine put 3-26 % of its calls above
  the champion's p99;
- ``cost``: mean cost per request, tolerance relative to the baseline's mean (skipped
  when no call has a cost);
- ``accuracy``: share of labelled predictions that were right (higher is better; skipped
  until both arms have ``min_samples`` labels, unless labels are required).

The verdict is ``fail`` if any guardrail fails, else ``inconclusive`` if any is, else
``pass``.

>>> import numpy as np
>>> arms = ArmData(), ArmData()
>>> rng = np.random.default_rng(0)
>>> for arm, p in zip(arms, (0.01, 0.30)):
...     for e, ms in zip(rng.random(2_000) < p, rng.lognormal(2, 0.3, 2_000)):
...         _ = arm.add(bool(e), float(ms))
>>> look = analyse(*arms, Guardrails(), alpha=0.01, min_samples=100)
>>> look.verdict, look.guardrails["error_rate"].verdict
('fail', 'fail')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelsteward.rollout._sequential import Comparison, Summary, Verdict, compare

__all__ = ["Analysis", "ArmData", "Guardrails", "analyse", "analyse_shadow"]


@dataclass(frozen=True)
class Guardrails:
    """Tolerances of the four guardrails (the largest harm accepted).

    ``error_rate`` and ``latency_tail`` and ``accuracy`` are absolute shares;
    ``cost_relative`` is a fraction of the baseline's mean cost. A call is slow when it
    takes more than the baseline's p99 plus ``latency_floor_ms`` (0 compares with the p99
    alone).
    """

    error_rate: float = 0.01
    latency_tail: float = 0.02
    latency_floor_ms: float = 1.0
    cost_relative: float = 0.10
    accuracy: float = 0.02
    require_labels: bool = False

    #: How many guardrails a look may test; the level is split between them.
    count: int = field(default=4, init=False)


class ArmData:
    """Growable per-request arrays of one arm (errors, latency, cost, correctness)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._buf = np.full((4, capacity), np.nan)
        self.n = 0

    def add(self, error: bool, latency_ms: float, cost: float = 0.0) -> int:
        """Record one request; return its index (to attach a label outcome later)."""
        if self.n == self._buf.shape[1]:
            grown = np.full((4, 2 * self.n), np.nan)
            grown[:, : self.n] = self._buf
            self._buf = grown
        self._buf[0, self.n] = float(error)
        self._buf[1, self.n] = latency_ms
        self._buf[2, self.n] = cost
        self.n += 1
        return self.n - 1

    def extend(self, errors: Any, latency_ms: Any, cost: Any = 0.0) -> None:
        """Record many requests at once (arrays of equal length; ``cost`` may be a scalar)."""
        e = np.asarray(errors, dtype=np.float64).ravel()
        k = e.size
        if self.n + k > self._buf.shape[1]:
            grown = np.full((4, max(2 * self._buf.shape[1], self.n + k)), np.nan)
            grown[:, : self.n] = self._buf[:, : self.n]
            self._buf = grown
        self._buf[0, self.n : self.n + k] = e
        self._buf[1, self.n : self.n + k] = np.broadcast_to(np.asarray(latency_ms, float), (k,))
        self._buf[2, self.n : self.n + k] = np.broadcast_to(np.asarray(cost, float), (k,))
        self.n += k

    def set_correct(self, index: int, correct: bool) -> None:
        """Attach whether request ``index`` was predicted right."""
        if 0 <= index < self.n:
            self._buf[3, index] = float(correct)

    @property
    def errors(self) -> np.ndarray:
        return self._buf[0, : self.n]

    @property
    def latency_ms(self) -> np.ndarray:
        """Latencies of the calls that did not fail."""
        lat = self._buf[1, : self.n]
        out: np.ndarray = lat[self._buf[0, : self.n] == 0.0]
        return out

    @property
    def cost(self) -> np.ndarray:
        return self._buf[2, : self.n]

    @property
    def correct(self) -> np.ndarray:
        """Outcomes of the labelled requests only."""
        c = self._buf[3, : self.n]
        out: np.ndarray = c[~np.isnan(c)]
        return out


@dataclass(frozen=True)
class Analysis:
    """One look: the overall verdict, each guardrail's comparison, the evidence."""

    verdict: Verdict
    guardrails: dict[str, Comparison]
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "guardrails": {k: c.to_dict() for k, c in self.guardrails.items()},
            **self.evidence,
        }


def _p99(values: np.ndarray) -> float | None:
    return float(np.percentile(values, 99)) if values.size else None


def analyse(
    baseline: ArmData,
    candidate: ArmData,
    guardrails: Guardrails,
    *,
    alpha: float,
    min_samples: int,
) -> Analysis:
    """Compare the arms on every guardrail, each at level ``alpha / guardrails.count``."""
    level = alpha / guardrails.count
    kw: dict[str, Any] = {"alpha": level, "min_samples": min_samples}
    results: dict[str, Comparison] = {}
    skipped: dict[str, str] = {}
    results["error_rate"] = compare(
        Summary.of(baseline.errors),
        Summary.of(candidate.errors),
        tolerance=guardrails.error_rate,
        proportion=True,
        **kw,
    )
    lat_b, lat_c = baseline.latency_ms, candidate.latency_ms
    p99_b = _p99(lat_b)
    threshold = p99_b + guardrails.latency_floor_ms if p99_b is not None else np.inf
    results["latency_tail"] = compare(
        Summary.of(lat_b > threshold),
        Summary.of(lat_c > threshold),
        tolerance=guardrails.latency_tail,
        proportion=True,
        **kw,
    )
    cost_b, cost_c = baseline.cost, candidate.cost
    if np.any(cost_b != 0.0) or np.any(cost_c != 0.0):
        s_b = Summary.of(cost_b)
        tol = guardrails.cost_relative * abs(s_b.mean)
        results["cost"] = compare(s_b, Summary.of(cost_c), tolerance=tol, tau=max(tol, 1e-12), **kw)
    else:
        skipped["cost"] = "no call has a cost"
    acc_b, acc_c = baseline.correct, candidate.correct
    if guardrails.require_labels or min(acc_b.size, acc_c.size) >= min_samples:
        results["accuracy"] = compare(
            Summary.of(acc_b),
            Summary.of(acc_c),
            tolerance=guardrails.accuracy,
            higher_is_better=True,
            proportion=True,
            **kw,
        )
    else:
        skipped["accuracy"] = (
            f"labels for {acc_b.size} baseline and {acc_c.size} candidate requests; "
            f"need {min_samples} each"
        )
    verdicts = {c.verdict for c in results.values()}
    verdict: Verdict = (
        "fail" if "fail" in verdicts else "inconclusive" if "inconclusive" in verdicts else "pass"
    )
    evidence = {
        "requests": {"baseline": baseline.n, "candidate": candidate.n},
        "p99_latency_ms": {"baseline": p99_b, "candidate": _p99(lat_c)},
        "level_per_guardrail": level,
        "skipped": skipped,
    }
    return Analysis(verdict, results, evidence)


def analyse_shadow(
    baseline: ArmData,
    candidate: ArmData,
    disagree: list[float],
    abs_diff: list[float],
    guardrails: Guardrails,
    *,
    alpha: float,
    min_samples: int,
    agreement_tolerance: float,
) -> Analysis:
    """A shadow look: the guardrails of :func:`analyse` plus the share of mirrored requests
    whose outputs disagree (at most ``agreement_tolerance``), ``alpha`` split between them."""
    g = guardrails
    base = analyse(
        baseline, candidate, g, alpha=alpha * g.count / (g.count + 1), min_samples=min_samples
    )
    # disagreement is one-sample (its share against 0): a "baseline" of zeros with a huge
    # count has no variance to add, so the interval is the shadow's own
    n = max(baseline.n, 1) * 10**6
    agreement = compare(
        Summary(n, 0.0, 0.0),
        Summary.of(disagree),
        alpha=alpha / (g.count + 1),
        tolerance=agreement_tolerance,
        proportion=True,
        min_samples=min_samples,
    )
    results = {**base.guardrails, "disagreement": agreement}
    verdicts = {c.verdict for c in results.values()}
    verdict: Verdict = (
        "fail" if "fail" in verdicts else "inconclusive" if "inconclusive" in verdicts else "pass"
    )
    diffs = np.asarray(abs_diff)
    evidence = {
        **base.evidence,
        "mean_abs_diff": float(diffs.mean()) if diffs.size else None,
        "agreement_rate": 1.0 - float(np.mean(disagree)) if disagree else None,
    }
    return Analysis(verdict, results, evidence)
