"""Everything the story runs on, built once: the store of ``STEWARD_HOME`` (with raw-feature
retention on, so retraining has data), the registry and audit log, the initial model —
trained by the same entry point in a subprocess and registered as champion — and the
gateway serving it with the library's default rollout policy (its one per-model setting:
:data:`AGREEMENT_TOLERANCE`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from modelsteward.demo._fleet import FEATURES, Fleet
from modelsteward.demo._models import ENTRY_POINT, LABEL, Faults
from modelsteward.demo._parts import DemoConfig
from modelsteward.demo._serving import RegistryServing, SimulatedTimeSink
from modelsteward.demo._timeline import RolloutRecorder, Timeline
from modelsteward.settings import Settings

if TYPE_CHECKING:
    from modelsteward.governance import AuditLog
    from modelsteward.registry import Registry
    from modelsteward.rollout import Gateway, ManualClock, RolloutPolicy
    from modelsteward.store import Store

__all__ = [
    "ACTOR",
    "AGREEMENT_TOLERANCE",
    "START",
    "Plant",
    "SimulatedClock",
    "build",
    "rollout_policy",
]

ACTOR = "steward-demo"
#: The first simulated day begins at 2026-01-01 00:00 UTC.
START = 1_767_225_600.0
#: How much the shadow may disagree with the champion. The library's default (5 %) suits a
#: re-packaged or refactored model; a model retrained *because the world changed* is meant
#: to answer differently on the changed share of the traffic (here 15-25 % of readings),
#: so this model allows 30 %. The four guardrails stay at their defaults.
AGREEMENT_TOLERANCE = 0.30
HISTORY_DAYS = 3


class SimulatedClock:
    """The simulation's time as the retraining loop reads it (an aware datetime)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        """The simulated now."""
        return datetime.fromtimestamp(self.clock.now(), UTC)


@dataclass
class Plant:
    """The running parts of the demo."""

    store: Store
    registry: Registry
    audit: AuditLog
    clock: ManualClock
    sink: SimulatedTimeSink
    gateway: Gateway
    faults: Faults
    initial: str
    initial_train_rows: int

    def close(self) -> None:
        """Stop the gateway, the sink and the store (each even if another fails)."""
        for closer in (self.gateway.close, self.sink.close, self.store.close):
            try:
                closer()
            except Exception:
                continue


def rollout_policy() -> RolloutPolicy:
    """The library's default policy (steps 5/25/50/100 %, minimum hold and samples per
    arm, default guardrails, shadow on) with this model's agreement tolerance."""
    from modelsteward.rollout import RolloutPolicy

    return RolloutPolicy(agreement_tolerance=AGREEMENT_TOLERANCE)


def _initial_model(registry: Registry, config: DemoConfig) -> tuple[str, pa.Table]:
    """Train the first model in a subprocess on three days of history and register it."""
    from modelsteward.retrain import SubprocessRunner

    history = Fleet(seed=config.seed + 1000)
    days = [history.day(d, rows=max(2000, config.rows // 2)) for d in range(HISTORY_DAYS)]
    table = pa.concat_tables(
        [
            d.features.select(FEATURES).append_column(LABEL, pa.array(d.labels.astype(np.int64)))
            for d in days
        ]
    )
    trained = SubprocessRunner(timeout=120.0).train(
        ENTRY_POINT, table, {"seed": config.seed}, label=LABEL
    )
    version = registry.register(
        config.model,
        trained.model,
        flavor="sklearn",
        trust=True,  # the object our own training run returned
        input_schema=dict(trained.input_schema),
        training_data=table,
        target=LABEL,
        params=dict(trained.params),
        description=f"initial model, {HISTORY_DAYS} days of fleet history",
        actor=ACTOR,
    ).version
    registry.promote(config.model, version, reason="initial model", actor=ACTOR)
    return version, table


def build(
    settings: Settings,
    config: DemoConfig,
    timeline: Timeline,
    clock: ManualClock,
    on_promoted: Callable[[str], None],
) -> Plant:
    """Open the store, register and serve the initial model (its training data is the
    first drift reference); rollout events go to the audit log and ``timeline``."""
    from modelsteward.governance import AuditLog
    from modelsteward.profiles import profile_table
    from modelsteward.registry import Registry
    from modelsteward.rollout import Gateway, ModelSpec
    from modelsteward.store import ConflictError, Store

    if settings.feature_retention_days <= 0:
        settings = settings.model_copy(update={"feature_retention_days": 30})
    store = Store.from_settings(settings)
    store.upgrade()
    registry = Registry.from_settings(settings, store)
    audit = AuditLog(store)
    with contextlib.suppress(ConflictError):
        store.models.create(config.model, "binary")
    initial, table = _initial_model(registry, config)
    store.set_reference(config.model, str(profile_table(table.select(FEATURES)).to_json()))
    faults = Faults(config.seed)
    spec = ModelSpec(
        config.model,
        FEATURES,
        RegistryServing(registry, config.model, faults),
        initial,
        default=0,
        policy=rollout_policy(),
        breaker={"cooldown_s": 1800.0},
    )
    sink = SimulatedTimeSink(store, clock)
    gateway: Gateway | None = None

    def previous() -> str | None:
        return None if gateway is None else gateway.runtime(config.model).rollout.previous

    recorder = RolloutRecorder(
        audit.event_log(actor=ACTOR), timeline, previous=previous, on_promoted=on_promoted
    )
    gateway = Gateway([spec], sink=sink, events=recorder, clock=clock, registry=registry)
    return Plant(store, registry, audit, clock, sink, gateway, faults, initial, table.num_rows)
