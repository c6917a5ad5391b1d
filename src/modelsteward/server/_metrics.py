"""``/metrics``: Prometheus exposition with bounded label cardinality.

Per-model series carry only ``model`` and ``version`` labels (at most ``max_versions``
versions per model; the rest are counted under ``version="other"``); HTTP series carry
the route template, never a raw path or id.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow.compute as pc
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from modelsteward.store import PredictionBatch, Store

log = logging.getLogger("modelsteward.server")
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

__all__ = ["LATENCY_BUCKETS_S", "ServiceMetrics"]

#: Histogram bounds of the model latency reported with predictions, in seconds (base unit).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


def _bucket_counts(latency_s: np.ndarray) -> np.ndarray:
    """How many of the values fall in each latency bucket (the last one: above them all)."""
    bounds = np.asarray(LATENCY_BUCKETS_S)
    return np.bincount(np.searchsorted(bounds, latency_s, side="left"), minlength=bounds.size + 1)


class _Latency:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = np.zeros(len(LATENCY_BUCKETS_S) + 1, dtype=np.int64)
        self.count = 0
        self.total = 0.0

    def add(self, values: np.ndarray) -> None:
        self.buckets += _bucket_counts(values)
        self.count += int(values.size)
        self.total += float(values.sum())


class ServiceMetrics(Collector):
    """Counters the ingest path updates, exposed through a private registry."""

    def __init__(
        self,
        max_versions: int = 20,
        *,
        store: Store | None = None,
        windows: list[str] | None = None,
        multiprocess_dir: str | None = None,
    ) -> None:
        self.max_versions = max_versions
        self.store = store
        self.windows = windows or []
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._predictions: dict[tuple[str, str], int] = defaultdict(int)
        self._errors: dict[tuple[str, str], int] = defaultdict(int)
        self._duplicates: dict[str, int] = defaultdict(int)
        self._labels: dict[str, int] = defaultdict(int)
        self._latency: dict[tuple[str, str], _Latency] = {}
        self._versions: dict[str, set[str]] = defaultdict(set)
        self.requests = Counter(
            "steward_http_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "steward_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template.",
            ["route"],
            registry=self.registry,
        )
        # In multi-process mode the ingest counters live only in the shared files.
        self._shared = _SharedCounters(multiprocess_dir) if multiprocess_dir else None
        self.registry.register(self)

    def scrape_registry(self) -> CollectorRegistry:
        """The registry ``/metrics`` renders: this process's own, or, when several worker
        processes serve (``multiprocess_dir``), the sum over all of them."""
        if self._shared is None:
            return self.registry
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self._shared.path)  # type: ignore[no-untyped-call]
        registry.register(_Evaluations(self))
        return registry

    def _version(self, model: str, version: str | None) -> str:
        v = version or ""
        known = self._versions[model]
        if v in known:
            return v
        if len(known) < self.max_versions:
            known.add(v)
            return v
        return "other"

    def observe_batch(self, model: str, batch: PredictionBatch, stored: np.ndarray) -> None:
        """Count the rows of ``batch`` marked ``stored``; the others were duplicates."""
        duplicates = int(stored.size - np.count_nonzero(stored))
        if duplicates:
            batch = batch.take(np.flatnonzero(stored))
        versions = batch.version
        if len(batch) == 0:
            with self._lock:
                self._count_duplicates(model, duplicates)
            return
        groups = []
        for version in pc.unique(versions).to_pylist():
            mask = (
                pc.is_null(versions)
                if version is None
                else pc.fill_null(pc.equal(versions, version), False)
            )
            lat = pc.filter(batch.latency_ms, mask).drop_null().to_numpy(zero_copy_only=False)
            errors = pc.sum(pc.filter(batch.error, mask)).as_py() or 0
            groups.append((version, int(pc.sum(mask).as_py() or 0), int(errors), lat / 1000.0))
        with self._lock:
            self._count_duplicates(model, duplicates)
            for version, count, errors, lat in groups:
                key = (model, self._version(model, version))
                if self._shared is not None:
                    self._shared.add(key, count, errors, lat)
                    continue
                self._predictions[key] += count
                self._errors[key] += errors
                if lat.size:
                    self._latency.setdefault(key, _Latency()).add(lat)

    def _count_duplicates(self, model: str, duplicates: int) -> None:
        if self._shared is not None:
            self._shared.duplicates.labels(model).inc(duplicates)
        else:
            self._duplicates[model] += duplicates

    def observe_labels(self, model: str, count: int) -> None:
        with self._lock:
            if self._shared is not None:
                self._shared.labels.labels(model).inc(count)
            else:
                self._labels[model] += count

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: the families depend on what has been ingested and evaluated."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            preds = CounterMetricFamily(
                "steward_predictions",
                "Predictions stored (duplicates excluded).",
                labels=["model", "version"],
            )
            for (m, v), n in sorted(self._predictions.items()):
                preds.add_metric([m, v], n)
            errs = CounterMetricFamily(
                "steward_prediction_errors",
                "Predictions flagged as errors.",
                labels=["model", "version"],
            )
            for (m, v), n in sorted(self._errors.items()):
                errs.add_metric([m, v], n)
            dups = CounterMetricFamily(
                "steward_duplicate_predictions",
                "Predictions received again and not stored twice.",
                labels=["model"],
            )
            for m, n in sorted(self._duplicates.items()):
                dups.add_metric([m], n)
            labels = CounterMetricFamily("steward_labels", "Labels received.", labels=["model"])
            for m, n in sorted(self._labels.items()):
                labels.add_metric([m], n)
            latency = HistogramMetricFamily(
                "steward_prediction_latency_seconds",
                "Model latency reported with each prediction.",
                labels=["model", "version"],
            )
            for (m, v), h in sorted(self._latency.items()):
                cumulative = np.cumsum(h.buckets)
                buckets = [
                    (str(b), int(c)) for b, c in zip(LATENCY_BUCKETS_S, cumulative, strict=False)
                ]
                buckets.append(("+Inf", int(cumulative[-1])))
                latency.add_metric([m, v], buckets, h.total)
        yield preds
        yield errs
        yield dups
        yield labels
        yield latency
        yield from self.evaluations()

    def evaluations(self) -> Iterator[Metric]:
        """The newest evaluated value of every metric, one gauge family per metric name
        (read from the store at each scrape)."""
        if self.store is None or not self.windows:
            return
        from modelsteward.server._evaluate import parse_window

        widths = {parse_window(w).total_seconds(): w for w in self.windows}
        since = datetime.now(UTC) - 2 * timedelta(seconds=max(widths))
        families: dict[str, GaugeMetricFamily] = {}
        try:
            models = self.store.models.list()
            for model in models:
                for e in self.store.evaluations.latest(model.id, since):
                    window = widths.get((e.window_end - e.window_start).total_seconds())
                    if window is None or e.value is None or not _METRIC_NAME.match(e.metric):
                        continue
                    family = families.get(e.metric)
                    if family is None:
                        family = families[e.metric] = GaugeMetricFamily(
                            f"steward_window_{e.metric}",
                            f"{e.metric} of the newest closed window.",
                            labels=["model", "window"],
                        )
                    family.add_metric([model.name, window], e.value)
        except Exception:  # a scrape never fails because the database hiccups
            log.exception("could not read evaluations for /metrics")
            return
        yield from (families[k] for k in sorted(families))


class _Evaluations(Collector):
    """The evaluation gauges alone (multi-process scrapes get the counters elsewhere)."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self._metrics.evaluations()


