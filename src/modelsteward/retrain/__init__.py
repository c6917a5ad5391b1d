"""Retraining: policies that decide when, a runner that trains in a subprocess, training-data
strategies, an evaluation gate against the champion, and the loop that ties them together.

- When: :class:`RetrainPolicy` with triggers (:class:`DriftTrigger`,
  :class:`PerformanceTrigger`, :class:`DetectorTrigger`, :class:`ScheduleTrigger`,
  :class:`LabelsTrigger`), cooldown, deduplication and a daily budget;
  ``policy.decide(signals, state) -> Decision`` is pure.
- On what: :func:`build_training_data` with :class:`AllHistory`, :class:`SlidingWindow` or
  :class:`ReferencePlusRecent`; the most recent labeled rows are held out for the gate.
- How: :class:`SubprocessRunner` runs ``module:function(train, params) -> model`` with a
  timeout; faults are :class:`TrainingFailed` with a ``cause``.
- Good enough: :func:`evaluate_candidate` (McNemar or paired bootstrap, plus guardrails)
  returns a :class:`GateResult`.
- All of it: :class:`RetrainLoop` over a :class:`CandidateRegistry` (the model registry
  through :class:`RegistryAdapter`), an :class:`AuditSink` (the store's audit log) and a
  :class:`Clock`; or hand the trigger to an orchestrator with :func:`retrain_event` and
  :class:`WebhookSender` (``docs/retrain-webhook.md``).
"""

from __future__ import annotations

from modelsteward.retrain._data import (
    AllHistory,
    ReferencePlusRecent,
    SlidingWindow,
    TrainingData,
    build_training_data,
    fingerprint,
    join_labels,
    load_partitions,
)
from modelsteward.retrain._errors import RetrainError, TrainingDataError, TrainingFailed
from modelsteward.retrain._gate import GateConfig, GateResult, evaluate_candidate
from modelsteward.retrain._loop import RetrainJob, RetrainLoop, RunRecord
from modelsteward.retrain._model import PredictFn, TrainedModel, model_predictor
from modelsteward.retrain._paired import BootstrapResult, McNemarResult, mcnemar, paired_bootstrap
from modelsteward.retrain._policies import (
    Decision,
    PolicyState,
    Reason,
    RetrainPolicy,
    Signals,
)
from modelsteward.retrain._protocols import (
    AuditSink,
    CandidateRegistry,
    Champion,
    Clock,
    InMemoryRegistry,
    ManualClock,
    MemoryAuditSink,
    SystemClock,
)
from modelsteward.retrain._registry_adapter import RegistryAdapter
from modelsteward.retrain._runner import InProcessRunner, SubprocessRunner, TrainingRunner
from modelsteward.retrain._triggers import (
    DetectorTrigger,
    DriftTrigger,
    LabelsTrigger,
    PerformanceTrigger,
    ScheduleTrigger,
    Trigger,
)
from modelsteward.retrain._webhook import (
    EVENT_TYPE,
    WebhookError,
    WebhookSender,
    parse_retrain_event,
    retrain_event,
)

__all__ = [
    "EVENT_TYPE",
    "AllHistory",
    "AuditSink",
    "BootstrapResult",
    "CandidateRegistry",
    "Champion",
    "Clock",
    "Decision",
    "DetectorTrigger",
    "DriftTrigger",
    "GateConfig",
    "GateResult",
    "InMemoryRegistry",
    "InProcessRunner",
    "LabelsTrigger",
    "ManualClock",
    "McNemarResult",
    "MemoryAuditSink",
    "PerformanceTrigger",
    "PolicyState",
    "PredictFn",
    "Reason",
    "ReferencePlusRecent",
    "RegistryAdapter",
    "RetrainError",
    "RetrainJob",
    "RetrainLoop",
    "RetrainPolicy",
    "RunRecord",
    "ScheduleTrigger",
    "Signals",
    "SlidingWindow",
    "SubprocessRunner",
    "SystemClock",
    "TrainedModel",
    "TrainingData",
    "TrainingDataError",
    "TrainingFailed",
    "TrainingRunner",
    "Trigger",
    "WebhookError",
    "WebhookSender",
    "build_training_data",
    "evaluate_candidate",
    "fingerprint",
    "join_labels",
    "load_partitions",
    "mcnemar",
    "model_predictor",
    "paired_bootstrap",
    "parse_retrain_event",
    "retrain_event",
]
