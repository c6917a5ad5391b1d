"""A fallback chain: champion → previous champion → a rule or constant default.

Each link is called with a per-call timeout (in a small thread pool of its own, so a hung
model cannot starve the next link) behind its own :class:`CircuitBreaker`. An exception,
a timeout or an unusable answer (not one prediction per row) counts as a failure and the
next link serves; nothing is lost, and the answer says which link served and why the
links before it did not.

>>> from modelsteward.rollout import FallbackChain, Link, constant_link
>>> def broken(rows):
...     raise RuntimeError("model file missing")
>>> chain = FallbackChain([Link("champion", "v2", broken),
...                        Link("previous", "v1", lambda rows: [1] * len(rows)),
...                        constant_link(0)])
>>> served = chain.call([{"x": 1.0}])
>>> served.predictions, served.link, served.version
([1], 'previous', 'v1')
>>> served.failures
(('champion', 'RuntimeError: model file missing'),)
>>> chain.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelsteward.errors import ParameterError
from modelsteward.rollout._breaker import CircuitBreaker
from modelsteward.rollout._errors import NoLinkServedError
from modelsteward.rollout._protocols import PredictFn

__all__ = ["FallbackChain", "Link", "Served", "constant_link"]

Rows = list[Mapping[str, Any]]


@dataclass
class Link:
    """One link of a chain: a name (``champion``, ``previous``, ``default``, ...), the
    version it serves, its predict function, a timeout (None: called inline, for rules
    that cannot hang) and an optional breaker."""

    name: str
    version: str
    predict: PredictFn
    timeout_s: float | None = 1.0
    breaker: CircuitBreaker | None = None
    workers: int = 4
    _executor: cf.ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    def executor(self) -> cf.ThreadPoolExecutor:
        """The link's own thread pool (created on first use)."""
        if self._executor is None:
            self._executor = cf.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix=f"steward-{self.name}"
            )
        return self._executor


def constant_link(value: Any, *, name: str = "default") -> Link:
    """A last link answering ``value`` for every row, inline and without a breaker.

    >>> constant_link(0).predict([{}, {}])
    [0, 0]
    """
    return Link(name, name, lambda rows: [value] * len(rows), timeout_s=None)


@dataclass(frozen=True)
class Served:
    """What a chain answered: predictions, which link and version served, how long the
    whole call took, the first link's own latency (the model's time measured where it ran,
    or the time until it failed; None when it was skipped) and
    ``(link, reason)`` for every link that did not serve before it."""

    predictions: list[Any]
    link: str
    version: str
    latency_ms: float
    primary_latency_ms: float | None
    failures: tuple[tuple[str, str], ...] = ()

    @property
    def primary_failed(self) -> bool:
        """Whether the first link failed (was tried and did not serve)."""
        return self.primary_latency_ms is not None and bool(self.failures)


class _Unusable(Exception):
    pass


def _timed(predict: PredictFn, rows: Rows) -> tuple[Any, float]:
    """Call ``predict`` and time it where it runs (the model's own latency, in ms)."""
    t0 = time.perf_counter()
    out = predict(rows)
    return out, (time.perf_counter() - t0) * 1e3


def _usable(out: Any, n: int) -> list[Any]:
    values = out.tolist() if hasattr(out, "tolist") else list(out)
    if len(values) != n:
        raise _Unusable(f"returned {len(values)} predictions for {n} rows")
    return values


#: What calling a link gave: its answer and the model's own latency (ms), or the exception.
Outcome = tuple[Any, float] | Exception


def _attempt(link: Link, rows: Rows) -> Outcome:
    """Call a link from a thread, with its timeout (inline when it has none)."""
    try:
        if link.timeout_s is None:
            return _timed(link.predict, rows)
        return link.executor().submit(_timed, link.predict, rows).result(link.timeout_s)
    except Exception as exc:
        return exc


