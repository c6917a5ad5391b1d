"""The demo's monitor: what the service computes for each closed simulated day.

Once a day's labels have arrived, :meth:`DailyMonitor.close_day` runs the service's window
evaluation (:func:`modelsteward.server._evaluate.evaluate_window`: realized accuracy,
data drift of the stored profiles against the model's reference, data quality, ...),
stores the figures as the scheduler does (so ``steward serve`` shows them afterwards), and
feeds the champion's stream of mistakes to a streaming ADWIN detector. The result is the
:class:`~modelsteward.retrain.Signals` a retraining policy decides on.

The reference follows the champion: on a promotion it becomes the profile of the retained
traffic the new champion was trained on (:meth:`DailyMonitor.follow_champion`), and the
detector starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from modelsteward.retrain import Signals
    from modelsteward.store import Store

__all__ = ["DETECTOR", "DailyMonitor", "DayFigures"]

#: The name the streaming detector fires under (what a ``DetectorTrigger`` listens for).
DETECTOR = "adwin_mistakes"


@dataclass(frozen=True)
class DayFigures:
    """The monitor's figures of one closed window and the signals built from them."""

    start: datetime
    end: datetime
    metrics: dict[str, float | None]
    detector_fired: bool
    signals: Signals


class DailyMonitor:
    """Evaluate closed windows of one model and turn them into retraining signals."""

    def __init__(self, store: Store, model: str) -> None:
        from modelsteward.detectors import ADWIN

        self.store = store
        self.model = model
        self._adwin_cls = ADWIN
        self.detector = ADWIN()
        self.labels_total = 0

    def close_day(
        self, start: datetime, end: datetime, champion_mistakes: Sequence[float], labels: int
    ) -> DayFigures:
        """Evaluate ``[start, end)`` (its labels in), record it, return the signals.

        ``champion_mistakes`` is the champion's 0/1 mistake stream of the window in time
        order (what the detector watches); ``labels`` how many labels arrived with it.
        """
        from modelsteward.retrain import Signals
        from modelsteward.server._evaluate import evaluate_window

        model = self.store.models.get(self.model)
        metrics, details = evaluate_window(self.store, model, start, end)
        record = self.store.evaluations.record
        for metric, value in metrics.items():
            if metric != "predictions":
                record(model.id, metric, start, end, value)
        record(model.id, "predictions", start, end, metrics["predictions"], details=details)
        fired = self._detect(np.asarray(champion_mistakes, dtype=float))
        self.labels_total += labels
        drift = None
        if metrics.get("drift_share") is not None:
            drift = {
                "dataset_drift": bool(metrics.get("dataset_drift")),
                "drift_share": metrics["drift_share"],
            }
        accuracy = metrics.get("accuracy")
        signals = Signals(
            now=end,
            drift=drift,
            performance=None if accuracy is None else {"accuracy": accuracy},
            detectors_fired=(DETECTOR,) if fired else (),
            labels_total=self.labels_total,
            window=(start, end),
        )
        return DayFigures(start, end, metrics, fired, signals)

    def _detect(self, mistakes: np.ndarray) -> bool:
        """True when ADWIN finds a change in the champion's mistakes and it is for the worse
        (a detector also fires when a better model makes fewer mistakes)."""
        if mistakes.size == 0:
            return False
        before = self.detector.estimation
        seen = self.detector.width
        found: Any = self.detector.update_many(mistakes)
        return bool(len(found)) and seen > 0 and float(mistakes.mean()) > before

    def follow_champion(
        self, train_start: datetime, train_end: datetime, features: Sequence[str]
    ) -> None:
        """Make the retained traffic of ``[train_start, train_end)`` (what the new champion
        was trained on) the drift reference, and restart the detector."""
        from modelsteward.profiles import profile_table

        archive = self.store.features
        table = None if archive is None else archive.read(self.model, train_start, train_end)
        if table is not None and table.num_rows:
            profile = profile_table(table.select(list(features)))
            self.store.set_reference(self.model, str(profile.to_json()))
        self.detector = self._adwin_cls()
