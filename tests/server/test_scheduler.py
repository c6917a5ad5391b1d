from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from modelsteward.server._alerting import AlertEngine, WebhookChannel
from modelsteward.server._evaluate import parse_window
from modelsteward.server._scheduler import Scheduler
from modelsteward.settings import AlertRuleSettings, WebhookSettings
from modelsteward.store import LabelRecord, PredictionRecord, Store
from modelsteward.store._orm import ModelRow

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _model(store: Store, name: str = "m", task: str = "binary") -> None:
    store.models.create(name, task)
    with store.engine.begin() as conn:
        table = ModelRow.__table__
        conn.execute(
            table.update().where(table.c.name == name).values(created_at=T0 - timedelta(days=1))  # type: ignore[attr-defined]
        )


def _traffic(store: Store, start: datetime, n: int, *, errors: int = 0, wrong: int = 0) -> None:
    recs = [
        PredictionRecord(
            id=f"{start.isoformat()}-{i}",
            timestamp=start + timedelta(seconds=i),
            prediction=1,
            score=0.8,
            latency_ms=float(i % 10),
            error=i < errors,
        )
        for i in range(n)
    ]
    store.ingest_predictions("m", recs)
    store.ingest_labels(
        "m", [LabelRecord(id=r.id, label=0 if i < wrong else 1) for i, r in enumerate(recs)]
    )


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM evaluations")).scalar_one())


def test_closed_windows_are_evaluated_once(store: Store) -> None:
    _model(store)
    _traffic(store, T0, 100, errors=10, wrong=25)
    clock = Clock(T0 + timedelta(hours=1, minutes=5))
    sched = Scheduler(store, ["1h"], backfill=2, clock=clock)
    sched.run_once()
    series = {
        e.metric: e
        for e in store.evaluations.series(store.models.id_of("m"))
        if e.window_start == T0
    }
    assert series["predictions"].value == 100
    assert series["error_rate"].value == pytest.approx(0.10)
    assert series["accuracy"].value == pytest.approx(0.75)
    assert series["label_coverage"].value == 1.0
    assert series["latency_p99_ms"].value == pytest.approx(9.0, abs=0.1)
    assert series["predictions"].window_end == T0 + timedelta(hours=1)
    # the earlier (empty) window is evaluated too, as "no data"
    earlier = [
        e
        for e in store.evaluations.series(store.models.id_of("m"), "error_rate")
        if e.window_end == T0
    ]
    assert earlier and earlier[0].value is None

    n = _count(store)
    _traffic(store, T0 + timedelta(minutes=30), 50)  # late data for a closed window
    sched.run_once()
    sched.run_once()
    assert _count(store) == n  # never evaluated twice
    clock.now += timedelta(hours=1)
    sched.run_once()
    assert _count(store) > n


def _mock_client(log: list[dict[str, Any]], status: int = 200) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        log.append(json.loads(request.content))
        return httpx.Response(status)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_rule_fires_dedups_and_resolves_with_webhooks(store: Store, tmp_path: Path) -> None:
    _model(store)
    received: list[dict[str, Any]] = []
    channel = WebhookChannel(
        WebhookSettings(url="http://hooks.invalid/x"),
        _mock_client(received),
        dead_letter=tmp_path / "dl.jsonl",
        sleep=lambda s: None,
    )
    rule = AlertRuleSettings(name="errors", metric="error_rate", op=">", threshold=0.2)
    engine = AlertEngine(store, [rule], [channel], public_url="https://steward.example")
    clock = Clock(T0 + timedelta(hours=1))
    sched = Scheduler(store, ["1h"], alerts=engine, backfill=1, clock=clock)

    _traffic(store, T0, 10, errors=5)
    sched.run_once()
    assert [n["event"] for n in received] == ["firing"]
    note = received[0]
    assert note["model"] == "m" and note["metric"] == "error_rate" and note["value"] == 0.5
    assert (
        note["threshold"] == 0.2 and note["window"]["end"] == (T0 + timedelta(hours=1)).isoformat()
    )
    assert note["link"] == "https://steward.example/api/v1/alerts?model=m"

    _traffic(store, T0 + timedelta(hours=1), 10, errors=4)  # still bad: refreshed, not resent
    clock.now += timedelta(hours=1)
    sched.run_once()
    assert len(received) == 1
    alerts = store.alerts.list()
    assert len(alerts) == 1 and alerts[0].value == 0.4

    _traffic(store, T0 + timedelta(hours=2), 10, errors=0)
    clock.now += timedelta(hours=1)
    sched.run_once()
    assert [n["event"] for n in received] == ["firing", "resolved"]
    assert store.alerts.list()[0].status == "resolved"

    clock.now += timedelta(hours=1)  # an hour without traffic: its own state
    sched.run_once()
    assert received[-1]["event"] == "firing" and received[-1]["rule"] == "errors/no_data"
    assert received[-1]["value"] is None