async def _aattempt(loop: asyncio.AbstractEventLoop, link: Link, rows: Rows) -> Outcome:
    """Call a link from an event loop: in the link's thread pool, with its timeout."""
    try:
        if link.timeout_s is None:
            return _timed(link.predict, rows)
        fut = loop.run_in_executor(link.executor(), _timed, link.predict, rows)
        async with asyncio.timeout(link.timeout_s):  # no extra task, unlike wait_for
            return await fut
    except Exception as exc:
        return exc


def _reason(exc: BaseException, link: Link) -> str:
    if isinstance(exc, TimeoutError | cf.TimeoutError):
        return f"timeout after {link.timeout_s:g} s"
    if isinstance(exc, _Unusable):
        return f"unusable answer: {exc}"
    text = str(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class FallbackChain:
    """Call the links in order until one answers.

    Parameters
    ----------
    links:
        At least one :class:`Link`; the last is usually :func:`constant_link`.
    """

    def __init__(self, links: Sequence[Link]) -> None:
        if not links:
            raise ParameterError("A FallbackChain needs at least one link. Got none.")
        self.links = list(links)

    def call(self, rows: Rows) -> Served:
        """Serve ``rows`` synchronously (the calling thread waits for the answer)."""
        attempts = self._attempts(rows)
        try:
            link = next(attempts)
            while True:
                link = attempts.send(_attempt(link, rows))
        except StopIteration as done:
            served: Served = done.value
            return served

    async def acall(self, rows: Rows) -> Served:
        """Serve ``rows`` from an event loop: the model runs in the link's thread pool."""
        loop = asyncio.get_running_loop()
        attempts = self._attempts(rows)
        try:
            link = next(attempts)
            while True:
                link = attempts.send(await _aattempt(loop, link, rows))
        except StopIteration as done:
            served: Served = done.value
            return served

    def _attempts(self, rows: Rows) -> Generator[Link, Outcome, Served]:
        """The chain's logic, whoever calls the models: yields each link to try, takes
        what the call gave back (``(answer, model ms)`` or the exception), returns what
        served or raises :class:`NoLinkServedError`."""
        start = time.perf_counter()
        failures: list[tuple[str, str]] = []
        primary_ms: float | None = None
        for i, link in enumerate(self.links):
            if link.breaker is not None and not link.breaker.allow():
                failures.append((link.name, "circuit open"))
                continue
            t0 = time.perf_counter()
            outcome = yield link
            try:
                if isinstance(outcome, BaseException):
                    raise outcome
                out, ms = outcome
                values = _usable(out, len(rows))
            except Exception as exc:  # any failure of a model is the next link's cue
                if i == 0:
                    primary_ms = (time.perf_counter() - t0) * 1e3
                self._failed(link, exc, failures)
                continue
            return self._served(values, link, i, ms, start, primary_ms, failures)
        raise NoLinkServedError(self._none_served(failures))

    @staticmethod
    def _failed(link: Link, exc: BaseException, failures: list[tuple[str, str]]) -> None:
        if link.breaker is not None:
            link.breaker.record_failure()
        failures.append((link.name, _reason(exc, link)))

    @staticmethod
    def _served(
        values: list[Any],
        link: Link,
        i: int,
        model_ms: float,
        start: float,
        primary_ms: float | None,
        failures: list[tuple[str, str]],
    ) -> Served:
        now = time.perf_counter()
        if link.breaker is not None:
            link.breaker.record_success()
        if i == 0:
            primary_ms = model_ms
        return Served(
            values, link.name, link.version, (now - start) * 1e3, primary_ms, tuple(failures)
        )

    @staticmethod
    def _none_served(failures: list[tuple[str, str]]) -> str:
        why = "; ".join(f"{name}: {reason}" for name, reason in failures)
        return f"no link of the fallback chain served ({why}); add a constant default link"

    def close(self) -> None:
        """Shut the links' thread pools down without waiting for hung calls."""
        for link in self.links:
            if link._executor is not None:
                link._executor.shutdown(wait=False, cancel_futures=True)
                link._executor = None
