from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from modelsteward.rollout import (
    CircuitBreaker,
    FallbackChain,
    Link,
    ManualClock,
    NoLinkServedError,
    constant_link,
)

Rows = list[Mapping[str, Any]]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let hung calls finish


def ok(rows: Rows) -> list[int]:
    return [1] * len(rows)


def boom(rows: Rows) -> list[int]:
    raise ValueError("bad weights")


def test_healthy_path_serves_primary() -> None:
    chain = FallbackChain([Link("champion", "v2", ok), constant_link(0)])
    served = chain.call([{"a": 1}, {"a": 2}])
    assert served.predictions == [1, 1] and served.link == "champion" and not served.failures
    assert served.primary_latency_ms is not None and not served.primary_failed
    chain.close()


def test_raise_hang_and_unusable_fall_through(release: threading.Event) -> None:
    def hang(rows: Rows) -> list[int]:
        release.wait(5)
        return ok(rows)

    def short(rows: Rows) -> list[int]:
        return []

    chain = FallbackChain(
        [
            Link("champion", "v3", hang, timeout_s=0.02),
            Link("previous", "v2", boom),
            Link("older", "v1", short),
            constant_link(-1),
        ]
    )
    served = chain.call([{"a": 1}])
    assert served.predictions == [-1] and served.link == "default"
    assert [name for name, _ in served.failures] == ["champion", "previous", "older"]
    reasons = dict(served.failures)
    assert reasons["champion"].startswith("timeout")
    assert reasons["previous"] == "ValueError: bad weights"
    assert "0 predictions for 1 rows" in reasons["older"]
    assert served.primary_failed
    chain.close()


def test_breaker_opens_and_skips_the_failing_link() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, cooldown_s=30)
    calls = {"n": 0}

    def flaky(rows: Rows) -> list[int]:
        calls["n"] += 1
        raise RuntimeError("down")

    chain = FallbackChain(
        [Link("champion", "v2", flaky, breaker=breaker), Link("previous", "v1", ok)]
    )
    for _ in range(5):
        assert chain.call([{}]).link == "previous"  # nothing lost
    assert calls["n"] == 3 and breaker.state == "open" and breaker.opens == 1
    assert chain.call([{}]).failures == (("champion", "circuit open"),)
    clock.advance(30)
    chain.links[0].predict = ok  # the model recovers; the probe closes the breaker
    assert chain.call([{}]).link == "champion"
    assert breaker.state == "closed" and breaker.closes == 1
    chain.close()


def test_async_path_times_out_and_falls_back(release: threading.Event) -> None:
    def hang(rows: Rows) -> list[int]:
        release.wait(5)
        return ok(rows)

    chain = FallbackChain([Link("champion", "v2", hang, timeout_s=0.02), constant_link(7)])
    served = asyncio.run(chain.acall([{}, {}]))
    assert served.predictions == [7, 7] and served.link == "default"
    served = asyncio.run(FallbackChain([Link("champion", "v2", ok)]).acall([{}]))
    assert served.link == "champion"
    chain.close()


def test_no_link_served_names_every_failure() -> None:
    chain = FallbackChain([Link("champion", "v2", boom, timeout_s=None)])
    with pytest.raises(NoLinkServedError, match="champion: ValueError: bad weights"):
        chain.call([{}])
    with pytest.raises(NoLinkServedError):
        asyncio.run(chain.acall([{}]))


def test_numpy_answers_become_lists() -> None:
    import numpy as np

    chain = FallbackChain(
        [Link("champion", "v1", lambda rows: np.arange(len(rows)), timeout_s=None)]
    )
    assert chain.call([{}, {}]).predictions == [0, 1]
