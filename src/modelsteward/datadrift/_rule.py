"""Judgement: which columns drifted, given their statistics.

The default rule, *significant and material*, answers the two failures of the usual
defaults: p-values alone flag everything on large samples (a shift of 0.001 standard
deviations is "significant" at a billion rows), and fixed distances miss real shifts on
small ones (or flag noise on tiny ones). A column drifts when both hold:

1. **significant** — its test's p-value, adjusted across all tested columns with the
   Holm–Bonferroni method (the chance that *any* column is flagged on a table that did
   not drift stays at or below ``alpha`` = 0.05), is below ``alpha``;
2. **material** — its effect size reaches a floor: for numeric columns the Wasserstein
   distance in units of the reference standard deviation (default floor 0.02: the
   distributions differ by at least 2 % of a standard deviation on average), for
   categorical and boolean columns the total variation distance (default floor 0.01: at
   least 1 % of the probability mass moved).

Methods without a p-value (``psi``, ``wasserstein``, ``jensenshannon``, ...) drift when
their score reaches the threshold; the floor is their threshold. The dataset drifts when
the share of drifted columns among the compared ones reaches ``drift_share_threshold``
(default 0.5, as Evidently, so verdicts stay comparable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from modelsteward import stats
from modelsteward.errors import ParameterError

__all__ = ["Correction", "DecisionRule"]

Correction = Literal["holm", "bh", "none"]

#: Effect-size floors by column kind: (effect name, floor).
DEFAULT_FLOORS: Mapping[str, float] = {"numeric": 0.02, "categorical": 0.01}


@dataclass(frozen=True)
class DecisionRule:
    """How p-values and effect sizes become verdicts.

    >>> rule = DecisionRule()
    >>> rule.adjust([0.01, 0.04, 0.5]).round(3).tolist()
    [0.03, 0.08, 0.5]
    >>> DecisionRule(correction="none").adjust([0.01, 0.04]).tolist()
    [0.01, 0.04]
    """

    correction: Correction = "holm"
    numeric_floor: float = DEFAULT_FLOORS["numeric"]
    categorical_floor: float = DEFAULT_FLOORS["categorical"]
    drift_share_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.correction not in ("holm", "bh", "none"):
            raise ParameterError(
                "The 'correction' parameter of drift must be one of 'holm', 'bh', 'none'. "
                f"Got {self.correction!r} instead."
            )
        for name in ("numeric_floor", "categorical_floor"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ParameterError(
                    f"The effect floor {name!r} must be a finite float >= 0. Got {value!r} instead."
                )
        if not 0 < self.drift_share_threshold <= 1:
            raise ParameterError(
                "The 'drift_share_threshold' parameter of drift must be a float in (0, 1]. "
                f"Got {self.drift_share_threshold!r} instead."
            )

    def floor_for(self, kind: str) -> float:
        """The effect-size floor for a column of this kind."""
        return self.numeric_floor if kind == "numeric" else self.categorical_floor

    def adjust(self, p_values: list[float] | np.ndarray) -> np.ndarray:
        """Adjust a family of p-values for multiple testing."""
        values = np.asarray(p_values, dtype=np.float64)
        if values.size == 0 or self.correction == "none":
            return values
        if self.correction == "holm":
            return stats.holm(values)
        return stats.benjamini_hochberg(values)

    def describe(self) -> str:
        """One paragraph stating the rule, for reports."""
        correction = {
            "holm": "Holm-adjusted across the tested columns",
            "bh": "Benjamini-Hochberg-adjusted across the tested columns",
            "none": "unadjusted",
        }[self.correction]
        return (
            f"A tested column drifts when its p-value ({correction}) is below its threshold "
            f"and its effect size reaches a materiality floor (Wasserstein distance in "
            f"reference standard deviations >= {self.numeric_floor:g} for numeric columns, "
            f"total variation distance >= {self.categorical_floor:g} for categorical ones). "
            "A distance method drifts when its score reaches its threshold. The dataset "
            f"drifts when at least {self.drift_share_threshold:.0%} of compared columns drift."
        )
