from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelsteward.rollout import (
    Gateway,
    Guardrails,
    InMemoryEventLog,
    InMemoryModelProvider,
    InMemorySink,
    ManualClock,
    ModelSpec,
    RolloutPolicy,
    create_gateway_app,
)

Rows = list[Mapping[str, Any]]


def v1(rows: Rows) -> list[int]:
    return [int(r["a"] + r["b"] > 0) for r in rows]


def v2(rows: Rows) -> list[int]:
    return [int(r["a"] + r["b"] > 0.1) for r in rows]


def boom(rows: Rows) -> list[int]:
    raise RuntimeError("weights corrupted")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def gateway(
    versions: dict[str, Any],
    *,
    champion: str = "v1",
    previous: str | None = None,
    candidate: str | None = None,
    policy: RolloutPolicy | None = None,
    sink: InMemorySink | None = None,
    events: InMemoryEventLog | None = None,
    clock: ManualClock | None = None,
    shadow_queue: int = 64,
    **spec: Any,
) -> Gateway:
    provider = InMemoryModelProvider(versions, aliases={"champion": champion})
    ms = ModelSpec(
        "churn",
        ["a", "b"],
        provider,
        "champion",
        previous=previous,
        candidate=candidate,
        policy=policy or RolloutPolicy(shadow=False, min_hold_s=60, min_samples=50),
        **spec,
    )
    return Gateway(
        [ms], sink=sink, events=events, clock=clock or ManualClock(1e9), shadow_queue=shadow_queue
    )


