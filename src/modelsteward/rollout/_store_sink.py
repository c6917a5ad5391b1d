"""A :class:`~modelsteward.rollout.PredictionSink` writing to the monitoring store.

The request path only appends to a bounded buffer (dropped and counted when full); a
background thread writes batches with ``Store.ingest_predictions``, the same path SDK
traffic takes, so gateway predictions feed the same profiles, drift and performance.

>>> import tempfile
>>> from modelsteward.store import Store
>>> store = Store(f"sqlite:///{tempfile.mkdtemp()}/doc.db"); store.upgrade()
>>> _ = store.models.create("churn", "binary")
>>> sink = StorePredictionSink(store)
>>> sink.record("churn", "v1", {"x": 1.0}, 1, 0.4, False, "req-1")
>>> sink.flush(timeout=10.0)
True
>>> store.models.stats("churn").predictions
1
>>> sink.close(); store.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelsteward.store import PredictionRecord, Store

__all__ = ["StorePredictionSink"]

_log = logging.getLogger("modelsteward.rollout.store_sink")


class StorePredictionSink:
    """Buffered, never-blocking logging of gateway predictions into a store.

    Parameters
    ----------
    store:
        A migrated :class:`modelsteward.store.Store`.
    max_buffer:
        Predictions waiting to be written; beyond it new ones are dropped (``dropped``).
    batch_size, flush_interval_s:
        The writer takes up to ``batch_size`` rows at a time, at least every
        ``flush_interval_s`` seconds.
    """

    def __init__(
        self,
        store: Store,
        *,
        max_buffer: int = 100_000,
        batch_size: int = 1000,
        flush_interval_s: float = 0.5,
    ) -> None:
        self.store = store
        self.max_buffer = max_buffer
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._buf: deque[tuple[str, PredictionRecord]] = deque()
        self._cond = threading.Condition()
        self._inflight = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="steward-gw-sink", daemon=True)
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
        rec = PredictionRecord(
            id=request_id,
            timestamp=datetime.now(UTC),
            prediction=prediction,
            features=dict(features),
            latency_ms=latency_ms,
            version=version,
            error=error,
        )
        with self._cond:
            if len(self._buf) >= self.max_buffer:
                self.dropped += 1
                return
            self._buf.append((model, rec))
            if len(self._buf) >= self.batch_size:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._buf and not self._stop:
                    self._cond.wait(self.flush_interval_s)
                if not self._buf and self._stop:
                    return
                n = min(len(self._buf), self.batch_size)
                batch = [self._buf.popleft() for _ in range(n)]
                self._inflight = n
            self._write(batch)
            with self._cond:
                self._inflight = 0
                self._cond.notify_all()

    def _write(self, batch: list[tuple[str, PredictionRecord]]) -> None:
        by_model: dict[str, list[PredictionRecord]] = {}
        for model, rec in batch:
            by_model.setdefault(model, []).append(rec)
        for model, records in by_model.items():
            try:
                self.store.ingest_predictions(model, records)
                self.written += len(records)
            except Exception:  # the monitor must never break serving; count and log
                self.failed += len(records)
                _log.exception("could not store %d gateway predictions of %s", len(records), model)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything buffered has been written (or failed); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._cond.notify()
            while self._buf or self._inflight:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05) if remaining is not None else 0.05)
                self._cond.notify()
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered, then stop the writer thread."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout)
