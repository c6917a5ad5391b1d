"""Retraining from the scheduler: after each evaluation cycle, the figures of the windows
just evaluated go to each model's retraining policy, and the runs it allows go to a worker.

Per model with a ``[retrain.<model>]`` policy (:mod:`modelsteward.server._retrain_config`),
after every cycle: the newest window of the policy's width evaluated in the cycle gives the
signals (dataset drift and drift share, realized accuracy/ROC AUC/MAE/RMSE, their CBPE or
DLE estimates, the ADWIN detector on mistakes as ``mistake_drift``), plus the label count
and the time (for the ``new_labels`` and schedule triggers, checked every cycle). The
policy decides with its cooldown, deduplication per window and daily budget
(:meth:`RetrainLoop.begin`, audited ``retrain.decided``); a run it allows is handed to a
thread pool whose worker builds the training data (retained features joined with the
stored labels), trains in a subprocess with the policy's timeout, gates the candidate
against the champion and registers it (:meth:`RetrainLoop.execute`, each step audited).
The scheduler never waits for it.

The loop stage of the model (``rollout_states``) moves ``detected`` (or ``alerted`` when the
same cycle fired an alert for the model) → ``retraining`` → ``validating`` (the gate; a
passing candidate waits there for its shadow) or back to ``idle`` (rejected or failed), and
the policy state (last run, runs of the day, handled windows, run in flight) is saved with
it, so a restarted server keeps the cooldown and budget. A run a restart interrupted is
audited ``retrain.abandoned`` and may be retried. No run starts while a candidate is
rolled out (shadow, canary, awaiting approval) or while the loop waits for a human.

Several server instances may share the store: each decides on the policy state saved in
the row (so the others' runs count against cooldown and budget) and claims a run with a
compare-and-set on the row before starting it, so only one instance starts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from modelsteward.retrain import (
    AuditSink,
    CandidateRegistry,
    PolicyState,
    RetrainLoop,
    RunRecord,
    Signals,
    SubprocessRunner,
    TrainingDataError,
    TrainingRunner,
)
from modelsteward.server._alerting import Notification
from modelsteward.server._retrain_config import MISTAKE_DETECTOR, RetrainSpec
from modelsteward.store import ConflictError, Model, NotFoundError, Store
from modelsteward.store.audit import AuditRepository
from modelsteward.store.rollout_state import RolloutState, RolloutStateRepository
from modelsteward.store.training import label_count, labels_of

__all__ = ["Evaluated", "RetrainDispatcher"]

log = logging.getLogger("modelsteward.server")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAGE_OF_STEP = {"retrain.started": "retraining", "retrain.gate": "validating"}
_REALIZED = ("accuracy", "roc_auc", "mae", "rmse")
_ESTIMATED = {
    "estimated_accuracy": "accuracy",
    "estimated_roc_auc": "roc_auc",
    "estimated_mae": "mae",
    "estimated_rmse": "rmse",
}
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class Evaluated:
    """One window the scheduler just evaluated, with its figures."""

    model: str
    window: str
    start: datetime
    end: datetime
    metrics: Mapping[str, float | None]


class _Clock:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now()


def signals_of(now: datetime, labels_total: int, window: Evaluated | None) -> Signals:
    """The retraining signals of one evaluated window (or of none: time and labels only).

    >>> w = Evaluated("m", "1h", datetime(2026, 1, 1, tzinfo=UTC),
    ...     datetime(2026, 1, 1, 1, tzinfo=UTC), {"dataset_drift": 1.0, "drift_share": 0.5,
    ...     "accuracy": 0.7, "estimated_accuracy": None, "mistake_drift": 1.0})
    >>> s = signals_of(datetime(2026, 1, 1, 2, tzinfo=UTC), 40, w)
    >>> s.drift, dict(s.performance), s.detectors_fired
    ({'dataset_drift': True, 'drift_share': 0.5}, {'accuracy': 0.7}, ('mistake_drift',))
    """
    if window is None:
        return Signals(now=now, labels_total=labels_total)
    m = window.metrics
    drift = None
    if m.get("dataset_drift") is not None:
        drift = {"dataset_drift": bool(m["dataset_drift"]), "drift_share": m.get("drift_share")}
    realized = {k: float(v) for k in _REALIZED if (v := m.get(k)) is not None}
    estimated = {k: float(v) for src, k in _ESTIMATED.items() if (v := m.get(src)) is not None}
    fired = (MISTAKE_DETECTOR,) if m.get(MISTAKE_DETECTOR) == 1.0 else ()
    return Signals(
        now=now,
        drift=drift,
        performance=realized or None,
        estimated_performance=estimated or None,
        detectors_fired=fired,
        labels_total=labels_total,
        window=(window.start, window.end),
    )


class RetrainDispatcher:
    """Feed each cycle's results to the models' retraining policies; run on workers.

    Parameters
    ----------
    store:
        The store (features must be retained for training: ``feature_retention_days``).
    specs:
        Model name to its :class:`RetrainSpec`.
    registry:
        The candidate registry for a spec (``RegistryAdapter`` over the model registry).
    default_window:
        The width whose windows feed a policy that names none.
    runner:
        How a spec trains (default: :class:`SubprocessRunner` with the spec's timeout).
    workers:
        Runs at the same time (different models; one model never has two).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from modelsteward.retrain import InMemoryRegistry, InProcessRunner
    >>> from modelsteward.server._retrain_config import parse_retrain
    >>> from modelsteward.store import LabelRecord, PredictionRecord
    >>> home = Path(tempfile.mkdtemp())
    >>> store = Store(f"sqlite:///{home}/s.db", feature_dir=home / "features")
    >>> store.upgrade(); _ = store.models.create("m", "binary")
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> _ = store.ingest_predictions("m", [PredictionRecord(id=str(i), prediction=1,
    ...     timestamp=t0 + timedelta(seconds=i), features={"x": i / 400}) for i in range(400)])
    >>> _ = store.ingest_labels("m", [LabelRecord(id=str(i), label=int(i > 200))
    ...                               for i in range(400)])
    >>> specs = parse_retrain({"m": {"entry_point": "modelsteward.retrain._examples:threshold",
    ...     "params": {"at": 0.5}, "triggers": {"new_labels": 100}, "gate": {"min_samples": 50}}})
    >>> registry = InMemoryRegistry()
    >>> retrain = RetrainDispatcher(store, specs, registry=lambda spec: registry,
    ...     default_window="1h", runner=lambda spec: InProcessRunner(),
    ...     clock=lambda: t0 + timedelta(hours=1))
    >>> [r.status for r in retrain.after_cycle([])]  # 400 new labels >= 100: a run starts
    ['running']
    >>> retrain.wait(30), [(v.version, v.status) for v in registry.versions["m"]]
    (True, [('v1', 'candidate')])
    >>> retrain.states.get("m").stage
    'validating'
    >>> retrain.close(); store.close()
    """

    def __init__(
        self,
        store: Store,
        specs: Mapping[str, RetrainSpec],
        *,
        registry: Callable[[RetrainSpec], CandidateRegistry],
        default_window: str,
        audit: AuditSink | None = None,
        runner: Callable[[RetrainSpec], TrainingRunner] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: int = 1,
        actor: str = "scheduler",
    ) -> None:
        self.store = store
        self.specs = dict(specs)
        self.states = RolloutStateRepository(store.engine)
        self.audit: AuditSink = audit if audit is not None else AuditRepository(store.engine)
        self.default_window = default_window
        self.actor = actor
        self._registry = registry
        self._runner = runner or (lambda s: SubprocessRunner(timeout=s.timeout_seconds))
        self._clock = _Clock(clock)
        self._loops: dict[str, RetrainLoop] = {}
        self._written: dict[str, Any] = {}  # the policy state last saved, per model
        self._running: dict[str, Future[RunRecord]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="steward-retrain")

    # -- the scheduler's side ----------------------------------------------------------------
    def after_cycle(
        self, evaluated: Sequence[Evaluated], notes: Sequence[Notification] = ()
    ) -> list[RunRecord]:
        """Decide for every model with a policy; return the runs handed to a worker."""
        started = []
        for name, spec in self.specs.items():
            try:
                record = self._decide(name, spec, evaluated, notes)
            except Exception:
                log.exception("retraining decision for %s failed", name)
                continue
            if record is not None:
                started.append(record)
        return started

    def _decide(
        self,
        name: str,
        spec: RetrainSpec,
        evaluated: Sequence[Evaluated],
        notes: Sequence[Notification],
    ) -> RunRecord | None:
        with self._lock:
            busy = name in self._running and not self._running[name].done()
        if busy:
            return None
        try:
            model = self.store.models.get(name)
        except NotFoundError:
            log.warning("[retrain.%s]: no such model in the store; nothing to retrain", name)
            return None
        loop = self._loop(model, spec)
        width = spec.window or self.default_window
        mine = [e for e in evaluated if e.model == name and e.window == width]
        newest = max(mine, key=lambda e: e.end) if mine else None
        now = self._clock.now()
        signals = signals_of(now, label_count(self.store, name), newest)
        alerts = [
            {"rule": n.alert.rule, "metric": n.alert.metric, "value": n.alert.value}
            for n in notes
            if n.alert.model == name and n.event == "firing"
        ]
        claimed = self._claim(name, loop, signals, alerts)
        if claimed is None:
            return None  # a rollout owns the loop, or another server claimed the run
        # A blocked trigger is audited once per evaluated window; the schedule and label
        # triggers, looked at every cycle, only when they start a run.
        loop.audit_blocked = newest is not None
        record = loop.begin(signals)
        if record.status != "running":
            if claimed:  # the decision changed between the claim and now: release it
                self._save(name, loop, "idle")
            return None
        try:
            future = self._pool.submit(self._execute, model, spec, loop, record)
        except RuntimeError as exc:  # the dispatcher was closed: end the run it began
            loop.state = loop.state.finished(self._clock.now(), handled=False)
            failure = {"cause": "worker", "message": f"no worker to run it: {exc}"}
            self.audit.append("retrain.failed", name, failure, actor=self.actor)
            self._save(name, loop, "idle", last_run={"status": "failed", "failure": failure})
            return None
        with self._lock:
            self._running[name] = future
        return record

    def _claim(
        self, name: str, loop: RetrainLoop, signals: Signals, alerts: list[dict[str, Any]]
    ) -> bool | None:
        """Adopt the policy state another server instance saved, decide, and when a run is
        due claim it with a compare-and-set on the loop state (so two instances never both
        start it). True: claimed; False: nothing to run; None: do not even decide."""
        for _ in range(_CLAIM_ATTEMPTS):
            row = self.states.get(name) or RolloutState(name)
            if row.active or row.stage == "needs_human":
                return None  # a candidate is being rolled out, or the loop waits for a human
            saved = row.retrain.get("policy_state")
            if saved is not None and saved != self._written.get(name):
                loop.state = PolicyState.from_dict(saved)  # another instance's runs count
            decision = loop.decide(signals)
            if not decision.run:
                return False
            started = loop.state.started(decision, signals.now, labels_total=signals.labels_total)
            detected = {"reasons": [r.to_dict() for r in decision.reasons], "alerts": alerts}
            retrain = {**row.retrain, "policy_state": started.to_dict(), "detected": detected}
            stage = "alerted" if alerts else "detected"
            try:
                self.states.save(replace(row, stage=stage, retrain=retrain))
            except ConflictError:
                continue  # someone wrote the row meanwhile: read it again
            self._written[name] = retrain["policy_state"]
            return True
        return None

    def _loop(self, model: Model, spec: RetrainSpec) -> RetrainLoop:
        loop = self._loops.get(model.name)
        if loop is not None:
            return loop
        row = self.states.get(model.name)
        saved = None if row is None else row.retrain.get("policy_state")
        state = PolicyState() if saved is None else PolicyState.from_dict(saved)
        self._written[model.name] = saved
        name = model.name
        loop = RetrainLoop(
            spec.job(name, model.task),
            policy=spec.policy(),
            runner=self._runner(spec),
            registry=self._registry(spec),
            audit=self.audit,
            clock=self._clock,
            state=state,
            actor=self.actor,
            on_step=lambda action: self._step(name, action),
        )
        self._loops[name] = loop
        if state.in_flight is not None:  # the server stopped during that run
            loop.state = state.finished(self._clock.now(), handled=False)
            self.audit.append(
                "retrain.abandoned",
                name,
                {"reasons": list(state.in_flight), "detail": "the server restarted during it"},
                actor=self.actor,
            )
            self._save(name, loop, "idle")
        return loop

    # -- the worker's side -------------------------------------------------------------------
    def _execute(
        self, model: Model, spec: RetrainSpec, loop: RetrainLoop, record: RunRecord
    ) -> RunRecord:
        name = model.name

        def features() -> pa.Table:
            archive = self.store.features
            if archive is None:
                raise TrainingDataError(
                    f"cannot retrain {name!r}: raw features are not retained; set "
                    "feature_retention_days > 0 so the scheduler has data to train on"
                )
            table = archive.read(name, _EPOCH, self._clock.now() + timedelta(days=1))
            if table is None:
                raise TrainingDataError(f"cannot retrain {name!r}: no retained features yet")
            return table

        def labels() -> pa.Table:
            return pa.table(labels_of(self.store, name))

        try:
            loop.execute(record, features, labels)
        except Exception:  # audited as retrain.failed by the loop; the worker carries on
            log.exception("retraining %s failed", name)
        finally:
            last = {
                "status": record.status,
                "version": record.version,
                "gate_passed": None if record.gate is None else record.gate.passed,
                "failure": record.failure,
                "at": self._clock.now(),
            }
            self._save(
                name, loop, "validating" if record.status == "candidate" else "idle", last_run=last
            )
        return record

    def _step(self, name: str, action: str) -> None:
        stage = _STAGE_OF_STEP.get(action)
        loop = self._loops.get(name)
        if stage is not None and loop is not None:
            self._save(name, loop, stage)

    def _save(self, name: str, loop: RetrainLoop, stage: str, **info: Any) -> None:
        """Save the policy state and ``info``; move the stage unless a rollout owns it."""
        policy_state = loop.state.to_dict()

        def change(current: RolloutState) -> RolloutState:
            retrain = {**current.retrain, "policy_state": policy_state, **info}
            if current.active or current.stage == "needs_human":
                return replace(current, retrain=retrain)
            return replace(current, stage=stage, retrain=retrain)

        try:
            self.states.update(name, change)
        except Exception:  # the run goes on; the audit log still has every step
            log.exception("could not save the retraining state of %s", name)
        else:
            self._written[name] = policy_state

    # -- lifecycle ---------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the runs in flight; True when none is left (tests, shutdown)."""
        from concurrent.futures import wait

        with self._lock:
            futures = list(self._running.values())
        _, pending = wait(futures, timeout=timeout)
        return not pending

    def close(self, *, wait: bool = False) -> None:
        """Stop taking runs; ``wait`` for those in flight (else their subprocess is left to
        finish or time out, and a restart audits them as abandoned)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
