"""``steward demo``: the closed loop on a simulated machine fleet, in one command.

A predictive-maintenance model is trained, registered and served through the in-process
gateway; simulated days pass on a manual clock with labels one day late; a sensor
recalibration, a new machine type and wear-induced concept drift are detected (data drift
of each day's features, ADWIN on the champion's error stream), alerted to a local webhook
receiver, retrained, gated, shadowed, canaried and promoted. A bad candidate is rolled
back by the canary guardrails and a failing champion shows the fallback chain and the
circuit breaker. Everything lands in the store, registry and audit log of
``STEWARD_HOME``.

>>> from modelsteward.demo import DemoConfig
>>> DemoConfig().days
14
"""

from __future__ import annotations

from modelsteward.demo._fleet import FEATURES, Day, Fleet, Scenario
from modelsteward.demo._parts import DemoConfig, TimelineEvent, WebhookReceiver
from modelsteward.demo._story import Story

__all__ = [
    "FEATURES",
    "Day",
    "DemoConfig",
    "Fleet",
    "Scenario",
    "Story",
    "TimelineEvent",
    "WebhookReceiver",
]
