"""The rollout policy of one model: steps, holds, sample sizes, level, authority.

>>> p = RolloutPolicy(steps=(10, 50, 100), min_hold_s=60, high_risk=True)
>>> p.stages, round(p.level_per_stage, 4)
(3, 0.0167)
>>> RolloutPolicy.from_dict({"steps": [5, 100], "shadow": False}).steps
(5.0, 100.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from modelsteward.errors import ParameterError
from modelsteward.rollout._analysis import Guardrails

__all__ = ["RolloutPolicy"]


@dataclass(frozen=True)
class RolloutPolicy:
    """How a candidate goes from shadow to 100 %.

    Parameters
    ----------
    steps:
        Candidate shares in percent, increasing, ending at 100 (reaching 100 is the
        promotion: there is no concurrent baseline left to compare with).
    shadow:
        Mirror traffic to the candidate before the first canary step.
    min_hold_s, min_samples:
        A stage may advance only after this long and with this many requests per arm.
    alpha:
        Bound on the probability of a false rollback over the whole rollout; it is split
        evenly between the analysed stages (shadow and every step below 100) and then
        between the guardrails, and each test is always valid, so looking after every
        batch does not inflate it.
    max_failed_checks:
        Failed looks, counted over the whole rollout, that roll the candidate back (3).
    max_auto_rollbacks:
        Automatic rollbacks in a row that stop the loop in ``needs_human`` (3).
    high_risk:
        Promotion to 100 % waits for a recorded human approval.
    check_interval_s:
        How often the gateway looks (its background thread; tests call ``check``).
    srm_threshold:
        p-value under which the observed split is a sample-ratio mismatch (holds the step).
    agreement_tolerance, agreement_atol:
        Shadow: the largest share of disagreeing outputs accepted; numeric outputs agree
        within ``agreement_atol``.
    """

    steps: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    shadow: bool = True
    min_hold_s: float = 300.0
    min_samples: int = 200
    alpha: float = 0.05
    max_failed_checks: int = 3
    max_auto_rollbacks: int = 3
    high_risk: bool = False
    check_interval_s: float = 30.0
    srm_threshold: float = 0.001
    agreement_tolerance: float = 0.05
    agreement_atol: float = 1e-9
    guardrails: Guardrails = field(default_factory=Guardrails)

    def __post_init__(self) -> None:
        steps = tuple(float(s) for s in self.steps)
        object.__setattr__(self, "steps", steps)
        if (
            not steps
            or steps[-1] != 100.0
            or any(not 0.0 < s <= 100.0 for s in steps)
            or any(a >= b for a, b in itertools.pairwise(steps))
        ):
            raise ParameterError(
                "The 'steps' parameter of RolloutPolicy must be increasing percentages in "
                f"(0, 100] ending at 100. Got {list(self.steps)!r} instead."
            )
        if not 0.0 < self.alpha < 1.0:
            raise ParameterError(f"RolloutPolicy 'alpha' must be in (0, 1). Got {self.alpha!r}.")
        if self.min_samples < 2 or self.min_hold_s < 0 or self.check_interval_s <= 0:
            raise ParameterError(
                "RolloutPolicy needs min_samples >= 2, min_hold_s >= 0 and check_interval_s > 0;"
                f" got {self.min_samples!r}, {self.min_hold_s!r}, {self.check_interval_s!r}."
            )
        if self.max_failed_checks < 1 or self.max_auto_rollbacks < 1:
            raise ParameterError(
                "RolloutPolicy needs max_failed_checks >= 1 and max_auto_rollbacks >= 1."
            )

    @property
    def stages(self) -> int:
        """Analysed stages: the shadow (if any) and every step below 100 %."""
        return int(self.shadow) + sum(s < 100.0 for s in self.steps)

    @property
    def level_per_stage(self) -> float:
        """The share of ``alpha`` each stage's looks may spend."""
        return self.alpha / max(self.stages, 1)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RolloutPolicy:
        """Build from a configuration table; ``guardrails`` may be a nested table."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError(
                f"Unknown rollout policy keys {unknown}; known keys: {sorted(known)}."
            )
        kw = dict(data)
        if "steps" in kw:
            kw["steps"] = tuple(kw["steps"])
        if isinstance(kw.get("guardrails"), Mapping):
            g = dict(kw["guardrails"])
            gknown = {f.name for f in fields(Guardrails) if f.init}
            bad = sorted(set(g) - gknown)
            if bad:
                raise ParameterError(f"Unknown guardrail keys {bad}; known keys: {sorted(gknown)}.")
            kw["guardrails"] = Guardrails(**g)
        try:
            return cls(**kw)
        except TypeError as exc:
            raise ParameterError(f"Bad rollout policy: {exc}.") from exc
