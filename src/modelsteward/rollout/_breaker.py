"""A circuit breaker: stop calling a failing model, probe it again after a cooldown.

States: ``closed`` (calls go through) → ``open`` after ``consecutive_failures`` failures
in a row, or when at least ``min_requests`` calls in the last ``window_s`` seconds failed
at a rate of at least ``failure_rate`` → ``half_open`` once ``cooldown_s`` has passed,
letting exactly one probe through → ``closed`` if it succeeds, ``open`` again if it fails.
Every open and close is counted (``opens``, ``closes``) for ``/metrics``.

>>> from modelsteward.rollout import CircuitBreaker, ManualClock
>>> clock = ManualClock()
>>> breaker = CircuitBreaker(clock=clock, cooldown_s=30)
>>> for _ in range(3):
...     breaker.record_failure()
>>> breaker.state, breaker.allow()
('open', False)
>>> _ = clock.advance(30)
>>> breaker.allow(), breaker.state, breaker.allow()  # one probe only
(True, 'half_open', False)
>>> breaker.record_success()
>>> breaker.state, breaker.opens, breaker.closes
('closed', 1, 1)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Literal

from modelsteward.errors import ParameterError
from modelsteward.rollout._protocols import Clock, SystemClock

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Count failures of one callee and refuse calls while it is failing.

    Parameters
    ----------
    consecutive_failures:
        Failures in a row that open the breaker (3).
    failure_rate, min_requests, window_s:
        The breaker also opens when, over the calls of the last ``window_s`` seconds
        (at least ``min_requests`` of them), the share of failures is ``failure_rate`` or
        more (50 % of at least 5 calls in 60 s).
    cooldown_s:
        How long the breaker stays open before one probe is let through (30 s).
    clock:
        The time source (injected; :class:`~modelsteward.rollout.ManualClock` in tests).
    on_transition:
        Called with ``(old_state, new_state)`` after every change of state.
    """

    def __init__(
        self,
        *,
        consecutive_failures: int = 3,
        failure_rate: float = 0.5,
        min_requests: int = 5,
        window_s: float = 60.0,
        cooldown_s: float = 30.0,
        clock: Clock | None = None,
        on_transition: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        if consecutive_failures < 1:
            raise ParameterError(
                f"The 'consecutive_failures' parameter of CircuitBreaker must be an int >= 1. "
                f"Got {consecutive_failures!r} instead."
            )
        if not 0.0 < failure_rate <= 1.0:
            raise ParameterError(
                f"The 'failure_rate' parameter of CircuitBreaker must be a float in (0, 1]. "
                f"Got {failure_rate!r} instead."
            )
        if min_requests < 1 or window_s <= 0 or cooldown_s < 0:
            raise ParameterError(
                "CircuitBreaker needs min_requests >= 1, window_s > 0 and cooldown_s >= 0; "
                f"got {min_requests!r}, {window_s!r}, {cooldown_s!r}."
            )
        self.consecutive_failures = consecutive_failures
        self.failure_rate = failure_rate
        self.min_requests = min_requests
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self.clock = clock or SystemClock()
        self.on_transition = on_transition
        self._lock = threading.Lock()
        self.opens = 0
        self.closes = 0
        self.reset()

    def reset(self) -> None:
        """Close the breaker and forget every call (the counters are kept)."""
        self._state: BreakerState = "closed"
        self._consecutive = 0
        self._window: deque[tuple[float, bool]] = deque()
        self._window_failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open``."""
        return self._state

    def allow(self) -> bool:
        """Whether a call may go through now; in ``half_open`` only the one probe may."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if self.clock.now() - self._opened_at < self.cooldown_s:
                    return False
                self._move("half_open")
                self._probing = True
                return True
            if self._probing:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        """Report a call that succeeded."""
        with self._lock:
            if self._state == "closed":
                self._consecutive = 0
                self._push(False)
                if self._rate_exceeded():
                    self._open()
            elif self._state == "half_open":
                self._probing = False
                self._window.clear()
                self._window_failures = 0
                self._consecutive = 0
                self._move("closed")

    def record_failure(self) -> None:
        """Report a call that failed (raised, timed out or returned something unusable)."""
        with self._lock:
            if self._state == "closed":
                self._consecutive += 1
                self._push(True)
                if self._consecutive >= self.consecutive_failures or self._rate_exceeded():
                    self._open()
            elif self._state == "half_open":
                self._probing = False
                self._open()

    def _push(self, failed: bool) -> None:
        now = self.clock.now()
        self._window.append((now, failed))
        self._window_failures += failed
        horizon = now - self.window_s
        while self._window and self._window[0][0] <= horizon:
            _, old = self._window.popleft()
            self._window_failures -= old

    def _rate_exceeded(self) -> bool:
        n = len(self._window)
        return n >= self.min_requests and self._window_failures >= self.failure_rate * n

    def _open(self) -> None:
        self._opened_at = self.clock.now()
        self._move("open")

    def _move(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if new == "open" and old != "open":
            self.opens += 1
        elif new == "closed" and old != "closed":
            self.closes += 1
        if self.on_transition is not None:
            self.on_transition(old, new)

    def __repr__(self) -> str:
        return f"CircuitBreaker(state={self._state!r}, opens={self.opens}, closes={self.closes})"
