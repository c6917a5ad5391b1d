"""The retraining loop, one step at a time: decide, build the data, train, gate, register,
and audit each step.

:meth:`RetrainLoop.run_once` returns a :class:`RunRecord` saying what happened: ``skipped``
(no trigger), ``blocked`` (cooldown, budget, a run in flight or a duplicate), ``failed``
(no usable data or training failed; the cause is in ``failure``), ``rejected`` (the gate
refused the candidate; it is registered as rejected with the evidence) or ``candidate``
(registered, ready for shadow and canary); ``running`` between :meth:`RetrainLoop.begin` and
:meth:`RetrainLoop.execute`, the two halves of ``run_once`` that let a scheduler decide at
once and train on a worker. :meth:`RetrainLoop.request_external` hands the
trigger to an external orchestrator instead (see ``docs/retrain-webhook.md``).

Audit actions: ``retrain.decided``, ``retrain.started``, ``retrain.failed``,
``retrain.gate``, ``retrain.candidate_registered``, ``retrain.candidate_rejected``,
``retrain.requested``. Subjects are the model name.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np, pyarrow as pa
>>> from modelsteward.retrain import (AllHistory, DriftTrigger, GateConfig, InMemoryRegistry,
...     InProcessRunner, ManualClock, MemoryAuditSink, RetrainPolicy, Signals)
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> x = np.random.default_rng(0).normal(size=400)
>>> features = pa.table({"id": [str(i) for i in range(400)],
...                      "timestamp": [t0 + timedelta(minutes=i) for i in range(400)], "x": x})
>>> labels = pa.table({"id": [str(i) for i in range(400)], "y": (x > 0.5).astype(int)})
>>> registry, audit = InMemoryRegistry(), MemoryAuditSink()
>>> _ = registry.add_champion("churn", lambda f: (f["x"].to_numpy() > 0).astype(int))
>>> loop = RetrainLoop(
...     RetrainJob("churn", "modelsteward.retrain._examples:threshold", label="y",
...                strategy=AllHistory(), params={"at": 0.5},
...                gate=GateConfig(task="classification", min_samples=50)),
...     policy=RetrainPolicy(triggers=(DriftTrigger(),)), runner=InProcessRunner(),
...     registry=registry, audit=audit, clock=ManualClock(t0 + timedelta(days=1)))
>>> record = loop.run_once(Signals(now=t0, drift={"dataset_drift": True}), features, labels)
>>> record.status, record.version, record.gate.passed
('candidate', 'v2', True)
>>> audit.actions()
['retrain.decided', 'retrain.started', 'retrain.gate', 'retrain.candidate_registered']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

import pyarrow as pa

from modelsteward.errors import ParameterError, StewardError
from modelsteward.retrain._data import Source, Strategy, build_training_data
from modelsteward.retrain._errors import TrainingFailed
from modelsteward.retrain._gate import GateConfig, GateResult, evaluate_candidate
from modelsteward.retrain._policies import Decision, PolicyState, Reason, RetrainPolicy, Signals
from modelsteward.retrain._protocols import AuditSink, CandidateRegistry, Clock, SystemClock
from modelsteward.retrain._runner import TrainingRunner
from modelsteward.retrain._webhook import retrain_event

__all__ = ["RetrainJob", "RetrainLoop", "RunRecord", "RunStatus"]

RunStatus = Literal["skipped", "blocked", "running", "failed", "rejected", "candidate", "requested"]


@dataclass(frozen=True)
class RetrainJob:
    """What to train and how to judge it, for one model.

    ``entry_point`` is ``module:function(train, params) -> model``; ``params`` reach it
    with ``"label"`` added. ``strategy``, ``holdout``, ``id_column``, ``timestamp`` and
    ``feature_columns`` go to :func:`build_training_data`; ``gate`` to
    :func:`evaluate_candidate`. ``code_version`` (e.g. a git commit) goes into the lineage.
    """

    model: str
    entry_point: str
    label: str
    strategy: Strategy
    gate: GateConfig
    params: Mapping[str, Any] = field(default_factory=dict)
    holdout: float | int | timedelta = 0.2
    id_column: str = "id"
    timestamp: str = "timestamp"
    feature_columns: Sequence[str] | None = None
    min_train_rows: int = 1
    code_version: str | None = None


@dataclass
class RunRecord:
    """What one call of :meth:`RetrainLoop.run_once` did, step by step."""

    model: str
    status: RunStatus
    decision: Decision
    steps: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    champion_version: str | None = None
    gate: GateResult | None = None
    failure: dict[str, Any] | None = None
    lineage: dict[str, Any] | None = None
    event: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON data."""
        return {
            "model": self.model,
            "status": self.status,
            "decision": self.decision.to_dict(),
            "steps": list(self.steps),
            "version": self.version,
            "champion_version": self.champion_version,
            "gate": None if self.gate is None else self.gate.to_dict(),
            "failure": self.failure,
            "lineage": self.lineage,
            "event": self.event,
        }


