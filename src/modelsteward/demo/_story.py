"""The closed loop on a simulated fleet: serve, detect, alert, retrain, gate, roll out.

Simulated days pass on a :class:`~modelsteward.rollout.ManualClock`; every request goes
through the in-process :class:`~modelsteward.rollout.Gateway` and is logged to the store;
labels arrive one day late. Everything lands in the store, registry and audit log of
``STEWARD_HOME``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.request import Request, urlopen

import numpy as np
import pyarrow as pa

from modelsteward.demo._fleet import FEATURES, Fleet
from modelsteward.demo._models import LABEL, Faults, serving_fn, table_fn, train
from modelsteward.demo._parts import DemoConfig, TimelineEvent, WebhookReceiver
from modelsteward.settings import Settings

__all__ = ["Story"]

ACTOR = "steward-demo"
HOURS = 24


class _Recorder:
    """The gateway's event log: the audit log, plus the story's timeline."""

    def __init__(self, audit_events: Any, story: Story) -> None:
        self.audit_events = audit_events
        self.story = story

    def append(self, event_type: str, details: Mapping[str, Any]) -> None:
        self.audit_events.append(event_type, details)
        self.story._on_rollout_event(event_type, details)


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
        self.on_event = on_event
        self.on_day = on_day
        self.timeline: list[TimelineEvent] = []
        self.day = 0
        self.daily_accuracy: dict[int, float] = {}
        self.failure_day: int | None = None

    # -- timeline ------------------------------------------------------------------------
    def _emit(self, event: str, **detail: Any) -> None:
        ev = TimelineEvent(self.day, event, detail)
        self.timeline.append(ev)
        if event in ("drift_detected", "alert", "retrain", "gate_passed", "gate_failed"):
            self.audit.append(f"demo.{event}", self.config.model, detail, actor=ACTOR)
        if self.on_event is not None:
            self.on_event(ev)

    def _on_rollout_event(self, event_type: str, details: Mapping[str, Any]) -> None:
        if event_type in ("shadow_started", "canary_started"):
            self._emit(
                "shadow" if event_type == "shadow_started" else "canary_step",
                version=self._version_of_rollout(),
                percent=self.gateway_percent(),
                reason=details.get("reason", ""),
            )
        elif event_type == "canary_step":
            self._emit(
                "canary_step", version=self._version_of_rollout(), percent=self.gateway_percent()
            )
        elif event_type == "promoted":
            version = self._champion()
            self.stale = False
            self.adwin = self.adwin_cls()
            if version in self.train_features:
                self.reference = self.train_features[version]
            self._emit("promoted", version=version, previous=self._previous())
            if self.failure_day is None:
                self.failure_day = self.day + 1
        elif event_type == "rolled_back":
            guard = details.get("evidence", {}).get("guardrails", {})
            failed = sorted(k for k, v in guard.items() if v.get("verdict") == "fail")
            self._emit(
                "rolled_back",
                version=details.get("rejected"),
                reason=details.get("reason", ""),
                automatic=bool(details.get("automatic")),
                failed_guardrails=failed,
            )

    def _runtime(self) -> Any:
        return self.gateway.models[self.config.model]

    def _version_of_rollout(self) -> str | None:
        c = self._runtime().rollout.candidate
        return None if c is None else str(c)

    def _champion(self) -> str:
        return str(self._runtime().rollout.champion)

    def _previous(self) -> str | None:
        p = self._runtime().rollout.previous
        return None if p is None else str(p)

    def gateway_percent(self) -> float:
        return float(self._runtime().rollout.percent)

    # -- setup ---------------------------------------------------------------------------
    def _setup(self) -> None:
        from modelsteward.detectors import ADWIN
        from modelsteward.governance import AuditLog
        from modelsteward.registry import Registry
        from modelsteward.rollout import (
            Gateway,
            Guardrails,
            InMemoryModelProvider,
            ManualClock,
            ModelSpec,
            RolloutPolicy,
        )
        from modelsteward.rollout._store_sink import StorePredictionSink
        from modelsteward.store import ConflictError, Store

        cfg = self.config
        self.store = Store.from_settings(self.settings)
        self.store.upgrade()
        self.registry = Registry.from_settings(self.settings, self.store)
        self.audit = AuditLog(self.store)
        with contextlib.suppress(ConflictError):
            self.store.models.create(cfg.model, "binary")
        self.fleet = Fleet(seed=cfg.seed)
        self.faults = Faults(cfg.seed)
        self.receiver = WebhookReceiver()
        self.clock = ManualClock(1_767_225_600.0)  # 2026-01-01, simulated
        self.adwin_cls = ADWIN
        self.adwin = ADWIN()

        history = Fleet(seed=cfg.seed + 1000)
        train_table = _with_labels([history.day(d, rows=cfg.rows) for d in range(3)])
        model = train(train_table, {"seed": cfg.seed})
        v1 = self._register(model, train_table, description="initial model, days -3..-1")
        self.registry.promote(cfg.model, v1, reason="initial model", actor=ACTOR)
        self.champion_before = v1
        self.reference = train_table.select(FEATURES)
        self.models: dict[str, Any] = {v1: model}
        self.train_features: dict[str, pa.Table] = {v1: self.reference}
        self.version_regime: dict[str, int] = {v1: 0}
        self.tallies: dict[str, list[int]] = {}
        self.provider = InMemoryModelProvider({v1: serving_fn(model, v1, self.faults)})
        self.policy = RolloutPolicy(
            steps=(20, 50, 100),
            shadow=True,
            min_hold_s=3600,
            min_samples=15,
            check_interval_s=3600,
            agreement_tolerance=0.3,
            guardrails=Guardrails(error_rate=0.05, latency_tail=1.0),
        )
        spec = ModelSpec(
            cfg.model,
            FEATURES,
            self.provider,
            v1,
            default=0,
            policy=self.policy,
            breaker={"cooldown_s": 1800.0},
        )
        self.sink = StorePredictionSink(self.store)
        events = _Recorder(self.audit.event_log(actor=ACTOR), self)
        self.gateway = Gateway(
            [spec], sink=self.sink, events=events, clock=self.clock, registry=self.registry
        )
        self.pending_retrain: dict[str, Any] | None = None
        self.labeled: dict[int, pa.Table] = {}
        self.served: dict[int, tuple[list[str], list[int], list[str]]] = {}
        self.stale = False
        self.detected_any = False
        self.fallback_served = 0

    def _register(self, model: Any, table: pa.Table, **kw: Any) -> str:
        mv = self.registry.register(
            self.config.model,
            model,
            flavor="sklearn",
            trust=True,
            training_data=table,
            target=LABEL,
            actor=ACTOR,
            **kw,
        )
        return str(mv.version)

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._run()

    def _run(self) -> dict[str, Any]:
        self._setup()
        try:
            for d in range(self.config.days):
                self.day = d
                self._labels_arrive(d - 1)
                self._maybe_retrain(d)
                if d == self.config.bad_candidate_day:
                    self._bad_candidate(d)
                self._serve_day(d)
                self._data_drift(d)
                if self.on_day is not None:
                    self.on_day(d)
            self.day = self.config.days
            self._labels_arrive(self.config.days - 1)
            self.sink.flush(timeout=30.0)
            return self._summary()
        finally:
            self._close()

    def _close(self) -> None:
        for closer in (self.gateway.close, self.sink.close, self.receiver.close, self.store.close):
            try:
                closer()
            except Exception:
                continue

    def _serve_day(self, d: int) -> None:
        cfg = self.config
        day = self.fleet.day(d, rows=cfg.rows)
        rows = day.features.select(FEATURES).to_pylist()
        requests_per_hour = max(1, min(len(rows), cfg.requests_per_day) // HOURS)
        ids: list[str] = []
        preds: list[int] = []
        versions: list[str] = []
        per_hour = int(np.ceil(len(rows) / HOURS))
        rt = self._runtime()
        for hour in range(HOURS):
            if d == self.failure_day and hour == 9:
                self.faults.set(self._champion(), 1.0)
                self._failing = self._champion()
                self._opens_before = sum(b.opens for b in rt.breakers.values())
            if d == self.failure_day and hour == 15:
                self.faults.set(self._failing, 0.0)
            chunk = rows[hour * per_hour : (hour + 1) * per_hour]
            bounds = np.linspace(0, len(chunk), min(len(chunk), requests_per_hour) + 1)
            for lo, hi in itertools.pairwise(bounds.astype(int)):
                answer = self.gateway.predict(cfg.model, chunk[lo:hi])
                ids.extend(answer["ids"])
                preds.extend(answer["predictions"])
                versions.extend([answer["version"]] * len(answer["ids"]))
                if answer["link"] not in ("champion", "candidate") and d == self.failure_day:
                    self.fallback_served += len(answer["ids"])
            self.gateway.shadow.drain(timeout=10.0)
            self.clock.advance(3600)
            self.gateway.tick()
            if d == self.failure_day and hour == 16:
                self._report_fallback()
        self.served[d] = (ids, preds, versions)
        self.labeled[d] = _with_labels([day])

    def _report_fallback(self) -> None:
        rt = self._runtime()
        breaker = rt.breakers.get(self._failing)
        opens = sum(b.opens for b in rt.breakers.values()) - self._opens_before
        self._emit(
            "fallback",
            failing_version=self._failing,
            served_by_fallback=self.fallback_served,
            breaker_opens=opens,
            breaker_state=None if breaker is None else str(breaker.state),
            fallback_to=self._previous() or "default",
            injected_failures=self.faults.raised.get(self._failing, 0),
        )
        self.audit.append("demo.fallback", self.config.model, self.timeline[-1].detail, actor=ACTOR)

    def _labels_arrive(self, d: int) -> None:
        from modelsteward.store import LabelRecord

        if d < 0 or d not in self.served:
            return
        ids, preds, versions = self.served[d]
        y = self.labeled[d].column(LABEL).to_numpy()
        self.sink.flush(timeout=30.0)
        self.store.ingest_labels(
            self.config.model,
            [LabelRecord(id=i, label=int(v)) for i, v in zip(ids, y, strict=True)],
        )
        errors = (np.asarray(preds) != y).astype(float)
        self.daily_accuracy[d] = float(1.0 - errors.mean())
        for version, wrong in zip(versions, errors, strict=True):
            kind = self._kind(d, version)
            if kind is not None:
                tally = self.tallies.setdefault(kind, [0, 0])
                tally[0] += int(not wrong)
                tally[1] += 1
        # the detector watches the champion's own error stream (not fallback or canary)
        mine = np.asarray(versions) == self._champion()
        errors = errors[mine]
        detections: Any = self.adwin.update_many(errors) if errors.size else []
        if len(detections) and errors.mean() > self._baseline_error + 0.04 and not self.stale:
            self._detected(
                "concept",
                detector="ADWIN",
                on_labels_of_day=d,
                error_rate=round(float(errors.mean()), 4),
                baseline_error_rate=round(self._baseline_error, 4),
            )

    @property
    def _baseline_error(self) -> float:
        right, total = self.tallies.get("before_drift", (0, 0))
        return 1.0 - right / total if total else 0.1

    def _data_drift(self, d: int) -> None:
        from modelsteward.datadrift import drift

        report = drift(self.reference, self.labeled[d].select(FEATURES), multivariate=False)
        drifted = report.drifted_columns
        if (report.dataset_drift or len(drifted) >= 2) and not self.stale:
            self._detected(
                "data",
                detector="dataset drift",
                drifted_columns=[c.name for c in drifted],
                dataset_drift=report.dataset_drift,
                drift_share=round(report.drift_share, 3),
            )

    def _detected(self, kind: str, **detail: Any) -> None:
        self.stale = self.detected_any = True
        self._emit("drift_detected", kind=kind, **detail)
        body = {"model": self.config.model, "kind": kind, "day": self.day, **detail}
        req = Request(
            self.receiver.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urlopen(req, timeout=5.0) as resp:
            status = resp.status
        self._emit(
            "alert",
            channel="webhook",
            url=self.receiver.url,
            status=status,
            received=len(self.receiver.received),
        )
        self.pending_retrain = {"since": self.day if kind == "data" else self.day - 1, "kind": kind}

    def _maybe_retrain(self, d: int) -> None:
        job = self.pending_retrain
        if job is None or self._runtime().rollout.state in ("shadow", "canary"):
            return
        days = [x for x in range(job["since"], d) if x in self.labeled and x < d - 0]
        days = [x for x in days if x in self.daily_accuracy]  # labels have arrived
        if len(days) < 2:
            return
        days = days[-2:]
        self.pending_retrain = None
        version = self._retrain(days, reason=f"{job['kind']} drift")
        if version is not None:
            self.gateway.start(
                self.config.model,
                version,
                actor=ACTOR,
                reason=f"retrained after {job['kind']} drift",
            )

    def _retrain(
        self, days: list[int], *, reason: str, fault: float = 0.0, repackage: bool = False
    ) -> str | None:
        """Train on ``days`` (or, with ``repackage``, re-ship the champion's model), gate
        the candidate against the champion on held-out rows, register it."""
        from modelsteward.retrain import GateConfig, evaluate_candidate

        table = pa.concat_tables([self.labeled[x] for x in days])
        n_hold = max(200, table.num_rows // 5)
        rng = np.random.default_rng([self.config.seed, self.day])
        order = rng.permutation(table.num_rows)
        holdout = table.take(np.sort(order[:n_hold]))
        train_table = table.take(np.sort(order[n_hold:]))
        t0 = time.perf_counter()
        champion = self._champion()
        if repackage:
            model = self.models[champion]
        else:
            model = train(train_table, {"seed": self.config.seed + self.day})
            self._emit(
                "retrain",
                reason=reason,
                training_days=days,
                training_rows=train_table.num_rows,
                holdout_rows=holdout.num_rows,
                seconds=round(time.perf_counter() - t0, 2),
            )
        gate = evaluate_candidate(
            table_fn(model),
            table_fn(self.models[champion]),
            holdout.select([*FEATURES, LABEL]),
            label=LABEL,
            config=GateConfig(task="classification"),
        )
        acc = {
            "candidate": gate.evidence.get("candidate", {}).get("accuracy"),
            "champion": gate.evidence.get("champion", {}).get("accuracy"),
        }
        if not gate.passed:
            self._register(
                model,
                train_table,
                rejected_reason="; ".join(gate.reasons),
                evidence=gate.evidence,
                parent=champion,
            )
            self._emit("gate_failed", reasons=list(gate.reasons), accuracy=acc)
            return None
        version = self._register(
            model,
            train_table,
            parent=champion,
            evidence=gate.evidence,
            description=reason if repackage else f"retrained on days {days} ({reason})",
        )
        self._emit(
            "gate_passed",
            version=version,
            champion=champion,
            accuracy=acc,
            reasons=list(gate.reasons),
        )
        self.models[version] = model
        self.provider.versions[version] = serving_fn(model, version, self.faults)
        self.faults.set(version, fault)
        self.train_features[version] = train_table.select(FEATURES)
        self.version_regime[version] = max(self._regime(x) for x in days)
        return version

    def _bad_candidate(self, d: int) -> None:
        """The champion re-packaged on a new serving image and shipped as a hotfix straight
        to canary: the same trees pass the offline gate, but the image raises on ~40 % of
        calls, so only the live guardrails can catch it."""
        rt = self._runtime()
        if rt.rollout.state in ("shadow", "canary"):
            return
        days = [x for x in sorted(self.daily_accuracy) if x < d][-2:]
        if len(days) < 2:
            return
        version = self._retrain(
            days,
            reason="champion re-packaged on a new serving image "
            "(injected: raises on 40 % of calls)",
            fault=0.4,
            repackage=True,
        )
        if version is None:
            return
        rt.rollout.policy = replace(self.policy, shadow=False)
        try:
            self.gateway.start(
                self.config.model, version, actor=ACTOR, reason="hotfix: skip shadow"
            )
        finally:
            rt.rollout.policy = self.policy

    def _regime(self, d: int) -> int:
        """Which world day ``d`` lives in: 0 before any change, then one per change."""
        sc = self.fleet.scenario
        changes = sorted({sc.recalibration_day, sc.new_machine_type_day, sc.concept_drift_day})
        return sum(d >= c for c in changes)

    def _kind(self, d: int, version: str) -> str | None:
        """Which accuracy a prediction of ``version`` on day ``d`` counts towards: before
        the drift, after it (a model of an older world), after retraining (a retrained
        model of the current world); None for the constant default."""
        regime = self.version_regime.get(version)
        if regime is None:
            return None
        if self._regime(d) == 0:
            return "before_drift"
        if regime < self._regime(d):
            return "after_drift"
        return "after_retrain" if version != self.champion_before else None

    def _summary(self) -> dict[str, Any]:
        from modelsteward.governance import AuditLog

        def mean(kind: str) -> float:
            right, total = self.tallies.get(kind, (0, 0))
            return round(right / total, 4) if total else float("nan")

        return {
            "timeline": [e.to_dict() for e in self.timeline],
            "champion_before": self.champion_before,
            "champion_after": str(self.registry.aliases(self.config.model).get("champion")),
            "accuracy": {
                "before_drift": mean("before_drift"),
                "after_drift": mean("after_drift"),
                "after_retrain": mean("after_retrain"),
            },
            "audit_verified": bool(AuditLog(self.store).verify().ok),
        }


def _with_labels(days: list[Any]) -> pa.Table:
    tables = [
        d.features.select(FEATURES).append_column(LABEL, pa.array(d.labels.astype(np.int64)))
        for d in days
    ]
    return pa.concat_tables(tables)