def test_predict_single_and_batch_are_logged_like_sdk_traffic() -> None:
    sink = InMemorySink()
    gw = gateway({"v1": v1}, sink=sink)
    with TestClient(create_gateway_app(gw, run_checks=False)) as client:
        r = client.post("/predict/churn", json={"features": {"a": 1.0, "b": 0.5}, "id": "r1"})
        assert r.status_code == 200
        body = r.json()
        assert body["prediction"] == 1 and body["version"] == "v1" and body["id"] == "r1"
        assert body["arm"] == "baseline" and body["link"] == "champion" and "fallback" not in body
        r = client.post("/predict/churn", json={"features": [{"a": -1, "b": 0}, {"a": 2, "b": 0}]})
        batch = r.json()
        assert batch["predictions"] == [0, 1] and len(batch["ids"]) == 2
    assert [rec.request_id for rec in sink.records][:1] == ["r1"]
    assert len(sink.records) == 3 and all(rec.version == "v1" for rec in sink.records)
    assert sink.records[1].features == {"a": -1, "b": 0} and not sink.records[1].error
    gw.close()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"features": {"a": 1.0}}, "missing features ['b']"),
        ({"features": {"a": 1.0, "b": 2.0, "c": 3}}, "unexpected features ['c']"),
        ({"features": [{"a": 1, "b": 2}, {"a": 1}]}, "(row 1)"),
        ({"features": []}, "empty batch"),
        ({"features": 3}, "must be an object"),
        ({"feature": {"a": 1, "b": 2}}, "needs 'features'"),
        ({"features": {"a": 1, "b": 2}, "key": 5}, "must be strings"),
        ([1, 2], "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("fast_path", [True, False])
def test_bad_requests_are_422_naming_the_problem(body: Any, needle: str, fast_path: bool) -> None:
    gw = gateway({"v1": v1})
    with TestClient(create_gateway_app(gw, run_checks=False, fast_path=fast_path)) as client:
        r = client.post("/predict/churn", json=body)
        assert r.status_code == 422, r.text
        assert needle in r.json()["detail"]
        if needle.startswith("missing"):
            assert r.json()["missing"] == ["b"]
        r = client.post(
            "/predict/churn", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
        assert client.post("/predict/nope", json={"features": {}}).status_code == 404
    gw.close()


def test_raising_model_falls_back_and_opens_the_breaker() -> None:
    sink = InMemorySink()
    gw = gateway({"v1": v1, "v2": boom}, champion="v2", previous="v1", sink=sink, default=0)
    with TestClient(create_gateway_app(gw, run_checks=False)) as client:
        for i in range(6):
            r = client.post("/predict/churn", json={"features": {"a": 1, "b": 1}, "id": f"r{i}"})
            assert r.status_code == 200
            body = r.json()
            assert (
                body["prediction"] == 1 and body["version"] == "v1" and body["link"] == "previous"
            )
        assert body["fallback"] == [{"link": "champion", "reason": "circuit open"}]
        status = client.get("/rollout/churn").json()
        assert status["breakers"]["v2"] == {"state": "open", "opens": 1, "closes": 0}
        metrics = client.get("/metrics").text
    assert len(sink.records) == 6 and all(r.error and r.version == "v1" for r in sink.records)
    assert (
        'steward_gateway_breaker_transitions_total{model="churn",role="champion",to="open"} 1'
        in metrics
    )
    assert 'steward_gateway_errors_total{model="churn",arm="baseline"} 6' in metrics
    assert (
        'steward_gateway_requests_total{model="churn",arm="baseline",link="previous"} 6' in metrics
    )
    gw.close()


def test_hanging_model_times_out_and_constant_default_serves(release: threading.Event) -> None:
    def hang(rows: Rows) -> list[int]:
        release.wait(5)
        return v1(rows)

    sink = InMemorySink()
    gw = gateway({"v1": hang}, timeout_s=0.1, default=-1, sink=sink)
    with TestClient(create_gateway_app(gw, run_checks=False)) as client:
        body = client.post("/predict/churn", json={"features": {"a": 1, "b": 1}}).json()
    assert body["prediction"] == -1 and body["link"] == "default" and body["version"] == "default"
    assert body["fallback"][0]["reason"].startswith("timeout after 0.1")
    assert len(sink.records) == 1 and sink.records[0].prediction == -1
    gw.close()


def test_no_link_left_is_503_not_500() -> None:
    gw = gateway({"v1": boom})
    with TestClient(create_gateway_app(gw, run_checks=False)) as client:
        r = client.post("/predict/churn", json={"features": {"a": 1, "b": 1}})
        assert r.status_code == 503 and "RuntimeError: weights corrupted" in r.json()["detail"]
    gw.close()


def test_canary_split_is_sticky_and_near_the_declared_share() -> None:
    gw = gateway({"v1": v1, "v2": v2}, candidate="v2")
    assert gw.status("churn")["state"] == "canary"
    arms = [gw.predict("churn", {"a": 0.0, "b": 0.05}, key=f"user-{i}")["arm"] for i in range(4000)]
    share = np.mean([a == "candidate" for a in arms])
    assert 0.04 < share < 0.06
    again = [gw.predict("churn", {"a": 0.0, "b": 0.05}, key=f"user-{i}")["arm"] for i in range(200)]
    assert again == arms[:200]
    served = gw.predict(
        "churn",
        {"a": 0.0, "b": 0.05},
        key=next(f"user-{i}" for i, a in enumerate(arms) if a == "candidate"),
    )
    assert served["version"] == "v2" and served["link"] == "candidate" and served["prediction"] == 0
    gw.close()


def test_failing_candidate_falls_back_to_champion_and_is_rolled_back() -> None:
    events, clock = InMemoryEventLog(), ManualClock(1e9)
    gw = gateway(
        {"v1": v1, "v2": boom},
        candidate="v2",
        events=events,
        clock=clock,
        policy=RolloutPolicy(shadow=False, steps=(50, 100), min_samples=20, check_interval_s=10),
    )
    for round_ in range(3):
        for i in range(200):
            body = gw.predict("churn", {"a": 1, "b": 1}, key=f"{round_}-{i}")
            assert body["version"] == "v1"  # nothing lost: the champion answers
        clock.advance(10)
        gw.tick()
    assert gw.status("churn")["state"] == "rolled_back"
    rolled = dict(events.events)["rolled_back"]
    assert (
        rolled["rejected"] == "v2"
        and rolled["evidence"]["guardrails"]["error_rate"]["verdict"] == "fail"
    )
    assert gw.predict("churn", {"a": 1, "b": 1}, key="x")["arm"] == "baseline"
    gw.close()


def test_shadow_never_slows_the_response_and_drops_when_full(release: threading.Event) -> None:
    def slow(rows: Rows) -> list[int]:
        release.wait(5)
        return v1(rows)

    gw = gateway(
        {"v1": v1, "v2": slow},
        candidate="v2",
        shadow_queue=4,
        timeout_s=5.0,
        policy=RolloutPolicy(shadow=True, min_samples=20),
    )
    assert gw.status("churn")["state"] == "shadow"
    t0 = time.perf_counter()
    for i in range(50):
        body = gw.predict("churn", {"a": 1, "b": 1}, key=str(i))
        assert body["version"] == "v1" and body["arm"] == "baseline"
    assert time.perf_counter() - t0 < 2.0  # 50 requests while the shadow hangs
    assert gw.shadow.dropped >= 40 and gw.shadow.submitted + gw.shadow.dropped == 50
    release.set()
    assert gw.shadow.drain(5.0)
    gw.close()


def test_shadow_compares_outputs_latency_and_errors() -> None:
    clock = ManualClock(1e9)
    events = InMemoryEventLog()
    gw = gateway(
        {"v1": v1, "v2": v2},
        candidate="v2",
        clock=clock,
        events=events,
        shadow_queue=10_000,
        policy=RolloutPolicy(
            shadow=True,
            min_samples=100,
            min_hold_s=60,
            check_interval_s=60,
            agreement_tolerance=0.2,
            # sub-millisecond latencies jitter with the machine's load; this test is
            # about agreement, the latency guardrail has tests of its own
            guardrails=Guardrails(latency_tail=0.5),
        ),
    )
    rng = np.random.default_rng(0)
    for i, (a, b) in enumerate(rng.normal(0, 1, (600, 2))):
        gw.predict("churn", {"a": float(a), "b": float(b)}, key=str(i))
    assert gw.shadow.drain(10.0)
    clock.advance(60)
    gw.tick()
    assert gw.status("churn")["state"] == "canary"
    ev = dict(events.events)["canary_step"]["evidence"]
    assert 0.9 < ev["agreement_rate"] < 1.0 and ev["mean_abs_diff"] > 0
    assert ev["guardrails"]["disagreement"]["verdict"] == "pass"
    metrics = gw.metrics.render()
    assert 'steward_gateway_requests_total{model="churn",arm="shadow",link="candidate"} 600' in (
        metrics
    )
    gw.close()


def test_approval_route_promotes_a_high_risk_model_with_token() -> None:
    clock, events = ManualClock(1e9), InMemoryEventLog()
    gw = gateway(
        {"v1": v1, "v2": v1},
        candidate="v2",
        clock=clock,
        events=events,
        policy=RolloutPolicy(
            shadow=False, steps=(50, 100), min_samples=50, min_hold_s=0, high_risk=True
        ),
    )
    rollout = gw.models["churn"].rollout
    rollout.record_many("baseline", errors=np.zeros(5000), latency_ms=np.ones(5000))
    rollout.record_many("candidate", errors=np.zeros(5000), latency_ms=np.ones(5000))
    assert rollout.check().action == "await_approval"
    with TestClient(create_gateway_app(gw, token="s3cret", run_checks=False)) as client:
        url = "/rollout/churn/approve"
        payload = {"actor": "alice", "reason": "evidence reviewed"}
        assert client.post(url, json=payload).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert client.post(url, json={"actor": "alice"}, headers=auth).status_code == 422
        r = client.post(url, json=payload, headers=auth)
        assert r.status_code == 200 and r.json()["state"] == "promoted"
        assert client.post(url, json=payload, headers=auth).status_code == 409
        body = client.post("/predict/churn", json={"features": {"a": 1, "b": 1}}).json()
        assert body["version"] == "v2" and body["link"] == "champion"
        assert client.get("/rollout/churn").json()["previous"] == "v1"
        r = client.post("/rollout/churn/start", json={"candidate": "v1"}, headers=auth)
        assert r.status_code == 200 and r.json()["state"] == "canary"
        r = client.post("/rollout/churn/rollback", json=payload, headers=auth)
        assert r.json()["state"] == "rolled_back"
        assert (
            client.post("/rollout/churn/start", json={"candidate": "v9"}, headers=auth).status_code
            == 422
        )
        assert client.get("/healthz").json() == {"status": "ok", "models": ["churn"]}
    assert dict(events.events)["approved"]["actor"] == "alice"
    gw.close()


def test_labels_join_canary_requests() -> None:
    gw = gateway({"v1": v1, "v2": v2}, candidate="v2")
    with TestClient(create_gateway_app(gw, run_checks=False)) as client:
        client.post("/predict/churn", json={"features": {"a": 1, "b": 1}, "id": "q1"})
        assert client.post("/label/churn", json={"id": "q1", "label": 1}).json() == {
            "matched": True
        }
        assert client.post("/label/churn", json={"id": "q1", "label": 1}).json() == {
            "matched": False
        }
        assert client.post("/label/churn", json={"label": 1}).status_code == 422
    gw.close()


def test_metrics_histogram_and_background_checks() -> None:
    gw = gateway({"v1": v1})
    with TestClient(create_gateway_app(gw, run_checks=True, check_every_s=0.01)) as client:
        client.post("/predict/churn", json={"features": {"a": 1, "b": 1}})
        text = client.get("/metrics").text
    assert 'steward_gateway_request_duration_seconds_count{model="churn",arm="baseline"} 1' in text
    assert '_bucket{model="churn",arm="baseline",le="+Inf"} 1' in text
    assert 'steward_gateway_state{model="churn",what="canary_percent"} 0' in text
    gw.close()


@pytest.mark.parametrize("fast_path", [True, False])
def test_fast_path_and_fastapi_route_answer_alike(fast_path: bool) -> None:
    gw = gateway({"v1": v1, "v2": boom}, champion="v2", previous="v1")
    with TestClient(create_gateway_app(gw, run_checks=False, fast_path=fast_path)) as client:
        r = client.post("/predict/churn", json={"features": {"a": 1, "b": 0}, "id": "x"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        body = r.json()
        body.pop("latency_ms")
        assert body == {
            "model": "churn",
            "version": "v1",
            "arm": "baseline",
            "link": "previous",
            "id": "x",
            "prediction": 1,
            "fallback": [{"link": "champion", "reason": "RuntimeError: weights corrupted"}],
        }
        assert client.get("/predict/churn").status_code == 405
        big = {"features": {"a": 1, "b": "x" * (9 * 1024 * 1024)}}
        assert client.post("/predict/churn", json=big).status_code == 413 or not fast_path
        assert client.post("/predict/a%20b", json={"features": {}}).status_code == 404
    gw.close()


def test_hanging_champion_opens_its_breaker_and_stops_being_called(
    release: threading.Event,
) -> None:
    calls = {"n": 0}

    def hang(rows: Rows) -> list[int]:
        calls["n"] += 1
        release.wait(5)
        return v1(rows)

    events = InMemoryEventLog()
    gw = gateway({"v1": v1, "v2": hang}, champion="v2", previous="v1", timeout_s=0.1, events=events)
    answers = [gw.predict("churn", {"a": 1, "b": 1}) for _ in range(10)]
    assert all(a["version"] == "v1" and a["prediction"] == 1 for a in answers)
    assert calls["n"] == 3  # three timeouts open the breaker; later calls skip the link
    assert answers[-1]["fallback"] == [{"link": "champion", "reason": "circuit open"}]
    opened = dict(events.events)["breaker_opened"]
    assert opened == {"model": "churn", "version": "v2", "role": "champion"}
    gw.close()


def test_public_surface() -> None:
    import modelsteward.rollout as rollout

    for name in rollout.__all__:
        assert hasattr(rollout, name), name
    assert sorted(rollout.__all__) == rollout.__all__ or len(set(rollout.__all__)) == len(
        rollout.__all__
    )
