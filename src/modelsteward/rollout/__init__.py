"""The rollout gateway: shadow, canary, guardrail analysis, promotion and rollback,
fallback chain and circuit breaker.

The gateway depends only on small protocols (:class:`ModelProvider`,
:class:`PredictionSink`, :class:`EventLog`, :class:`StateStore`, :class:`Clock`), so the
registry, the store and the audit log plug in without this package importing them
(:class:`StoreStateStore`, imported on first use, persists rollouts in the store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelsteward.rollout._analysis import Analysis, ArmData, Guardrails, analyse
from modelsteward.rollout._breaker import BreakerState, CircuitBreaker
from modelsteward.rollout._errors import (
    ApprovalError,
    FeatureError,
    NoLinkServedError,
    RolloutStateError,
    UnknownModelError,
)
from modelsteward.rollout._fallback import FallbackChain, Link, Served, constant_link
from modelsteward.rollout._gateway import Gateway
from modelsteward.rollout._machine import CheckResult, Rollout, RolloutStatus
from modelsteward.rollout._metrics import GatewayMetrics
from modelsteward.rollout._model import ModelSpec
from modelsteward.rollout._persist import InMemoryStateStore, RolloutSnapshot, StateStore
from modelsteward.rollout._policy import RolloutPolicy
from modelsteward.rollout._protocols import (
    ChampionRegistry,
    Clock,
    EventLog,
    InMemoryEventLog,
    InMemoryModelProvider,
    InMemorySink,
    ManualClock,
    ModelProvider,
    PredictFn,
    PredictionSink,
    SinkRecord,
    SystemClock,
)
from modelsteward.rollout._sequential import (
    Comparison,
    Summary,
    Verdict,
    compare,
    confidence_sequence,
    msprt_statistic,
)
from modelsteward.rollout._shadow import ShadowMirror
from modelsteward.rollout._split import Arm, SrmResult, assign, bucket, srm_check

__all__ = [
    "Analysis",
    "ApprovalError",
    "Arm",
    "ArmData",
    "BreakerState",
    "ChampionRegistry",
    "CheckResult",
    "CircuitBreaker",
    "Clock",
    "Comparison",
    "EventLog",
    "FallbackChain",
    "FeatureError",
    "Gateway",
    "GatewayMetrics",
    "Guardrails",
    "InMemoryEventLog",
    "InMemoryModelProvider",
    "InMemorySink",
    "InMemoryStateStore",
    "Link",
    "ManualClock",
    "ModelProvider",
    "ModelSpec",
    "NoLinkServedError",
    "PredictFn",
    "PredictionSink",
    "Rollout",
    "RolloutPolicy",
    "RolloutSnapshot",
    "RolloutStateError",
    "RolloutStatus",
    "Served",
    "ShadowMirror",
    "SinkRecord",
    "SrmResult",
    "StateStore",
    "StoreStateStore",
    "Summary",
    "SystemClock",
    "UnknownModelError",
    "Verdict",
    "analyse",
    "assign",
    "bucket",
    "compare",
    "confidence_sequence",
    "constant_link",
    "create_gateway_app",
    "msprt_statistic",
    "srm_check",
]


if TYPE_CHECKING:
    from fastapi import FastAPI

    from modelsteward.rollout._state_store import StoreStateStore


def __getattr__(name: str) -> Any:
    """``StoreStateStore`` is imported on first use (it needs the store's dependencies)."""
    if name == "StoreStateStore":
        from modelsteward.rollout._state_store import StoreStateStore

        return StoreStateStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_gateway_app(gateway: Gateway, **options: Any) -> FastAPI:
    """The FastAPI app serving ``gateway`` (needs the ``server`` extra); see
    :func:`modelsteward.rollout._app.create_gateway_app` for the options."""
    from modelsteward.rollout._app import create_gateway_app as create

    return create(gateway, **options)
