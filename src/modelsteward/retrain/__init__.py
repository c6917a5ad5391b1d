"""Retraining: policies that decide when, a runner that trains in a subprocess, training-data
strategies, an evaluation gate against the champion, and the loop that ties them together.
"""

from __future__ import annotations

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

__all__ = [
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
    "LabelsTrigger",
    "ManualClock",
    "McNemarResult",
    "MemoryAuditSink",
    "PerformanceTrigger",
    "PolicyState",
    "PredictFn",
    "Reason",
    "RetrainError",
    "RetrainPolicy",
    "ScheduleTrigger",
    "Signals",
    "SystemClock",
    "TrainedModel",
    "TrainingDataError",
    "TrainingFailed",
    "evaluate_candidate",
    "mcnemar",
    "model_predictor",
    "paired_bootstrap",
]
