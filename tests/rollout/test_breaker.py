from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from modelsteward.errors import ParameterError
from modelsteward.rollout import CircuitBreaker, ManualClock


def make(clock: ManualClock, **kw: float) -> CircuitBreaker:
    return CircuitBreaker(clock=clock, cooldown_s=30.0, **kw)  # type: ignore[arg-type]


def test_three_consecutive_failures_open() -> None:
    clock = ManualClock()
    b = make(clock)
    for _ in range(4):
        b.record_success()
    b.record_failure()
    b.record_failure()
    b.record_success()  # resets the run (4 of 9 failed: under 50 %)
    b.record_failure()
    b.record_failure()
    assert b.state == "closed"
    b.record_failure()
    assert b.state == "open" and b.opens == 1 and not b.allow()


def test_failure_rate_over_window_opens() -> None:
    clock = ManualClock()
    b = make(clock)
    # alternate: never 3 in a row, but 50 % of >= 5 requests
    for ok in (True, False, True, False):
        (b.record_success if ok else b.record_failure)()
        clock.advance(1)
    assert b.state == "closed"  # 2 of 4: too few requests
    b.record_failure()  # 3 of 5 = 60 %
    assert b.state == "open"


def test_window_forgets_old_calls() -> None:
    clock = ManualClock()
    b = make(clock)
    for _ in range(2):
        b.record_failure()
        b.record_success()
    clock.advance(61)  # the four calls fall out of the 60 s window
    for ok in (True, True, True, False, True):
        (b.record_success if ok else b.record_failure)()
    assert b.state == "closed"


def test_half_open_probe_success_and_failure() -> None:
    clock = ManualClock()
    transitions: list[tuple[str, str]] = []
    b = CircuitBreaker(
        clock=clock, cooldown_s=10, on_transition=lambda o, n: transitions.append((o, n))
    )
    for _ in range(3):
        b.record_failure()
    clock.advance(9.9)
    assert not b.allow()
    clock.advance(0.1)
    assert b.allow() and b.state == "half_open"
    assert not b.allow()  # only one probe
    b.record_failure()
    assert b.state == "open" and b.opens == 2
    clock.advance(10)
    assert b.allow()
    b.record_success()
    assert b.state == "closed" and b.closes == 1
    assert transitions == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


@pytest.mark.parametrize(
    "kw",
    [
        {"consecutive_failures": 0},
        {"failure_rate": 0.0},
        {"failure_rate": 1.5},
        {"min_requests": 0},
        {"window_s": 0},
        {"cooldown_s": -1},
    ],
)
def test_bad_parameters(kw: dict[str, float]) -> None:
    with pytest.raises(ParameterError):
        CircuitBreaker(**kw)  # type: ignore[arg-type]


class BreakerMachine(RuleBasedStateMachine):
    """The breaker against a plain reference model of the specification."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.b = CircuitBreaker(clock=self.clock, cooldown_s=30.0)
        self.calls: list[tuple[float, bool]] = []  # reference window (closed state only)
        self.run = 0
        self.state = "closed"
        self.opened_at = 0.0
        self.probe_out = False
        self.opens = 0
        self.closes = 0

    def _open(self) -> None:
        self.state, self.opened_at, self.probe_out = "open", self.clock.now(), False
        self.opens += 1

    @rule(seconds=st.sampled_from([0.0, 1.0, 5.0, 29.0, 30.0, 61.0]))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def ask(self) -> None:
        got = self.b.allow()
        if self.state == "closed":
            expected = True
        elif self.state == "open":
            expected = self.clock.now() - self.opened_at >= 30.0
            if expected:
                self.state, self.probe_out = "half_open", True
        else:
            expected = not self.probe_out
            self.probe_out = True
        assert got == expected

    @precondition(lambda self: self.state != "open")
    @rule(ok=st.booleans())
    def report(self, ok: bool) -> None:
        (self.b.record_success if ok else self.b.record_failure)()
        now = self.clock.now()
        if self.state == "half_open":
            if ok:
                self.state, self.calls, self.run = "closed", [], 0
                self.closes += 1
            else:
                self._open()
            return
        self.calls = [(t, f) for t, f in self.calls if t > now - 60.0] + [(now, not ok)]
        self.run = 0 if ok else self.run + 1
        fails = sum(f for _, f in self.calls)
        if self.run >= 3 or (len(self.calls) >= 5 and fails >= 0.5 * len(self.calls)):
            self._open()

    @invariant()
    def same_state(self) -> None:
        assert self.b.state == self.state

    @invariant()
    def counts_alternate(self) -> None:
        assert (self.b.opens, self.b.closes) == (self.opens, self.closes)
        assert self.closes <= self.opens


TestBreakerMachine = BreakerMachine.TestCase
TestBreakerMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
