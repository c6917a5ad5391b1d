"""What the demo's gateway serves from and logs to.

:class:`RegistryServing` is the gateway's model provider: a version is loaded from the
model registry (our own artifacts, so trusted) and served through the fast, fault-injecting
:func:`~modelsteward.demo._models.serving_fn`. :class:`SimulatedTimeSink` logs every served
prediction to the store like SDK traffic, stamped with the *simulated* clock, so that the
monitor's daily windows, the retained feature partitions and the dashboard all line up
with the simulated days.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelsteward.demo._models import Faults, serving_fn
from modelsteward.rollout._store_sink import StorePredictionSink

if TYPE_CHECKING:
    from modelsteward.registry import Registry
    from modelsteward.rollout import Clock
    from modelsteward.store import Store

__all__ = ["RegistryServing", "SimulatedTimeSink"]

PredictFn = Callable[[Sequence[Mapping[str, Any]]], list[Any]]


class RegistryServing:
    """A :class:`~modelsteward.rollout.ModelProvider` over the registry's versions of one
    model; loaded versions are kept."""

    def __init__(self, registry: Registry, model: str, faults: Faults) -> None:
        self.registry = registry
        self.model = model
        self.faults = faults
        self._loaded: dict[str, PredictFn] = {}
        self._lock = threading.Lock()

    def get(self, alias_or_version: str) -> PredictFn:
        """The predict function of a version (aliases resolve through the registry)."""
        version = self.resolve(alias_or_version)
        with self._lock:
            found = self._loaded.get(version)
        if found is None:
            loaded = self.registry.load(self.model, version, trust=True)
            found = serving_fn(loaded.model, version, self.faults)
            with self._lock:
                self._loaded[version] = found
        return found

    def resolve(self, alias_or_version: str) -> str:
        """The version an alias (``champion``, ...) points at; a version is itself."""
        return self.registry.aliases(self.model).get(alias_or_version, alias_or_version)


class SimulatedTimeSink(StorePredictionSink):
    """The gateway's store sink, each prediction timed by ``clock`` (the simulation's),
    never dropping one, and failing the story on the first prediction it cannot store."""

    def __init__(self, store: Store, clock: Clock, *, batch_size: int = 2000) -> None:
        super().__init__(store, max_buffer=10**9, batch_size=batch_size, clock=clock.now)

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything recorded so far and wait until it is stored; raise the first
        error of the writer (the monitor's figures would be wrong without the rows)."""
        done = super().flush(timeout)
        if self.error is not None:
            raise RuntimeError(
                f"{self.failed} simulated predictions could not be stored: {self.error}"
            ) from self.error
        return done
