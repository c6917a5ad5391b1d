"""The demo's small parts: its configuration, timeline events and webhook receiver."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["DemoConfig", "TimelineEvent", "WebhookReceiver"]


@dataclass(frozen=True)
class DemoConfig:
    """Length and size of the simulation."""

    days: int = 14
    rows: int = 2000
    seed: int = 0
    requests_per_day: int = 1500
    model: str = "fleet"
    bad_candidate_day: int = 8


@dataclass
class TimelineEvent:
    day: int
    event: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
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
        self.server.shutdown()
        self.server.server_close()
