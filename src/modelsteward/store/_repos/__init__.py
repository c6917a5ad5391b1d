"""Repositories: the only code that touches the ORM tables; they return domain objects."""

from __future__ import annotations

from modelsteward.store._repos._alert_rules import AlertRuleRepository
from modelsteward.store._repos._alerts import AlertRepository
from modelsteward.store._repos._evaluations import EvaluationRepository
from modelsteward.store._repos._events import EventRepository
from modelsteward.store._repos._keys import KeyRepository
from modelsteward.store._repos._models import ModelRepository
from modelsteward.store._repos._profiles import ProfileRepository

__all__ = [
    "AlertRepository",
    "AlertRuleRepository",
    "EvaluationRepository",
    "EventRepository",
    "KeyRepository",
    "ModelRepository",
    "ProfileRepository",
]
