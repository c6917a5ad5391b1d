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
from modelsteward.retrain._runner import InProcessRunner, SubprocessRunner, TrainingRunner

__all__ = [
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
    "RetrainError",
    "RetrainPolicy",
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
    "build_training_data",
    "evaluate_candidate",
    "fingerprint",
    "join_labels",
    "load_partitions",
    "mcnemar",
    "model_predictor",
    "paired_bootstrap",
]
