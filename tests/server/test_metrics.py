from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.server.conftest import Api


def _scrape(api: Api) -> str:
    r = api.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return r.text


def test_metrics_count_ingest_with_bounded_labels(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    rows = [
        {"id": f"r{i}", "version": "v1", "latency_ms": float(i), "error": i == 0} for i in range(10)
    ]
    api.client.post("/api/v1/models/m/predictions", json=rows, headers=api.ingest)
    api.client.post("/api/v1/models/m/predictions", json=rows[:3], headers=api.ingest)  # dups
    api.client.post("/api/v1/models/m/labels", json=[{"id": "r1", "label": 1}], headers=api.ingest)
    text = _scrape(api)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }
    assert samples[("steward_predictions_total", (("model", "m"), ("version", "v1")))] == 10
    assert samples[("steward_prediction_errors_total", (("model", "m"), ("version", "v1")))] == 1
    assert samples[("steward_duplicate_predictions_total", (("model", "m"),))] == 3
    assert samples[("steward_labels_total", (("model", "m"),))] == 1
    lat = ("steward_prediction_latency_seconds_count", (("model", "m"), ("version", "v1")))
    assert samples[lat] == 10
    le5 = (
        "steward_prediction_latency_seconds_bucket",
        (("le", "0.005"), ("model", "m"), ("version", "v1")),
    )
    assert samples[le5] == 6  # 0..5 ms
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            assert set(s.labels) <= {"model", "version", "le", "method", "route", "status"}
            assert "r1" not in s.labels.values()
    routes = {
        s.labels.get("route") for f in text_string_to_metric_families(text) for s in f.samples
    }
    assert "/api/v1/models/{name}/predictions" in routes


def test_versions_beyond_the_cap_share_one_series(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    rows = [{"id": str(i), "version": f"v{i}"} for i in range(40)]
    api.client.post("/api/v1/models/m/predictions", json=rows, headers=api.ingest)
    versions = {
        s.labels["version"]
        for f in text_string_to_metric_families(_scrape(api))
        for s in f.samples
        if s.name == "steward_predictions_total"
    }
    assert len(versions) == 21 and "other" in versions


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_exposition(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    api.client.post(
        "/api/v1/models/m/predictions", json=[{"id": "a", "latency_ms": 3}], headers=api.ingest
    )
    out = subprocess.run(
        ["promtool", "check", "metrics"], input=_scrape(api), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_newest_evaluations_are_gauges(api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    mid = api.store.models.id_of("m")
    now = datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    api.store.evaluations.record(
        mid, "error_rate", end - timedelta(hours=2), end - timedelta(hours=1), 0.5
    )
    api.store.evaluations.record(mid, "error_rate", end - timedelta(hours=1), end, 0.25)
    api.store.evaluations.record(mid, "accuracy", end - timedelta(hours=1), end, None)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(_scrape(api))
        for s in fam.samples
    }
    assert samples[("steward_window_error_rate", (("model", "m"), ("window", "1h")))] == 0.25
    assert not any(name == "steward_window_accuracy" for name, _ in samples)
