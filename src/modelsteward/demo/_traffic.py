"""A simulated day of traffic through the gateway, and the failing-champion drill.

Each sensor reading is one ``POST /predict``-like call of the in-process
:class:`~modelsteward.rollout.Gateway`, spread evenly over the simulated day: the manual
clock moves between calls, the gateway is ticked every :data:`TICK_S` simulated seconds
(as the app's background loop would; each tick runs the rollout checks whose interval has
passed), and the shadow queue is drained every simulated hour. During the drill the champion raises
on every call for a few hours, so the fallback chain serves and the breaker opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelsteward.demo._fleet import FEATURES, Day
from modelsteward.demo._models import Faults

if TYPE_CHECKING:
    from modelsteward.rollout import Gateway, ManualClock

__all__ = ["DAY_S", "TICK_S", "Drill", "Served", "serve_day"]

DAY_S = 86_400.0
HOURS = 24
#: How often the simulation ticks the gateway (simulated seconds).
TICK_S = 300.0


@dataclass
class Served:
    """What a day's calls got: prediction id, prediction and serving version per call."""

    ids: list[str] = field(default_factory=list)
    predictions: list[Any] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass
class Drill:
    """The champion fails from ``start_hour`` to ``end_hour`` of ``day``."""

    day: int
    start_hour: int = 9
    end_hour: int = 15
    failing: str | None = None
    served_by_fallback: int = 0
    opens_before: int = 0

    def report(self, gateway: Gateway, model: str, faults: Faults) -> dict[str, Any]:
        """The ``fallback`` timeline detail, read from the gateway's breakers."""
        rt = gateway.runtime(model)
        failing = str(self.failing)
        breaker = rt.breakers.get(failing)
        return {
            "failing_version": failing,
            "served_by_fallback": self.served_by_fallback,
            "breaker_opens": sum(b.opens for b in rt.breakers.values()) - self.opens_before,
            "breaker_state": None if breaker is None else str(breaker.state),
            "fallback_to": rt.rollout.previous or "default",
            "injected_failures": faults.raised.get(failing, 0),
        }


def serve_day(
    gateway: Gateway,
    clock: ManualClock,
    model: str,
    day: Day,
    *,
    start: float,
    faults: Faults,
    drill: Drill | None = None,
) -> Served:
    """Serve every reading of ``day`` as one call, from ``start`` (epoch seconds) on."""
    rows = day.features.select(FEATURES).to_pylist()
    served = Served()
    per_hour = max(1, -(-len(rows) // HOURS))
    step = DAY_S / max(len(rows), 1)
    rt = gateway.runtime(model)
    drilling = drill is not None and drill.day == day.index
    next_tick = start + TICK_S
    for i, row in enumerate(rows):
        if i % per_hour == 0:
            gateway.shadow.drain(timeout=30.0)
            if drilling:
                assert drill is not None
                _drill_hour(drill, i // per_hour, rt, faults)
        clock.advance(start + i * step - clock.now())
        answer = gateway.predict(model, row)
        served.ids.append(answer["id"])
        served.predictions.append(answer["prediction"])
        served.versions.append(answer["version"])
        if drilling and answer["link"] not in ("champion", "candidate"):
            assert drill is not None
            drill.served_by_fallback += 1
        if clock.now() >= next_tick:
            gateway.tick()
            next_tick += TICK_S
    gateway.shadow.drain(timeout=30.0)
    clock.advance(start + DAY_S - clock.now())
    gateway.tick()
    return served


def _drill_hour(drill: Drill, hour: int, rt: Any, faults: Faults) -> None:
    """Start the champion's failure at the drill's first hour, heal it at its last."""
    if hour == drill.start_hour:
        drill.failing = str(rt.rollout.champion)
        drill.opens_before = sum(b.opens for b in rt.breakers.values())
        faults.set(drill.failing, 1.0)
    elif hour == drill.end_hour and drill.failing is not None:
        faults.set(drill.failing, 0.0)
