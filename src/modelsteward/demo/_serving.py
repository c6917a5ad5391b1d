"""What the demo's gateway serves from and logs to.

:class:`RegistryServing` is the gateway's model provider: a version is loaded from the
model registry (our own artifacts, so trusted) and served through the fast, fault-injecting
:func:`~modelsteward.demo._models.serving_fn`. :class:`SimulatedTimeSink` logs every served
prediction to the store like SDK traffic, stamped with the *simulated* clock, so that the
monitor's daily windows, the retained feature partitions and the dashboard all line up
with the simulated days.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modelsteward.demo._models import Faults, serving_fn

if TYPE_CHECKING:
    from modelsteward.registry import Registry
    from modelsteward.rollout import Clock
    from modelsteward.store import PredictionRecord, Store

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


class SimulatedTimeSink:
    """A :class:`~modelsteward.rollout.PredictionSink` writing to the store in batches from
    a background thread, each prediction timed by ``clock`` (the simulation's)."""

    def __init__(self, store: Store, clock: Clock, *, batch_size: int = 2000) -> None:
        self.store = store
        self.clock = clock
        self.batch_size = batch_size
        self.written = 0
        self.failed = 0
        self.error: Exception | None = None
        self._batch: list[tuple[str, PredictionRecord]] = []
        self._queue: queue.Queue[list[tuple[str, PredictionRecord]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="demo-sink", daemon=True)
        self._thread.start()

    def record(
        self,
        model: str,
        version: str,
        features: Mapping[str, Any],
        prediction: Any,
        latency_ms: float,
        error: bool,
        request_id: str,
    ) -> None:
        """Buffer one served prediction (called by the gateway on its request path)."""
        from modelsteward.store import PredictionRecord

        record = PredictionRecord(
            id=request_id,
            timestamp=datetime.fromtimestamp(self.clock.now(), UTC),
            prediction=prediction,
            features=dict(features),
            latency_ms=latency_ms,
            version=version,
            error=error,
        )
        self._batch.append((model, record))
        if len(self._batch) >= self.batch_size:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._batch:
            self._queue.put(self._batch)
            self._batch = []

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                by_model: dict[str, list[PredictionRecord]] = {}
                for model, rec in batch:
                    by_model.setdefault(model, []).append(rec)
                for model, records in by_model.items():
                    try:
                        self.store.ingest_predictions(model, records)
                        self.written += len(records)
                    except Exception as exc:  # kept for flush(): the story cannot go on
                        self.failed += len(records)
                        self.error = self.error or exc
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Write everything recorded so far and wait until it is stored; raise the first
        error of the writer (the monitor's figures would be wrong without the rows)."""
        self._hand_over()
        self._queue.join()
        if self.error is not None:
            raise RuntimeError(
                f"{self.failed} simulated predictions could not be stored: {self.error}"
            ) from self.error

    def close(self) -> None:
        """Write what is buffered, then stop the writer thread."""
        self._hand_over()
        self._queue.put(None)
        self._thread.join(timeout=30.0)
