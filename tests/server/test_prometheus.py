"""A real Prometheus server scrapes a real `steward serve` and answers queries about it."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="prometheus not installed (Debian package)"
)


def test_prometheus_scrapes_the_model_metrics(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, args=("--dev",)).start()
    prom_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: steward\n"
        "    metrics_path: /metrics\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{server.port}']\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    prom = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        httpx.post(f"{server.url}/api/v1/models", json={"name": "churn", "task": "binary"})
        rows = [{"id": str(i), "version": "v1", "latency_ms": 5.0} for i in range(25)]
        assert httpx.post(f"{server.url}/api/v1/models/churn/predictions", json=rows).is_success
        query = f"http://127.0.0.1:{prom_port}/api/v1/query"
        value = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and value != 25.0:
            try:
                r = httpx.get(query, params={"query": 'steward_predictions_total{model="churn"}'})
                result = r.json()["data"]["result"]
                if result:
                    assert result[0]["metric"]["version"] == "v1"
                    value = float(result[0]["value"][1])
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        assert value == 25.0, (tmp_path / "prometheus.log").read_text()[-2000:]
        r = httpx.get(
            query,
            params={"query": 'steward_prediction_latency_seconds_count{model="churn"}'},
        )
        assert float(r.json()["data"]["result"][0]["value"][1]) == 25.0
    finally:
        prom.terminate()
        prom.wait(10)
        log.close()
        server.stop()
