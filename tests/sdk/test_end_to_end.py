"""The newcomer's path: `steward serve --dev`, the SDK, then drift, performance, metrics."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelsteward.sdk import Monitor
from tests.conftest import ServerProcess


def test_serve_dev_sdk_drift_performance_metrics(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, args=("--dev",)).start()
    rng = np.random.default_rng(3)
    try:
        api = httpx.Client(base_url=server.url, timeout=30)
        assert (
            api.post("/api/v1/models", json={"name": "churn", "task": "binary"}).status_code == 201
        )
        ref = pa.table({"age": rng.normal(40, 10, 2000), "plan": rng.choice(["a", "b"], 2000)})
        sink = io.BytesIO()
        pq.write_table(ref, sink)
        r = api.put(
            "/api/v1/models/churn/reference",
            content=sink.getvalue(),
            headers={"Content-Type": "application/vnd.apache.parquet"},
        )
        assert r.status_code == 200, r.text

        now = datetime.now(UTC)
        with Monitor(
            "churn", url=server.url, spool_dir=tmp_path / "spool", flush_interval=0.05
        ) as mon:
            for i in range(1500):
                p = float(rng.uniform())
                pid = mon.log_prediction(
                    {"age": float(rng.normal(55, 10)), "plan": str(rng.choice(["a", "b"]))},
                    int(p > 0.5),
                    score=p,
                    latency_ms=float(rng.uniform(1, 20)),
                    version="v1",
                )
                if i % 2 == 0:
                    mon.log_label(pid, int(rng.uniform() < p))
            assert mon.flush(timeout=60)

        info = api.get("/api/v1/models/churn").json()
        assert info["predictions"] == 1500 and info["labels"] == 750
        window = {
            "start": (now - timedelta(hours=2)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
        }
        drift = api.get("/api/v1/models/churn/drift", params=window)
        assert drift.status_code == 200, drift.text
        cols = {c["name"]: c for c in drift.json()["columns"]}
        assert cols["age"]["drifted"] is True and drift.json()["current_rows"] == 1500
        perf = api.get("/api/v1/models/churn/performance", params=window).json()
        assert perf["labelled"] == 750 and 0.6 < perf["realized"]["accuracy"] < 0.9
        metrics = api.get("/metrics").text
        assert 'steward_predictions_total{model="churn",version="v1"} 1500.0' in metrics
        assert api.get("/api/v1/alerts").json() == []
    finally:
        server.stop()