def test_for_windows_and_cooldown(store: Store) -> None:
    _model(store)
    rule = AlertRuleSettings(
        name="slow",
        metric="latency_p50_ms",
        op=">=",
        threshold=4.0,
        for_windows=2,
        cooldown_seconds=7200,
        no_data="ignore",
    )
    engine = AlertEngine(store, [rule], [])
    clock = Clock(T0 + timedelta(hours=1))
    sched = Scheduler(store, ["1h"], alerts=engine, backfill=1, clock=clock)
    mid = store.models.id_of("m")
    for hour in range(5):
        _traffic(store, T0 + timedelta(hours=hour), 10)  # p50 latency 4.5 ms every hour
    sched.run_once()
    assert store.alerts.list(model_id=mid) == []  # one breaching window is not enough
    clock.now += timedelta(hours=1)
    sched.run_once()
    [alert] = store.alerts.list(model_id=mid)
    resolved_at = clock.now
    store.alerts.resolve(alert.id, at=resolved_at)
    clock.now = resolved_at + timedelta(hours=1)
    sched.run_once()
    assert len(store.alerts.list(model_id=mid)) == 1  # in cooldown
    clock.now = resolved_at + timedelta(hours=3)
    sched.run_once()
    assert len(store.alerts.list(model_id=mid)) == 2


def test_webhook_retries_then_dead_letters(tmp_path: Path) -> None:
    from modelsteward.server._alerting import Notification
    from modelsteward.store import Alert

    sleeps: list[float] = []
    received: list[dict[str, Any]] = []
    alert = Alert(
        id=1,
        model="m",
        rule="r",
        metric="accuracy",
        severity="critical",
        status="firing",
        version=None,
        value=0.5,
        threshold=0.8,
        message="accuracy low",
        created_at=T0,
        updated_at=T0,
    )
    note = Notification("firing", alert, T0, T0 + timedelta(hours=1), None)
    dl = tmp_path / "dead" / "webhooks.jsonl"
    failing = WebhookChannel(
        WebhookSettings(url="http://hooks.invalid/a", retries=3),
        _mock_client(received, 503),
        dead_letter=dl,
        backoff=0.5,
        sleep=sleeps.append,
    )
    assert failing.send(note) is False
    assert len(received) == 4 and sleeps == [0.5, 1.0, 2.0]
    [dead] = [json.loads(line) for line in dl.read_text().splitlines()]
    assert dead["url"] == "http://hooks.invalid/a" and "503" in dead["error"]
    assert dead["body"]["metric"] == "accuracy"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    down = WebhookChannel(
        WebhookSettings(url="http://hooks.invalid/b", retries=1),
        httpx.Client(transport=httpx.MockTransport(refuse)),
        dead_letter=dl,
        sleep=sleeps.append,
    )
    assert down.send(note) is False
    assert len(dl.read_text().splitlines()) == 2

    slack: list[dict[str, Any]] = []
    ok = WebhookChannel(
        WebhookSettings(url="http://hooks.invalid/s", format="slack"),
        _mock_client(slack),
        dead_letter=dl,
    )
    assert ok.send(note) is True
    assert set(slack[0]) == {"text"} and "accuracy low" in slack[0]["text"]


