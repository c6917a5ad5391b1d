"""``steward demo``: the closed loop on a simulated machine fleet, in one command.

A predictive-maintenance model is trained in a subprocess, registered and served through
the in-process gateway; simulated days pass on a manual clock, every reading one gateway
call logged to the store, labels one day late. A sensor recalibration with a new machine
type (data drift) and wear-induced concept drift happen; the library's own parts close
the loop: the monitor's daily window evaluation and an ADWIN detector feed a retraining
policy; the :class:`~modelsteward.retrain.RetrainLoop` trains on retained traffic in a
subprocess and gates the candidate; the gateway shadows and canaries it (5, 25, 50,
100 %) under the default guardrails and promotes or rolls it back. Detections are alerted
to a local webhook receiver; a bad candidate (a sound model on a failing serving image)
is rolled back and a failing champion shows the fallback chain and the circuit breaker.
Everything lands in the store, registry and audit log of ``STEWARD_HOME``.

Modules: ``_fleet`` (the simulated world), ``_models`` (training entry point, serving,
faults), ``_setup`` (store, registry, initial model, gateway), ``_serving`` (registry
provider, simulated-time sink), ``_traffic`` (a day of calls, the fallback drill),
``_monitor`` (daily figures into signals), ``_retraining`` (policy, job, loop),
``_timeline`` (events, the gateway's event log), ``_accuracy`` (accuracy by world),
``_parts`` (configuration, webhook receiver, one CPU), ``_story`` (the days in order).

>>> from modelsteward.demo import DemoConfig
>>> DemoConfig().days
18
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
