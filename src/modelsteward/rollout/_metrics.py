"""Prometheus text exposition of the gateway's counters (no client library needed).

Label values are bounded: models come from the configuration, ``arm`` is ``baseline``,
``candidate`` or ``shadow``, ``link`` and ``role`` are chain positions (``champion``,
``previous``, ``candidate``, ``default``), never versions or request data.

>>> m = GatewayMetrics()
>>> m.observe("churn", "baseline", "champion", 0.004, error=False)
>>> m.breaker("churn", "champion", "open")
>>> text = m.render()
>>> 'steward_gateway_requests_total{model="churn",arm="baseline",link="champion"} 1' in text
True
>>> 'steward_gateway_breaker_transitions_total{model="churn",role="champion",to="open"} 1' in text
True
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

__all__ = ["BUCKETS", "GatewayMetrics"]

#: Latency histogram bucket bounds, in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: Iterable[str], values: Iterable[str]) -> str:
    return ",".join(f'{n}="{_esc(v)}"' for n, v in zip(names, values, strict=True))


class GatewayMetrics:
    """Thread-safe counters and a latency histogram per model and arm."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.errors: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.breakers: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.rejected: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._hist: dict[tuple[str, str], list[float]] = {}
        #: Extra gauge lines (name, help, samples) computed at scrape time.
        self.gauges: list[Callable[[], tuple[str, str, list[tuple[str, float]]]]] = []

    def observe(self, model: str, arm: str, link: str, seconds: float, *, error: bool) -> None:
        """Count one served request (``error``: its arm's own model failed)."""
        with self._lock:
            self.requests[(model, arm, link)] += 1
            if error:
                self.errors[(model, arm)] += 1
            h = self._hist.get((model, arm))
            if h is None:
                h = self._hist[(model, arm)] = [0.0] * (len(BUCKETS) + 3)
            h[bisect.bisect_left(BUCKETS, seconds)] += 1
            h[-2] += seconds
            h[-1] += 1

    def reject(self, model: str, reason: str) -> None:
        """Count a request refused before any model ran (``features``, ``unavailable``)."""
        with self._lock:
            self.rejected[(model, reason)] += 1

    def breaker(self, model: str, role: str, to: str) -> None:
        """Count a breaker transition (``to`` is ``open``, ``half_open`` or ``closed``)."""
        with self._lock:
            self.breakers[(model, role, to)] += 1

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        out: list[str] = []
        with self._lock:
            self._counter(
                out,
                "steward_gateway_requests_total",
                "Requests served, by the arm they were routed to and the link that answered.",
                ("model", "arm", "link"),
                self.requests,
            )
            self._counter(
                out,
                "steward_gateway_errors_total",
                "Requests whose arm's own model failed (a later link served them).",
                ("model", "arm"),
                self.errors,
            )
            self._counter(
                out,
                "steward_gateway_rejected_total",
                "Requests refused before any model ran.",
                ("model", "reason"),
                self.rejected,
            )
            self._counter(
                out,
                "steward_gateway_breaker_transitions_total",
                "Circuit breaker transitions.",
                ("model", "role", "to"),
                self.breakers,
            )
            name = "steward_gateway_request_duration_seconds"
            out.append(f"# HELP {name} Time to answer a request (all links tried).")
            out.append(f"# TYPE {name} histogram")
            for (model, arm), h in sorted(self._hist.items()):
                base = _labels(("model", "arm"), (model, arm))
                acc = 0.0
                for bound, count in zip(BUCKETS, h, strict=False):
                    acc += count
                    out.append(f'{name}_bucket{{{base},le="{bound:g}"}} {acc:g}')
                out.append(f'{name}_bucket{{{base},le="+Inf"}} {h[-1]:g}')
                out.append(f"{name}_sum{{{base}}} {h[-2]:.6f}")
                out.append(f"{name}_count{{{base}}} {h[-1]:g}")
        for gauge in self.gauges:
            gname, ghelp, samples = gauge()
            out.append(f"# HELP {gname} {ghelp}")
            out.append(f"# TYPE {gname} gauge")
            out.extend(f"{gname}{{{labels}}} {value:g}" for labels, value in samples)
        return "\n".join(out) + "\n"

    @staticmethod
    def _counter(
        out: list[str],
        name: str,
        help: str,
        names: tuple[str, ...],
        values: dict[tuple[str, ...], int]
        | defaultdict[tuple[str, str, str], int]
        | defaultdict[tuple[str, str], int],
    ) -> None:
        out.append(f"# HELP {name} {help}")
        out.append(f"# TYPE {name} counter")
        out.extend(f"{name}{{{_labels(names, k)}}} {v}" for k, v in sorted(values.items()))