def test_parse_window_rejects_nonsense() -> None:
    from modelsteward.errors import ParameterError

    assert parse_window("1d") == timedelta(days=1)
    for bad in ("0h", "h", "1w", "-1h"):
        with pytest.raises(ParameterError):
            parse_window(bad)


def test_rules_are_listed_over_the_api(store: Store, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from modelsteward.server import create_app
    from modelsteward.settings import Settings

    settings = Settings(
        home=str(tmp_path),
        migrate_on_start=False,
        evaluation_interval_seconds=0,
        alert_rules=[AlertRuleSettings(name="r", metric="error_rate", op=">", threshold=0.1)],
    )
    with TestClient(create_app(settings, store=store, dev=True)) as client:
        assert client.get("/api/v1/alert-rules").json()[0]["name"] == "r"


def test_rules_created_through_the_api_take_effect(store: Store, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from modelsteward.server import create_app
    from modelsteward.settings import Settings

    _model(store)
    settings = Settings(
        home=str(tmp_path),
        migrate_on_start=False,
        evaluation_interval_seconds=0,
        alert_rules=[AlertRuleSettings(name="toml", metric="error_rate", op=">", threshold=0.9)],
        webhooks=[WebhookSettings(url="http://hooks.invalid/x", retries=0)],
    )
    app = create_app(settings, store=store, dev=True)
    with TestClient(app) as client:
        body = {
            "name": "api-errors",
            "metric": "error_rate",
            "op": ">",
            "threshold": 0.2,
            "model": "m",
        }
        assert client.post("/api/v1/alert-rules", json=body).status_code == 201
        assert client.post("/api/v1/alert-rules", json=body).status_code == 409
        assert client.post("/api/v1/alert-rules", json={**body, "name": "toml"}).status_code == 409
        assert (
            client.post(
                "/api/v1/alert-rules", json={**body, "name": "x", "window": "1w"}
            ).status_code
            == 422
        )
        assert (
            client.post("/api/v1/alert-rules", json={**body, "name": "y", "op": "=="}).status_code
            == 422
        )
        assert (
            client.post(
                "/api/v1/alert-rules", json={**body, "name": "z", "model": "ghost"}
            ).status_code
            == 404
        )
        listed = client.get("/api/v1/alert-rules").json()
        assert [(r["name"], r["source"]) for r in listed] == [
            ("toml", "steward.toml"),
            ("api-errors", "api"),
        ]
        engine = app.state.scheduler.alerts
        engine.channels = []  # no network in tests
        sched = Scheduler(
            store, ["1h"], alerts=engine, backfill=1, clock=Clock(T0 + timedelta(hours=1))
        )
        _traffic(store, T0, 10, errors=5)
        sched.run_once()
        assert [a.rule for a in store.alerts.list()] == ["api-errors"]
        assert client.delete("/api/v1/alert-rules/api-errors").status_code == 204
        assert client.delete("/api/v1/alert-rules/api-errors").status_code == 404


def test_drift_and_data_quality_are_evaluated(store: Store) -> None:
    import json as _json

    import pyarrow as pa

    from modelsteward.profiles import profile_table

    _model(store)
    rng = np.random.default_rng(0)
    ref = profile_table(pa.table({"x": rng.normal(0, 1, 2000)}))
    store.set_reference("m", ref.to_json())
    xs = rng.normal(2, 1, 200)
    recs = [
        PredictionRecord(
            id=f"d{i}",
            timestamp=T0 + timedelta(seconds=i),
            features={"x": None if i % 10 == 0 else float(xs[i])},
        )
        for i in range(200)
    ]
    store.ingest_predictions("m", recs)
    Scheduler(store, ["1h"], backfill=1, clock=Clock(T0 + timedelta(hours=1))).run_once()
    got = {
        e.metric: e.value
        for e in store.evaluations.series(store.models.id_of("m"))
        if e.window_start == T0
    }
    assert got["feature_missing_share"] == pytest.approx(0.1)
    assert got["dataset_drift"] == 1.0 and got["drift_share"] == 1.0
    assert _json.loads(ref.to_json())["rows"] == 2000


def test_each_version_gets_its_own_series(store: Store) -> None:
    _model(store)
    recs = [
        PredictionRecord(
            id=f"v{i}",
            timestamp=T0 + timedelta(seconds=i),
            prediction=1,
            version="v1" if i < 30 else "v2",
            error=i >= 30 and i < 40,
        )
        for i in range(50)
    ]
    store.ingest_predictions("m", recs)
    Scheduler(store, ["1h"], backfill=1, clock=Clock(T0 + timedelta(hours=1))).run_once()
    mid = store.models.id_of("m")
    by_version = {
        e.version: e.value
        for e in store.evaluations.series(mid, "error_rate")
        if e.window_start == T0
    }
    assert by_version == {"": pytest.approx(0.2), "v1": 0.0, "v2": pytest.approx(0.5)}
    counts = {
        e.version: e.value for e in store.evaluations.series(mid, "predictions", version="v2")
    }
    assert counts == {"v2": 20.0}


def test_cbpe_estimates_a_window_without_labels(store: Store) -> None:
    _model(store)
    rng = np.random.default_rng(5)

    def batch(start: datetime, n: int, tag: str, labelled: bool) -> None:
        p = rng.uniform(size=n)
        recs = [
            PredictionRecord(
                id=f"{tag}{i}",
                timestamp=start + timedelta(seconds=i),
                prediction=int(p[i] >= 0.5),
                score=float(p[i]),
            )
            for i in range(n)
        ]
        store.ingest_predictions("m", recs)
        if labelled:
            y = (rng.uniform(size=n) < p).astype(int)
            store.ingest_labels(
                "m", [LabelRecord(id=r.id, label=int(y[i])) for i, r in enumerate(recs)]
            )

    batch(T0 - timedelta(hours=2), 3000, "ref", labelled=True)
    batch(T0, 1000, "cur", labelled=False)
    Scheduler(store, ["1h"], backfill=1, clock=Clock(T0 + timedelta(hours=1))).run_once()
    got = {
        e.metric: e.value
        for e in store.evaluations.series(store.models.id_of("m"))
        if e.window_start == T0 and e.version == ""
    }
    assert got["accuracy"] is None  # no labels yet: no data, not a pass
    assert got["estimated_accuracy"] == pytest.approx(0.75, abs=0.05)
    assert got["estimated_roc_auc"] == pytest.approx(0.83, abs=0.05)


def test_grouped_webhook_gets_one_message_per_window(store: Store, tmp_path: Path) -> None:
    _model(store)
    received: list[dict[str, Any]] = []
    grouped = WebhookChannel(
        WebhookSettings(url="http://hooks.invalid/g", group=True),
        _mock_client(received),
        dead_letter=tmp_path / "dl.jsonl",
    )
    rules = [
        AlertRuleSettings(name="errors", metric="error_rate", op=">", threshold=0.2),
        AlertRuleSettings(name="slow", metric="latency_p99_ms", op=">", threshold=1.0),
    ]
    engine = AlertEngine(store, rules, [grouped])
    _traffic(store, T0, 10, errors=5)
    Scheduler(
        store, ["1h"], alerts=engine, backfill=1, clock=Clock(T0 + timedelta(hours=1))
    ).run_once()
    assert len(received) == 1
    assert received[0]["model"] == "m"
    assert sorted(a["rule"] for a in received[0]["alerts"]) == ["errors", "slow"]
