from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from modelsteward.store import LabelRecord, PredictionRecord
from tests.server.conftest import Api

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _load(api: Api, start: datetime, n: int, seed: int, labelled: bool) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(int)
    recs = [
        PredictionRecord(
            id=f"{seed}-{i}",
            timestamp=start + timedelta(seconds=i),
            prediction=int(p[i] >= 0.5),
            score=float(p[i]),
        )
        for i in range(n)
    ]
    api.store.ingest_predictions("m", recs)
    if labelled:
        api.store.ingest_labels(
            "m", [LabelRecord(id=r.id, label=int(y[i])) for i, r in enumerate(recs)]
        )


def test_realized_and_estimated(api: Api) -> None:
    api.client.post("/api/v1/models", json={"name": "m", "task": "binary"}, headers=api.admin)
    _load(api, T0, 3000, seed=1, labelled=True)
    _load(api, T0 + timedelta(days=1), 2000, seed=2, labelled=False)
    r = api.client.get(
        "/api/v1/models/m/performance",
        params={"start": (T0).isoformat(), "end": (T0 + timedelta(hours=2)).isoformat()},
        headers=api.read,
    )
    body = r.json()
    assert r.status_code == 200 and body["labelled"] == 3000
    assert 0.65 < body["realized"]["accuracy"] < 0.85 and 0.75 < body["realized"]["roc_auc"] < 0.9
    assert body["estimated"] is None and "reference_start" in body["estimated_reason"]
    r = api.client.get(
        "/api/v1/models/m/performance",
        params={
            "start": (T0 + timedelta(days=1)).isoformat(),
            "end": (T0 + timedelta(days=2)).isoformat(),
            "reference_start": T0.isoformat(),
            "reference_end": (T0 + timedelta(hours=2)).isoformat(),
        },
        headers=api.read,
    )
    body = r.json()
    assert body["labelled"] == 0 and body["realized"] == {"accuracy": None}
    assert abs(body["estimated"]["accuracy"] - 0.75) < 0.05
    assert abs(body["estimated"]["roc_auc"] - 0.83) < 0.05
    bad = api.client.get(
        "/api/v1/models/m/performance?reference_start=2026-01-01T00:00:00Z", headers=api.read
    )
    assert bad.status_code == 422
    assert api.client.get("/api/v1/models/x/performance", headers=api.read).status_code == 404
