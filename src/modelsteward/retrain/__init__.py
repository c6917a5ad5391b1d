"""Retraining: policies that decide when, a runner that trains in a subprocess, training-data
strategies, an evaluation gate against the champion, and the loop that ties them together.
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
    DetectorTrigger,
    DriftTrigger,
    LabelsTrigger,
    PerformanceTrigger,
    PolicyState,
    Reason,
    RetrainPolicy,
    ScheduleTrigger,
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
