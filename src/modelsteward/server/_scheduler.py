"""The evaluation scheduler: every closed window of every model, evaluated exactly once.

Windows are aligned to the Unix epoch (``[k·w, (k+1)·w)``); a window is closed once the
clock has passed its end. Each run evaluates, per model and width, the closed windows not
evaluated yet (at most ``backfill`` of them, newest last), stores every figure, then
applies the alert rules. Each version seen in a window (up to ``max_versions``) gets its
own series too (drift and data quality stay per model). The clock is injected; tests
drive :meth:`run_once` directly.

With a :class:`~modelsteward.server._retrain.RetrainDispatcher`, the windows a run
evaluated (and the alerts it sent) then go to the models' retraining policies; the runs
they allow are handed to the dispatcher's workers, so a run never waits for training.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from modelsteward.server._alerting import AlertEngine, Notification
from modelsteward.server._evaluate import evaluate_window, parse_window
from modelsteward.store import Model, Store

if TYPE_CHECKING:
    from modelsteward.server._retrain import Evaluated, RetrainDispatcher

__all__ = ["Scheduler"]

log = logging.getLogger("modelsteward.server")
_MARKER = "predictions"  # recorded last: its presence means the window is done


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        store: Store,
        windows: list[str],
        *,
        alerts: AlertEngine | None = None,
        backfill: int = 3,
        retention_days: int = 0,
        max_versions: int = 20,
        clock: Callable[[], datetime] = _utcnow,
        retrain: RetrainDispatcher | None = None,
    ) -> None:
        self.max_versions = max_versions
        self.retention_days = retention_days
        self.store = store
        self.windows = [(w, parse_window(w)) for w in windows]
        self.alerts = alerts
        self.backfill = backfill
        self.clock = clock
        self.retrain = retrain

    def closed_windows(
        self, model: Model, width: timedelta, now: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The last ``backfill`` closed windows that end after the model was created."""
        w = int(width.total_seconds())
        last_end = int(now.timestamp()) // w * w
        out = []
        for k in range(self.backfill):
            end = datetime.fromtimestamp(last_end - k * w, UTC)
            if end <= model.created_at:
                break
            out.append((end - width, end))
        return out[::-1]

    def run_once(self) -> list[Notification]:
        """Evaluate what closed since the last run; returns the notifications sent."""
        now = self.clock()
        notes: list[Notification] = []
        evaluated: list[Evaluated] = []
        if self.store.features is not None and self.retention_days > 0:
            self.store.features.prune(now, self.retention_days)
        for model in self.store.models.list():
            for name, width in self.windows:
                for start, end in self.closed_windows(model, width, now):
                    if self.store.evaluations.exists(model.id, _MARKER, start, end):
                        continue
                    try:
                        notes += self._evaluate(model, name, start, end, now, evaluated)
                    except Exception:
                        log.exception("evaluating %s [%s, %s) failed", model.name, start, end)
        if self.retrain is not None:
            try:
                self.retrain.after_cycle(evaluated, notes)
            except Exception:
                log.exception("handing the evaluation to the retraining policies failed")
        return notes

    def _evaluate(
        self,
        model: Model,
        window: str,
        start: datetime,
        end: datetime,
        now: datetime,
        evaluated: list[Evaluated],
    ) -> list[Notification]:
        metrics, details = evaluate_window(self.store, model, start, end)
        record = self.store.evaluations.record
        for version in details["versions"][: self.max_versions]:
            per_version, _ = evaluate_window(self.store, model, start, end, version=version)
            for metric, value in per_version.items():
                record(model.id, metric, start, end, value, version=version)
        for metric, value in metrics.items():
            if metric != _MARKER:
                record(model.id, metric, start, end, value)
        if not record(model.id, _MARKER, start, end, metrics[_MARKER], details=details):
            return []  # another server instance finished this window first
        if self.retrain is not None:
            from modelsteward.server._retrain import Evaluated

            evaluated.append(Evaluated(model.name, window, start, end, metrics))
        if self.alerts is None:
            return []
        return self.alerts.apply(model, window, start, end, metrics, now)
