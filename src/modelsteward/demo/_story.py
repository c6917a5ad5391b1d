"""The closed loop on a simulated fleet, day by day.

Each simulated day: the labels of the day before arrive (in the store, and in the gateway
for the canary's accuracy guardrail); the monitor evaluates that closed day; when no
rollout is in progress, the retraining loop's policy decides on the monitor's signals and,
if a trigger fired, the loop trains in a subprocess, gates the candidate and registers it,
and the gateway starts its rollout (shadow, then the canary steps); then the day's traffic
goes through the gateway, whose own checks advance, promote or roll back. A bad candidate
(a sound model on a broken serving image) ships once; the day after the first promotion
the champion fails for some hours and the fallback chain serves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from modelsteward.demo._accuracy import AccuracyTally
from modelsteward.demo._fleet import FEATURES, Day, Fleet
from modelsteward.demo._monitor import DailyMonitor
from modelsteward.demo._parts import (
    DemoConfig,
    TimelineEvent,
    WebhookReceiver,
    one_cpu,
    post_alert,
)
from modelsteward.demo._retraining import (
    HOLDOUT,
    TRAIN_SPAN,
    gate_detail,
    labels_of,
    make_loop,
    retained_features,
    retrain_detail,
)
from modelsteward.demo._setup import ACTOR, START, SimulatedClock, build
from modelsteward.demo._timeline import Timeline
from modelsteward.demo._traffic import DAY_S, Drill, Served, serve_day
from modelsteward.settings import Settings

if TYPE_CHECKING:
    from modelsteward.retrain import RunRecord, Signals

__all__ = ["BAD_IMAGE_FAILURE_RATE", "Story"]

#: Share of calls the bad candidate's serving image fails.
BAD_IMAGE_FAILURE_RATE = 0.4
_CONCEPT = ("performance", "detector")
#: Events after which a day's traffic was partly the candidate's, or the champion changed.
_SERVING_EVENTS = ("canary_step", "promoted")


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Story:
    """Run the predictive-maintenance story once and return its summary."""

    def __init__(
        self,
        settings: Settings,
        config: DemoConfig | None = None,
        *,
        on_event: Callable[[TimelineEvent], None] | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or DemoConfig()
        self.on_day = on_day
        self.timeline = Timeline(on_event)
        self.fleet = Fleet(seed=self.config.seed)
        self.tally = AccuracyTally(self.fleet.scenario)
        self.served: dict[int, tuple[Day, Served]] = {}
        self.windows: dict[str, dict[str, str]] = {}
        self.promoted: list[str] = []
        self.canary_days: set[int] = set()
        self.drill: Drill | None = None
        self.bad_shipped = False

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Run every simulated day on one CPU (see :func:`one_cpu`); the JSON summary."""
        with one_cpu():
            return self._run()

    def _run(self) -> dict[str, Any]:
        from modelsteward.rollout import ManualClock

        self.clock = ManualClock(START)
        self.receiver = WebhookReceiver()
        try:
            self.plant = build(
                self.settings, self.config, self.timeline, self.clock, self._on_promoted
            )
        except BaseException:
            self.receiver.close()
            raise
        try:
            cfg = self.config
            p = self.plant
            self.tally.learned(p.initial, -1, initial=True)
            self.monitor = DailyMonitor(p.store, cfg.model)
            self.loop = make_loop(
                p.store,
                p.registry,
                p.audit,
                SimulatedClock(self.clock),
                model=cfg.model,
                seed=cfg.seed,
                actor=ACTOR,
            )
            for d in range(cfg.days):
                self._day(d)
            self.timeline.day = cfg.days
            self._close_day(cfg.days - 1, decide=False)
            return self._summary()
        finally:
            self.plant.close()
            self.receiver.close()

    def _day(self, d: int) -> None:
        """One simulated day: yesterday closes, a candidate may ship, traffic flows."""
        cfg, p = self.config, self.plant
        self.timeline.day = d
        if d > 0:
            self._close_day(d - 1, decide=True)
        if d >= cfg.bad_candidate_day and not self.bad_shipped and not self._rolling_out():
            self.bad_shipped = self._ship_bad_candidate()
        if self._stage() in ("canary", "awaiting_approval"):
            self.canary_days.add(d)
        day = self.fleet.day(d, rows=cfg.rows)
        served = serve_day(
            p.gateway,
            self.clock,
            cfg.model,
            day,
            start=START + d * DAY_S,
            faults=p.faults,
            drill=self.drill,
        )
        self.served[d] = (day, served)
        if any(e.day == d and e.event in _SERVING_EVENTS for e in self.timeline.events):
            self.canary_days.add(d)
        if self.drill is not None and self.drill.day == d:
            detail = self.drill.report(p.gateway, cfg.model, p.faults)
            self.timeline.emit("fallback", **detail)
            p.audit.append("demo.fallback", cfg.model, detail, actor=ACTOR)
        if self.on_day is not None:
            self.on_day(d)

    def _on_promoted(self, version: str) -> None:
        """A promotion happened (inside the gateway's check): the monitor follows the new
        champion at the end of the day; the champion will fail for a few hours the next."""
        self.promoted.append(version)
        if self.drill is None:
            self.drill = Drill(day=self.timeline.day + 1)

    def _stage(self) -> str:
        """The rollout state of the model (``idle``, ``shadow``, ``canary``, ...)."""
        return str(self.plant.gateway.runtime(self.config.model).rollout.state)

    def _rolling_out(self) -> bool:
        """Whether a candidate is being rolled out now."""
        return self._stage() in ("shadow", "canary", "awaiting_approval")

    # -- labels and the monitor ----------------------------------------------------------
    def _close_day(self, d: int, *, decide: bool) -> None:
        """Day ``d``'s labels arrive; the monitor evaluates it; the policy decides.

        A day a canary overlapped is evaluated but not decided on: its traffic was served
        partly by a candidate, and after a promotion the drift reference moves to the new
        champion's training traffic (from the next day on, so that each day's profiles are
        compared with the reference they were binned on)."""
        from modelsteward.store import LabelRecord

        p, model = self.plant, self.config.model
        p.sink.flush()
        day, served = self.served.pop(d)
        labels = day.labels.astype(int)
        p.store.ingest_labels(
            model,
            [LabelRecord(id=i, label=int(y)) for i, y in zip(served.ids, labels, strict=True)],
        )
        for i, y in zip(served.ids, labels, strict=True):
            p.gateway.record_label(model, i, int(y))
        correct = np.asarray(served.predictions) == labels
        self.tally.add(d, served.versions, correct.tolist())
        champion = p.gateway.runtime(model).rollout.champion
        mine = np.asarray(served.versions) == champion
        figures = self.monitor.close_day(
            _at(START + d * DAY_S), _at(START + (d + 1) * DAY_S), (~correct[mine]), len(labels)
        )
        while self.promoted:
            window = self.windows.get(self.promoted.pop(0))
            if window is not None:
                self.monitor.follow_champion(
                    datetime.fromisoformat(window["train_start"]),
                    datetime.fromisoformat(window["train_end"]) + timedelta(seconds=1),
                    FEATURES,
                )
        if decide and d not in self.canary_days and not self._rolling_out():
            self._decide(figures.signals)

    # -- retraining ------------------------------------------------------------------------
    def _decide(self, signals: Signals) -> None:
        """The retraining loop decides on the monitor's signals (and runs if allowed); a
        decision with reasons is a detection, recorded and alerted."""
        record = self.loop.run_once(signals, *self._data())
        decision = record.decision
        if not decision.reasons:
            return
        kinds = {r.kind for r in decision.reasons}
        kind = "data" if "drift" in kinds else "concept" if kinds & set(_CONCEPT) else "other"
        detail = {
            "kind": kind,
            "policy": [r.to_dict() for r in decision.reasons],
            "window": signals.window_key(),
            "decision": "run" if decision.run else f"blocked: {decision.blocked_by}",
        }
        self.timeline.emit("drift_detected", **detail)
        self.plant.audit.append("demo.drift_detected", self.config.model, detail, actor=ACTOR)
        self._alert(detail)
        if decision.run:
            self._after_run(record, reason=f"{kind} drift: {decision.detail}")

    def _data(self) -> tuple[Any, Callable[[], Any]]:
        """What a run trains on: the retained partitions and the labels of the span."""
        p, model = self.plant, self.config.model
        now = _at(self.clock.now())
        start = now - TRAIN_SPAN - HOLDOUT - timedelta(days=1)
        return retained_features(p.store, model), lambda: labels_of(p.store, model, start, now)

    def _alert(self, detail: dict[str, Any]) -> None:
        """POST the detection to the local webhook receiver."""
        body = {"model": self.config.model, "day": self.timeline.day, **detail}
        status = post_alert(self.receiver.url, body)
        self.timeline.emit(
            "alert",
            channel="webhook",
            url=self.receiver.url,
            status=status,
            received=len(self.receiver.received),
        )

    def _after_run(self, record: RunRecord, *, reason: str, fault: float = 0.0) -> str | None:
        """Tell the timeline what a run did; start the rollout of a new candidate."""
        self.timeline.emit("retrain", **retrain_detail(record, reason))
        if record.status not in ("candidate", "rejected"):
            return None
        passed = record.status == "candidate"
        self.timeline.emit("gate_passed" if passed else "gate_failed", **gate_detail(record))
        if not passed or record.version is None:
            return None
        version = record.version
        self.windows[version] = (record.lineage or {}).get("data", {}).get("window", {})
        end = datetime.fromisoformat(self.windows[version]["train_end"])
        self.tally.learned(version, int((end.timestamp() - START) // DAY_S))
        self.plant.faults.set(version, fault)
        self.plant.gateway.start(self.config.model, version, actor=ACTOR, reason=reason)
        return version

    def _ship_bad_candidate(self) -> bool:
        """An engineer rebuilds the champion on a new serving image: the loop retrains it
        from the champion's own retained training data (same rows, same parameters, so the
        same model) and gates it like any candidate, which it passes; but the new image
        fails on a share of its calls, which only the live rollout can see. False while
        the champion has no retained training data (the initial model)."""
        p, model = self.plant, self.config.model
        champion = str(p.gateway.runtime(model).rollout.champion)
        if champion not in self.windows:
            return False
        window = self.windows[champion]
        start = datetime.fromisoformat(window["train_start"])
        end = datetime.fromisoformat(window["holdout_end"]) + timedelta(seconds=1)
        archive = p.store.features
        features = None if archive is None else archive.read(model, start, end)
        if features is None:
            return False
        reason = (
            f"requested by an engineer: rebuild v{champion} on the new serving image "
            f"(injected: the image fails {BAD_IMAGE_FAILURE_RATE:.0%} of calls)"
        )
        record = self.loop.run_once(
            None, features, lambda: labels_of(p.store, model, start, end), force=reason
        )
        self._after_run(record, reason=reason, fault=BAD_IMAGE_FAILURE_RATE)
        return True

    # -- the end -----------------------------------------------------------------------
    def _summary(self) -> dict[str, Any]:
        """The ``--json`` summary (the contract of issue 5)."""
        from modelsteward.governance import AuditLog

        p = self.plant
        return {
            "timeline": self.timeline.to_list(),
            "champion_before": p.initial,
            "champion_after": str(p.registry.aliases(self.config.model).get("champion")),
            "accuracy": self.tally.figures(),
            "audit_verified": bool(AuditLog(p.store).verify().ok),
        }