def _reasons(decision: Decision) -> list[dict[str, Any]]:
    return [r.to_dict() for r in decision.reasons]


class RetrainLoop:
    """Decide, train, gate and register for one model; every step audited.

    Parameters
    ----------
    job:
        The :class:`RetrainJob`.
    policy:
        When to run (:class:`RetrainPolicy`).
    runner:
        How to train (:class:`SubprocessRunner` in production).
    registry, audit:
        Where candidates and audit entries go (:class:`CandidateRegistry`,
        :class:`AuditSink`).
    clock:
        Time source; signals are evaluated at ``clock.now()``.
    state:
        The policy state to start from (persist :attr:`state` between processes).
    actor:
        The identity written to the audit log.
    on_step:
        Called with each audited action as it happens (progress display).
    audit_blocked:
        Also audit decisions that a cooldown, budget, run in flight or duplicate blocked
        (off by default: a scheduler evaluating every few minutes would fill the log).
    """

    def __init__(
        self,
        job: RetrainJob,
        *,
        policy: RetrainPolicy,
        runner: TrainingRunner,
        registry: CandidateRegistry,
        audit: AuditSink,
        clock: Clock | None = None,
        state: PolicyState | None = None,
        actor: str = "modelsteward.retrain",
        on_step: Callable[[str], object] | None = None,
        audit_blocked: bool = False,
    ) -> None:
        self.job = job
        self.policy = policy
        self.runner = runner
        self.registry = registry
        self.audit = audit
        self.clock = clock or SystemClock()
        self.state = state or PolicyState()
        self.actor = actor
        self.on_step = on_step
        self.audit_blocked = audit_blocked

    def _audit(self, record: RunRecord, action: str, details: Mapping[str, Any]) -> None:
        self.audit.append(action, self.job.model, dict(details), actor=self.actor)
        record.steps.append({"action": action, "at": self.clock.now().isoformat(), **details})
        if self.on_step is not None:
            self.on_step(action)

    def decide(self, signals: Signals) -> Decision:
        """The policy's decision on ``signals`` at ``clock.now()`` (nothing changes)."""
        return self.policy.decide(replace(signals, now=self.clock.now()), self.state)

    def _decide(self, signals: Signals, force: str | None) -> RunRecord:
        """Decide; audit a run decision (and a blocked one with ``audit_blocked``)."""
        if force is not None:
            decision = Decision(True, (Reason("forced", force),), None, f"forced: {force}")
        else:
            decision = self.policy.decide(signals, self.state)
        record = RunRecord(self.job.model, "skipped", decision)
        if not decision.reasons:
            return record
        if not decision.run:
            record.status = "blocked"
            if not self.audit_blocked:
                record.steps.append(
                    {
                        "action": "retrain.decided",
                        "at": signals.now.isoformat(),
                        **decision.to_dict(),
                    }
                )
                return record
        self._audit(record, "retrain.decided", decision.to_dict())
        return record

    def run_once(
        self,
        signals: Signals | None,
        features: Source | Callable[[], Source],
        labels: pa.Table | Callable[[], pa.Table | None] | None,
        *,
        force: str | None = None,
    ) -> RunRecord:
        """Decide on ``signals`` and, if a run is due, train on ``features``/``labels``.

        ``features`` and ``labels`` may be functions returning them, called only when a run
        starts (so a skipped or blocked decision reads no data).

        ``force`` (a reason, e.g. "requested by alice") skips the policy: the run starts
        whatever the cooldown, budget or triggers say, and is audited as forced.
        """
        record = self.begin(signals, force=force)
        if record.status != "running":
            return record
        return self.execute(record, features, labels)

    def begin(self, signals: Signals | None, *, force: str | None = None) -> RunRecord:
        """The first half of :meth:`run_once`: decide and, if a run is due, mark it started
        (status ``running``; the policy now counts it in flight). Cheap: a scheduler calls
        it, then hands the record to :meth:`execute` on a worker.
        """
        now = self.clock.now()
        given = signals is not None
        signals = replace(signals or Signals(now=now), now=now)
        record = self._decide(signals, force)
        if record.decision.run:
            labels_total = signals.labels_total if given else None  # keep the count unknown
            self.state = self.state.started(record.decision, now, labels_total=labels_total)
            record.status = "running"
        return record

    def execute(
        self,
        record: RunRecord,
        features: Source | Callable[[], Source],
        labels: pa.Table | Callable[[], pa.Table | None] | None,
    ) -> RunRecord:
        """The second half of :meth:`run_once`: train, gate and register the run that
        :meth:`begin` started, then end it in the policy state."""
        if record.status != "running":
            raise ParameterError(
                f"Only a run that begin() started can be executed (status {record.status!r})."
            )
        handled = False
        try:
            handled = self._run(record, features, labels)
        except BaseException as exc:
            record.status = "failed"
            record.failure = {"cause": "error", "message": f"{type(exc).__name__}: {exc}"}
            self._audit(record, "retrain.failed", record.failure)
            raise
        finally:
            self.state = self.state.finished(self.clock.now(), handled=handled)
        return record

    def _run(
        self,
        record: RunRecord,
        features: Source | Callable[[], Source],
        labels: pa.Table | Callable[[], pa.Table | None] | None,
    ) -> bool:
        """The run itself; True when its reasons count as handled."""
        job = self.job
        # The champion first: a registry or trust problem stops the run before training.
        champion = self.registry.champion(job.model)
        record.champion_version = None if champion is None else champion.version
        self._audit(
            record,
            "retrain.started",
            {
                "entry_point": job.entry_point,
                "params": dict(job.params),
                "champion": record.champion_version,
            },
        )
        try:
            data = build_training_data(
                features() if callable(features) else features,
                labels() if callable(labels) else labels,
                job.strategy,
                label=job.label,
                id_column=job.id_column,
                timestamp=job.timestamp,
                holdout=job.holdout,
                feature_columns=job.feature_columns,
                min_train_rows=job.min_train_rows,
            )
            trained = self.runner.train(job.entry_point, data.train, job.params, label=job.label)
        except StewardError as exc:  # bad data or a failed training run: a failed run
            record.status = "failed"
            record.failure = (
                exc.to_dict()
                if isinstance(exc, TrainingFailed)
                else {"cause": "data", "message": str(exc), "error": type(exc).__name__}
            )
            self._audit(record, "retrain.failed", record.failure)
            return False
        gate = evaluate_candidate(
            trained.predict,
            None if champion is None else champion.predict,
            data.holdout,
            label=job.label,
            config=job.gate,
            candidate_schema=trained.input_schema,
            champion_schema=None if champion is None else champion.input_schema,
        )
        record.gate = gate
        self._audit(record, "retrain.gate", {"champion": record.champion_version, **gate.to_dict()})
        record.lineage = {
            "data": data.lineage(),
            "training": trained.describe(),
            "parent_version": record.champion_version,
            "code_version": job.code_version,
            "trigger": _reasons(record.decision),
        }
        metrics = {
            k: v
            for k, v in gate.evidence.get("candidate", {}).items()
            if isinstance(v, (int, float))
        }
        record.version = self.registry.register_candidate(
            job.model, trained, lineage=record.lineage, metrics=metrics, train=data.train
        )
        self._audit(
            record,
            "retrain.candidate_registered",
            {
                "version": record.version,
                "parent_version": record.champion_version,
                "metrics": metrics,
                "train_fingerprint": record.lineage["data"]["train_fingerprint"],
                "artifact_sha256": trained.artifact_sha256,
            },
        )
        if gate.passed:
            record.status = "candidate"
            return True
        self.registry.mark_rejected(job.model, record.version, evidence=gate.to_dict())
        record.status = "rejected"
        self._audit(
            record,
            "retrain.candidate_rejected",
            {"version": record.version, "reasons": list(gate.reasons)},
        )
        return True

    def request_external(
        self,
        signals: Signals,
        send: Callable[[dict[str, Any]], object],
        *,
        source: str,
    ) -> RunRecord:
        """Let an external orchestrator retrain: when the policy says run, build the
        CloudEvents retrain request and hand it to ``send`` (e.g. a :class:`WebhookSender`).

        The request counts as a run for cooldown, budget and deduplication. If ``send``
        raises, the failure is audited, the window stays open for a retry, and the error
        propagates.
        """
        now = self.clock.now()
        signals = replace(signals, now=now)
        record = self._decide(signals, None)
        decision = record.decision
        if not decision.run:
            return record
        event = retrain_event(
            decision, model=self.job.model, source=source, window=signals.window, time=now
        )
        self.state = self.state.started(decision, now, labels_total=signals.labels_total)
        try:
            send(event)
        except Exception as exc:
            self.state = self.state.finished(now, handled=False)
            record.status = "failed"
            record.failure = {
                "cause": "webhook",
                "message": f"{type(exc).__name__}: {exc}",
                "event_id": event["id"],
            }
            self._audit(record, "retrain.failed", record.failure)
            raise
        self.state = self.state.finished(now)
        record.status = "requested"
        record.event = event
        self._audit(record, "retrain.requested", {"event_id": event["id"], "type": event["type"]})
        return record
