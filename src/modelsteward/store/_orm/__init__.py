"""ORM tables, one module per aggregate. Private: repositories translate to domain objects."""

from __future__ import annotations

from modelsteward.store._orm import (  # noqa: F401  (registry, audit, loop-state tables)
    _audit,
    _registry,
    _rollout,
)
from modelsteward.store._orm._alerts import AlertRow, AlertRuleRow
from modelsteward.store._orm._base import Base
from modelsteward.store._orm._evaluations import EvaluationRow
from modelsteward.store._orm._events import LabelRow, PredictionRow
from modelsteward.store._orm._keys import ApiKeyRow
from modelsteward.store._orm._models import ModelRow, ModelVersionRow
from modelsteward.store._orm._profiles import FeatureProfileRow

__all__ = [
    "AlertRow",
    "AlertRuleRow",
    "ApiKeyRow",
    "Base",
    "EvaluationRow",
    "FeatureProfileRow",
    "LabelRow",
    "ModelRow",
    "ModelVersionRow",
    "PredictionRow",
]
