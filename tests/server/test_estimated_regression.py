"""DLE in the server: regression models get estimated MAE and RMSE before their labels.

The data are made so the truth is known: the error's spread grows with the prediction's
size and is far larger for one kind of row (a feature). The current period has larger
predictions, or more rows of the noisy kind, so a larger error. Its labels are withheld
from the store and used only to check the estimate. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelsteward.server import create_app
from modelsteward.server._scheduler import Scheduler
from modelsteward.settings import Settings
from modelsteward.store import LabelRecord, PredictionRecord, Store
from modelsteward.store._orm import ModelRow
from tests.server.conftest import Api

pytest.importorskip("sklearn")

T0 = datetime(2026, 2, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _period(
    store: Store,
    start: datetime,
    n: int,
    *,
    seed: int,
    labelled: bool,
    shift: float = 0.0,
    noisy: float = 0.0,
) -> tuple[float, float]:
    """Store ``n`` regression predictions from ``start`` (one a second); returns the true
    MAE and RMSE of the period (its labels are stored only when ``labelled``).

    The prediction is ``x`` (shifted by ``shift``); the error's spread grows with ``|x|``
    and is much larger for the ``noisy`` share of rows (feature ``kind``).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) + shift
    is_noisy = rng.uniform(size=n) < noisy
    y = x + rng.normal(size=n) * (0.1 + 0.5 * np.abs(x) + 1.5 * is_noisy)
    recs = [
        PredictionRecord(
            id=f"{seed}-{i}",
            timestamp=start + timedelta(seconds=i),
            prediction=float(x[i]),
            features={"x": float(x[i]), "kind": "noisy" if is_noisy[i] else "calm"},
        )
        for i in range(n)
    ]
    store.ingest_predictions("r", recs)
    if labelled:
        labels = [LabelRecord(id=r.id, label=float(y[i])) for i, r in enumerate(recs)]
        store.ingest_labels("r", labels)
    err = y - x
    return float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err**2)))