class _SharedCounters:
    """The ingest counters as prometheus_client metrics, which in multi-process mode
    (``PROMETHEUS_MULTIPROC_DIR`` set before the worker started) live in files that every
    worker writes and the scrape sums (``path``). Same names, labels and buckets as the
    in-process families of :class:`ServiceMetrics`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.predictions = Counter(
            "steward_predictions",
            "Predictions stored (duplicates excluded).",
            ["model", "version"],
            registry=None,
        )
        self.errors = Counter(
            "steward_prediction_errors",
            "Predictions flagged as errors.",
            ["model", "version"],
            registry=None,
        )
        self.duplicates = Counter(
            "steward_duplicate_predictions",
            "Predictions received again and not stored twice.",
            ["model"],
            registry=None,
        )
        self.labels = Counter("steward_labels", "Labels received.", ["model"], registry=None)
        self.latency = Histogram(
            "steward_prediction_latency_seconds",
            "Model latency reported with each prediction.",
            ["model", "version"],
            buckets=LATENCY_BUCKETS_S,
            registry=None,
        )

    def add(self, key: tuple[str, str], count: int, errors: int, latency_s: np.ndarray) -> None:
        self.predictions.labels(*key).inc(count)
        self.errors.labels(*key).inc(errors)
        if not latency_s.size:
            return
        # a histogram of the whole batch at once (Histogram.observe takes one value)
        child = self.latency.labels(*key)
        for bucket, n in zip(child._buckets, _bucket_counts(latency_s).tolist(), strict=True):
            if n:
                bucket.inc(n)
        child._sum.inc(float(latency_s.sum()))
