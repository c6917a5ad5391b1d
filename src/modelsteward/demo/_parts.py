"""The demo's small parts: its configuration, timeline events and webhook receiver."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import Request, urlopen

__all__ = ["DemoConfig", "TimelineEvent", "WebhookReceiver", "one_cpu", "post_alert"]


@dataclass(frozen=True)
class DemoConfig:
    """Length and size of the simulation: ``rows`` sensor readings a day, each one a
    gateway call; the bad candidate ships on the first day from ``bad_candidate_day`` on
    when no rollout is in progress."""

    days: int = 18
    rows: int = 8000
    seed: int = 0
    model: str = "fleet"
    bad_candidate_day: int = 8


@dataclass
class TimelineEvent:
    """One event of the story: its simulated day, its kind and what it is about."""

    day: int
    event: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON data."""
        return {"day": self.day, "event": self.event, "detail": self.detail}


class WebhookReceiver:
    """A tiny HTTP server on a free 127.0.0.1 port that keeps the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


def post_alert(url: str, body: dict[str, Any]) -> int:
    """POST ``body`` as JSON to ``url``; the HTTP status."""
    req = Request(
        url,
        data=json.dumps(body, default=str).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urlopen(req, timeout=5.0) as resp:
        return int(resp.status)


@contextlib.contextmanager
def one_cpu() -> Iterator[int | None]:
    """Run this thread, and every thread and process it starts meanwhile, on one CPU.

    The gateway times each model call in its link's own worker thread. On a busy machine
    a worker woken rarely (the candidate's at a 5 % canary step) tends to land on another,
    colder and busier core than the champion's, and measures slower for that reason alone
    (3-25 % of its calls above the champion's p99 instead of 1 %), which the latency
    guardrail rightly reads as a slower candidate. On one core both arms run under the
    same conditions, so the guardrail compares the models. Where CPU affinity cannot be
    set (not Linux), nothing changes. Yields the CPU used, or None.
    """
    get = getattr(os, "sched_getaffinity", None)
    set_ = getattr(os, "sched_setaffinity", None)
    if get is None or set_ is None:
        yield None
        return
    before = get(0)
    cpu = min(before)
    set_(0, {cpu})
    try:
        yield cpu
    finally:
        set_(0, before)
