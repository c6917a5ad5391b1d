"""Shadow traffic: a bounded background queue that mirrors requests to the candidate.

The request thread only enqueues (``put_nowait``); when the queue is full the copy is
dropped and counted, so shadowing never blocks a response or adds to its latency. One
worker thread runs the mirrored calls.

>>> from modelsteward.rollout import ShadowMirror
>>> seen = []
>>> mirror = ShadowMirror(maxsize=8)
>>> mirror.submit(lambda: seen.append("copy"))
True
>>> mirror.drain(timeout=5.0)
True
>>> seen, mirror.dropped
(['copy'], 0)
>>> mirror.close()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from modelsteward.errors import ParameterError

__all__ = ["ShadowMirror"]

_log = logging.getLogger("modelsteward.rollout.shadow")
_STOP = object()


class ShadowMirror:
    """Run mirrored calls in the background; drop and count them when ``maxsize`` wait."""

    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ParameterError(
                f"The 'maxsize' parameter of ShadowMirror must be an int >= 1. Got {maxsize!r}."
            )
        self.maxsize = maxsize
        self._queue: queue.Queue[object] = queue.Queue(maxsize)
        self.submitted = 0
        self.dropped = 0
        self.completed = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, task: Callable[[], None]) -> bool:
        """Enqueue ``task`` without waiting; False (and counted) when the queue is full."""
        self._ensure_worker()
        try:
            self._queue.put_nowait(task)
        except queue.Full:
            self.dropped += 1
            return False
        self.submitted += 1
        return True

    def _ensure_worker(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="steward-shadow", daemon=True
                    )
                    self._thread.start()

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            try:
                if task is _STOP:
                    return
                assert callable(task)
                task()
            except Exception:  # a shadow failure must never take the worker down
                _log.exception("shadow call failed")
            finally:
                self.completed += task is not _STOP
                self._queue.task_done()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued copy has run; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the queued copies (waiting at most ``timeout``)."""
        if self._thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
        self._thread = None