def _ask(client: TestClient, headers: dict[str, str], **params: datetime) -> dict[str, object]:
    r = client.get(
        "/api/v1/models/r/performance",
        params={k: v.isoformat() for k, v in params.items()},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_dle_from_the_prediction_alone(api: Api) -> None:
    api.store.models.create("r", "regression")
    _period(api.store, T0, 4000, seed=1, labelled=True)
    mae, rmse = _period(api.store, T0 + DAY, 3000, seed=2, labelled=False, shift=1.0)
    body = _ask(
        api.client, api.read, start=T0 + DAY, end=T0 + 2 * DAY,
        reference_start=T0, reference_end=T0 + DAY,
    )  # fmt: skip
    assert body["realized"] == {"mae": None, "rmse": None}
    assert body["estimated_method"] == "DLE" and body["estimated_inputs"] == ["prediction"]
    est = body["estimated"]
    assert isinstance(est, dict)
    assert est["mae"] == pytest.approx(mae, rel=0.15)
    assert est["rmse"] == pytest.approx(rmse, rel=0.15)


def test_dle_too_few_labels_says_so(api: Api) -> None:
    api.store.models.create("r", "regression")
    _period(api.store, T0, 50, seed=1, labelled=True)
    _period(api.store, T0 + DAY, 100, seed=2, labelled=False)
    body = _ask(
        api.client, api.read, start=T0 + DAY, end=T0 + 2 * DAY,
        reference_start=T0, reference_end=T0 + DAY,
    )  # fmt: skip
    assert body["estimated"] is None
    assert "at least 100" in str(body["estimated_reason"]) and "found 50" in str(
        body["estimated_reason"]
    )


@pytest.fixture
def retaining(db_url: str, tmp_path: Path) -> Iterator[tuple[Store, TestClient, dict[str, str]]]:
    """A store that keeps raw features (``feature_retention_days``) and its app."""
    store = Store(db_url, feature_dir=tmp_path / "features")
    store.upgrade()
    _, token = store.keys.create("reader", "read")
    settings = Settings(home=str(tmp_path), migrate_on_start=False, evaluation_interval_seconds=0)
    with TestClient(create_app(settings, store=store)) as client:
        yield store, client, {"Authorization": f"Bearer {token}"}
    store.close()


def test_dle_uses_retained_features(
    retaining: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, client, headers = retaining
    store.models.create("r", "regression")
    ref_mae, _ = _period(store, T0, 4000, seed=1, labelled=True, noisy=0.2)
    mae, rmse = _period(store, T0 + DAY, 3000, seed=2, labelled=False, noisy=0.8)
    body = _ask(
        client, headers, start=T0 + DAY, end=T0 + 2 * DAY,
        reference_start=T0, reference_end=T0 + DAY,
    )  # fmt: skip
    assert body["estimated_inputs"] == ["x", "kind", "prediction"]
    est = body["estimated"]
    assert isinstance(est, dict)
    assert mae > 1.8 * ref_mae  # the prediction alone could not tell: the noisy kind could
    assert est["mae"] == pytest.approx(mae, rel=0.1)
    assert est["rmse"] == pytest.approx(rmse, rel=0.1)


def test_scheduler_records_estimated_mae_and_rmse(
    retaining: tuple[Store, TestClient, dict[str, str]],
) -> None:
    store, _, _ = retaining
    store.models.create("r", "regression")
    with store.engine.begin() as conn:  # as if created before the traffic
        rows = ModelRow.__table__
        conn.execute(rows.update().values(created_at=T0 - DAY))  # type: ignore[attr-defined]
    start = T0
    _period(store, start, 3600, seed=1, labelled=True, noisy=0.2)  # one labelled hour
    later = start + timedelta(hours=1)
    mae, rmse = _period(store, later, 3600, seed=2, labelled=False, noisy=0.8)
    sched = Scheduler(
        store, ["1h"], backfill=3, clock=lambda: start + timedelta(hours=2, minutes=1)
    )
    sched.run_once()
    series = {
        (e.metric, e.window_start): e.value
        for e in store.evaluations.series(store.models.id_of("r"))
    }
    assert series[("estimated_mae", later)] == pytest.approx(mae, rel=0.1)
    assert series[("estimated_rmse", later)] == pytest.approx(rmse, rel=0.1)
    # the labelled hour has no labelled hour before it: "no data", not a guess
    assert series[("estimated_mae", start)] is None
    assert series[("mae", start)] is not None


def test_dle_fits_on_the_newest_20000_reference_rows(store: Store) -> None:
    from modelsteward.server._estimation import estimate_regression

    model = store.models.create("r", "regression")
    rng = np.random.default_rng(0)
    n = 25_000
    pred = rng.normal(size=n)
    ref = {"id": [f"r{i}" for i in range(n)], "prediction": list(pred),
           "label": list(pred + rng.normal(size=n))}  # fmt: skip
    cur: dict[str, list[Any]] = {
        "id": ["c0", "c1"],
        "prediction": [0.0, 1.0],
        "label": [None, None],
    }
    span = (T0, T0 + DAY)
    got = estimate_regression(store, model, ref, span, cur, span)
    assert got.reference_rows == 20_000 and got.inputs == ["prediction"]
    assert got.estimated is not None and 0.6 < got.estimated["mae"] < 1.0


def test_dle_estimates_reach_the_retraining_signals() -> None:
    from modelsteward.server._retrain import Evaluated, signals_of

    window = Evaluated("r", "1h", T0, T0 + timedelta(hours=1),
                       {"mae": None, "estimated_mae": 1.25, "estimated_rmse": 1.75})  # fmt: skip
    signals = signals_of(T0 + timedelta(hours=2), 0, window)
    assert dict(signals.estimated_performance or {}) == {"mae": 1.25, "rmse": 1.75}
