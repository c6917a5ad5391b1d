"""``Monitor``: buffered, never-blocking logging of predictions and labels."""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from modelsteward.ids import uuid7_hex
from modelsteward.sdk._spool import Spool
from modelsteward.sdk._transport import (
    HttpTransport,
    LocalTransport,
    RejectedError,
    Transport,
    dumps,
)
from modelsteward.timestamps import RANGE_TEXT, storable

__all__ = ["Monitor"]

log = logging.getLogger("modelsteward.sdk")
F = TypeVar("F", bound=Callable[..., Any])

_PRED = "p"
_LABEL = "l"
_KIND = {_PRED: "prediction", _LABEL: "label for prediction"}


class Monitor:
    """Log a model's predictions and labels to modelsteward without slowing it down.

    Without ``url`` records go to the local store (``STEWARD_DATABASE_URL`` or SQLite in
    ``STEWARD_HOME``); with it, to a ``steward serve`` over HTTP. Calls only append to a
    bounded in-memory queue; a background thread sends batches, retries with backoff,
    spools to disk what it cannot deliver (resent later, also by the next process), and
    flushes at exit. Nothing here raises into or blocks the caller's prediction path.

    >>> import tempfile
    >>> home = tempfile.mkdtemp()
    >>> from modelsteward.store import Store
    >>> store = Store(f"sqlite:///{home}/doc.db"); store.upgrade()
    >>> _ = store.models.create("churn", "binary")
    >>> with Monitor("churn", store=store, spool_dir=home) as monitor:
    ...     pid = monitor.log_prediction({"age": 31}, 1, score=0.93, latency_ms=4.2)
    ...     monitor.log_label(pid, 1)
    ...     monitor.flush(timeout=10)
    True
    >>> store.models.stats("churn").predictions, store.models.stats("churn").labels
    (1, 1)
    """

    def __init__(
        self,
        model: str,
        *,
        url: str | None = None,
        api_key: str | None = None,
        database_url: str | None = None,
        store: Any = None,
        transport: Transport | None = None,
        batch_size: int = 1000,
        flush_interval: float = 0.5,
        max_queue: int = 200_000,
        max_retries: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        timeout: float = 10.0,
        spool_dir: str | Path | None = None,
        http_client: Any = None,
        flush_at_exit: bool = True,
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue = max_queue
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stats = {"sent": 0, "spooled": 0, "resent": 0, "rejected": 0, "dropped": 0}
        if transport is not None:
            self._transport: Transport = transport
        elif url is not None:
            self._transport = HttpTransport(
                url, model, api_key=api_key, timeout=timeout, client=http_client
            )
        else:
            self._transport = LocalTransport(model, database_url=database_url, store=store)
        if spool_dir is None:
            from modelsteward.settings import load_settings

            spool_dir = load_settings().spool_dir()
        self._spool = Spool(Path(spool_dir), model)
        self._queue: deque[tuple[Any, ...]] = deque()
        self._inflight = 0
        self._degraded_until = 0.0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"modelsteward-monitor-{model}", daemon=True
        )
        self._thread.start()
        if flush_at_exit:
            self._atexit = functools.partial(_close_at_exit, weakref.ref(self))
            atexit.register(self._atexit)

    # -- the caller's side: append and return -------------------------------------------------
    def log_prediction(
        self,
        features: Mapping[str, Any] | None,
        prediction: Any,
        *,
        id: str | None = None,
        score: Any = None,
        latency_ms: float | None = None,
        version: str | None = None,
        segment: str | None = None,
        error: bool = False,
        timestamp: datetime | float | None = None,
    ) -> str:
        """Queue one prediction; returns its id (a time-ordered UUIDv7, 32 hex digits, when
        not given)."""
        pid = id if id is not None else uuid7_hex()
        try:
            if len(self._queue) >= self.max_queue:
                self.stats["dropped"] += 1
                if self.stats["dropped"] == 1:
                    log.warning("modelsteward queue full (%d); dropping records", self.max_queue)
                return pid
            ts = time.time() if timestamp is None else timestamp
            feats = _features(features)
            self._queue.append(
                (_PRED, pid, ts, feats, prediction, score, latency_ms, version, segment, error)
            )
            if len(self._queue) >= self.batch_size:
                self._wake.set()
            return pid
        except Exception:  # never into the caller
            log.exception("modelsteward: log_prediction failed")
            return pid

    def log_label(self, id: str, label: Any, *, timestamp: datetime | None = None) -> None:
        """Queue the true label of prediction ``id`` (it may come long after)."""
        try:
            if len(self._queue) >= self.max_queue:
                self.stats["dropped"] += 1
                return
            self._queue.append((_LABEL, id, label, timestamp))
            if len(self._queue) >= self.batch_size:
                self._wake.set()
        except Exception:
            log.exception("modelsteward: log_label failed")

    @overload
    def watch(self, fn: F) -> F: ...

    @overload
    def watch(
        self, fn: None = None, *, version: str | None = None, segment: str | None = None
    ) -> Callable[[F], F]: ...

    def watch(
        self, fn: F | None = None, *, version: str | None = None, segment: str | None = None
    ) -> F | Callable[[F], F]:
        """Decorate a predict function: log its input, output, latency and exceptions.

        The features are the single mapping argument when there is one, else
        ``{"arg0": ..., **kwargs}``. An exception is logged as an error and re-raised
        unchanged.
        """

        def decorate(func: F) -> F:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    out = func(*args, **kwargs)
                except BaseException:
                    self._log_call(args, kwargs, None, started, version, segment, True)
                    raise
                self._log_call(args, kwargs, out, started, version, segment, False)
                return out

            return wrapper  # type: ignore[return-value]

        return decorate(fn) if fn is not None else decorate

    def _log_call(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        out: Any,
        started: float,
        version: str | None,
        segment: str | None,
        error: bool,
    ) -> None:
        try:
            latency = (time.perf_counter() - started) * 1000.0
            if len(args) == 1 and not kwargs and isinstance(args[0], Mapping):
                features: dict[str, Any] = dict(args[0])
            else:
                features = {f"arg{i}": a for i, a in enumerate(args)}
                features.update(kwargs)
            self.log_prediction(
                features, out, latency_ms=latency, version=version, segment=segment, error=error
            )
        except Exception:
            log.exception("modelsteward: watch could not log a call")

    # -- control ------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued (and spooled) is stored; ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._queue and self._inflight == 0 and not self._spool:
                    return True
            if not self._thread.is_alive():
                return False
            self._degraded_until = 0.0  # try the receiver now
            self._wake.set()
            wait = 0.05
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                wait = min(wait, left)
            with self._idle:
                self._idle.wait(wait)

    def close(self, timeout: float = 10.0) -> None:
        """Flush (up to ``timeout``), stop the thread, spool whatever is left."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush(timeout)
        finally:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout)
            leftover = self._take(len(self._queue))
            if leftover:
                self._spool_items(leftover)
            try:
                self._transport.close()
            except Exception:
                log.exception("modelsteward: closing the transport failed")
            if hasattr(self, "_atexit"):
                atexit.unregister(self._atexit)

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the background thread ----------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self._drain()
                self._resend_spool()
            except Exception:  # keep the thread alive whatever happens
                log.exception("modelsteward: flusher error")
            with self._idle:
                self._idle.notify_all()

    def _take(self, n: int) -> list[tuple[Any, ...]]:
        items = []
        with self._lock:
            for _ in range(min(n, len(self._queue))):
                items.append(self._queue.popleft())
            self._inflight += len(items)
        return items

    def _wire(self, items: list[tuple[Any, ...]]) -> tuple[list[Any], list[Any]]:
        """The wire rows of ``items``: predictions, labels. A row that cannot be put on the
        wire (a time that is no date, or outside 1970-9998) is dropped, logged and counted
        as rejected, never taking the rest of its batch with it."""
        preds: list[dict[str, Any]] = []
        labels: list[dict[str, Any]] = []
        for item in items:
            try:
                if item[0] == _PRED:
                    preds.append(_wire_prediction(item))
                else:
                    labels.append(_wire_label(item))
            except Exception as exc:
                self.stats["rejected"] += 1
                log.error("modelsteward: %s %r dropped: %s", _KIND[item[0]], item[1], exc)
        return preds, labels

    def _drain(self) -> None:
        while self._queue and not self._stop.is_set():
            items = self._take(self.batch_size)
            try:
                preds, labels = self._wire(items)
                for kind, rows in ((_PRED, preds), (_LABEL, labels)):
                    if rows:
                        self._deliver(kind, rows)
            finally:
                with self._lock:
                    self._inflight -= len(items)
            self._resend_spool()

    def _deliver(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """Send with retries; spool when the receiver stays unreachable."""
        if time.monotonic() < self._degraded_until or self._spool:
            # keep order: while anything waits on disk, new batches queue up behind it
            self._spool.put(kind, rows, dumps)
            self.stats["spooled"] += len(rows)
            return
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            try:
                self._send_valid(kind, rows)
                return
            except Exception as exc:  # RetryableError, or a surprise: keep the rows either way
                if attempt == self.max_retries or self._stop.is_set():
                    log.warning("modelsteward: spooling %d rows (%s)", len(rows), exc)
                    break
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self.max_backoff)
        self._spool.put(kind, rows, dumps)
        self.stats["spooled"] += len(rows)
        self._degraded_until = time.monotonic() + self.max_backoff

    def _send_valid(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """Send; rows the receiver rejects are dropped (logged), the rest sent again.

        When the receiver refuses the batch without naming rows, it is halved until the
        bad rows are found, so one bad row never costs the others.
        """
        try:
            self._transport.send(kind, rows)
            self.stats["sent"] += len(rows)
        except RejectedError as exc:
            if exc.rows is None and len(rows) > 1:
                half = len(rows) // 2
                self._send_valid(kind, rows[:half])
                self._send_valid(kind, rows[half:])
                return
            bad = set(exc.rows or range(len(rows)))
            self.stats["rejected"] += len(bad)
            log.error("modelsteward: %d invalid row(s) dropped: %s", len(bad), exc)
            rest = [r for i, r in enumerate(rows) if i not in bad]
            if rest:
                self._send_valid(kind, rest)

    def _resend_spool(self) -> None:
        if time.monotonic() < self._degraded_until:
            return
        for path in self._spool.files():
            if self._stop.is_set():
                return
            batch = self._spool.read(path)
            if batch is None:
                continue
            kind, rows = batch
            try:
                self._send_valid(kind, rows)
            except Exception:
                self._degraded_until = time.monotonic() + self.max_backoff
                return
            self.stats["resent"] += len(rows)
            self._spool.done(path)

    def _spool_items(self, items: list[tuple[Any, ...]]) -> None:
        try:
            preds, labels = self._wire(items)
            for kind, rows in ((_PRED, preds), (_LABEL, labels)):
                if rows:
                    self._spool.put(kind, rows, dumps)
                    self.stats["spooled"] += len(rows)
        finally:
            with self._lock:
                self._inflight -= len(items)


def _features(features: Any) -> dict[str, Any] | None:
    if features is None:
        return None
    if isinstance(features, dict):
        return features.copy()
    if isinstance(features, Mapping):
        return dict(features)
    to_dict = getattr(features, "to_dict", None)  # a pandas Series, a dataclass-like row
    if callable(to_dict):
        return dict(to_dict())
    return {"input": features}


def _close_at_exit(ref: weakref.ref[Monitor]) -> None:
    monitor = ref()
    if monitor is not None:
        monitor.close()


def _iso(ts: Any) -> str:
    """``ts`` (a datetime, naive meaning UTC, or Unix seconds) in ISO 8601; ValueError
    when it is none of those or falls outside 1970-9998 UTC, as the server refuses."""
    try:
        if isinstance(ts, datetime):
            aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        else:
            aware = datetime.fromtimestamp(float(ts), UTC)
        ok = storable(aware)
    except (OverflowError, OSError, TypeError, ValueError) as exc:
        raise ValueError(f"timestamp {ts!r} is not a usable time: {exc}") from None
    if not ok:
        raise ValueError(f"timestamp {ts!r} is outside {RANGE_TEXT}")
    return aware.isoformat()


def _wire_prediction(item: tuple[Any, ...]) -> dict[str, Any]:
    _, pid, ts, features, prediction, score, latency, version, segment, error = item
    row: dict[str, Any] = {"id": pid, "timestamp": _iso(ts), "prediction": prediction}
    if features is not None:
        row["features"] = features
    if score is not None:
        row["score"] = score
    if latency is not None:
        row["latency_ms"] = latency
    if version is not None:
        row["version"] = version
    if segment is not None:
        row["segment"] = segment
    if error:
        row["error"] = True
    return row


def _wire_label(item: tuple[Any, ...]) -> dict[str, Any]:
    _, pid, label, ts = item
    row: dict[str, Any] = {"id": pid, "label": label}
    if ts is not None:
        row["timestamp"] = _iso(ts)
    return row
