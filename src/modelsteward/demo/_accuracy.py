"""Accuracy of the served predictions, by the world each one was served in.

Every labeled prediction counts towards one of three figures: ``before_drift`` (served
before the world changed), ``after_drift`` (served by a model of an older world than the
one it was served in) and ``after_retrain`` (served by a retrained model of the current
world). Predictions of the constant default, or of the initial model in a world it was
trained for, count towards none of them after the drift.

>>> from modelsteward.demo._fleet import Scenario
>>> t = AccuracyTally(Scenario(recalibration_day=4, new_machine_type_day=4,
...                            concept_drift_day=9))
>>> t.learned("1", 0, initial=True); t.learned("2", 5)
>>> t.add(1, ["1", "1"], [True, False]); t.add(6, ["1", "2"], [False, True])
>>> t.figures()
{'before_drift': 0.5, 'after_drift': 0.0, 'after_retrain': 1.0}
"""

from __future__ import annotations

from collections.abc import Sequence

from modelsteward.demo._fleet import Scenario

__all__ = ["AccuracyTally"]

KINDS = ("before_drift", "after_drift", "after_retrain")


class AccuracyTally:
    """Right and total predictions per kind."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.regime_of: dict[str, int] = {}
        self.initial: str | None = None
        self.tallies: dict[str, list[int]] = {k: [0, 0] for k in KINDS}

    def regime(self, day: int) -> int:
        """Which world day ``day`` lives in: 0 before any change, then one per change."""
        sc = self.scenario
        changes = sorted({sc.recalibration_day, sc.new_machine_type_day, sc.concept_drift_day})
        return sum(day >= c for c in changes)

    def learned(self, version: str, last_training_day: int, *, initial: bool = False) -> None:
        """Record that ``version`` was trained on data up to ``last_training_day``."""
        self.regime_of[version] = self.regime(last_training_day)
        if initial:
            self.initial = version

    def kind(self, day: int, version: str) -> str | None:
        """The figure a prediction of ``version`` served on ``day`` counts towards."""
        regime = self.regime_of.get(version)
        if regime is None:
            return None
        if self.regime(day) == 0:
            return "before_drift"
        if regime < self.regime(day):
            return "after_drift"
        return "after_retrain" if version != self.initial else None

    def add(self, day: int, versions: Sequence[str], correct: Sequence[bool]) -> None:
        """Count the labeled predictions of one day."""
        for version, ok in zip(versions, correct, strict=True):
            kind = self.kind(day, version)
            if kind is not None:
                tally = self.tallies[kind]
                tally[0] += int(ok)
                tally[1] += 1

    def figures(self) -> dict[str, float]:
        """Accuracy per kind (NaN when nothing counted towards it)."""
        return {
            k: round(right / total, 4) if total else float("nan")
            for k, (right, total) in self.tallies.items()
        }
