from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from modelsteward.errors import InputError
from modelsteward.retrain import (
    EVENT_TYPE,
    AllHistory,
    Decision,
    DriftTrigger,
    GateConfig,
    InMemoryRegistry,
    InProcessRunner,
    ManualClock,
    MemoryAuditSink,
    Reason,
    RetrainJob,
    RetrainLoop,
    RetrainPolicy,
    Signals,
    WebhookError,
    WebhookSender,
    parse_retrain_event,
    retrain_event,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = (T0, T0 + timedelta(days=1))
DECISION = Decision(
    True,
    (
        Reason("drift", "dataset drift", "drift@w", {"drift_share": 0.6, "p": float("nan")}),
        Reason("performance", "accuracy < 0.8", None, {"value": 0.71}),
    ),
)


def test_event_is_cloudevents_shaped() -> None:
    e = retrain_event(
        DECISION, model="churn", source="https://steward.example/api", window=WINDOW, time=T0
    )
    assert set(e) == {
        "specversion",
        "type",
        "source",
        "id",
        "time",
        "subject",
        "datacontenttype",
        "data",
    }
    assert e["specversion"] == "1.0" and e["type"] == EVENT_TYPE
    assert e["time"] == "2026-03-01T00:00:00Z" and e["datacontenttype"] == "application/json"
    assert e["data"]["model"] == "churn"
    assert e["data"]["window"] == {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}
    assert [r["kind"] for r in e["data"]["reasons"]] == ["drift", "performance"]
    assert e["data"]["evidence"]["drift"] == {"drift_share": 0.6, "p": None}
    json.dumps(e, allow_nan=False)  # strict JSON


def test_event_id_is_stable_for_the_same_request() -> None:
    a = retrain_event(DECISION, model="churn", source="s", window=WINDOW, time=T0)
    b = retrain_event(
        DECISION, model="churn", source="s", window=WINDOW, time=T0 + timedelta(hours=1)
    )
    c = retrain_event(DECISION, model="price", source="s", window=WINDOW, time=T0)
    assert a["id"] == b["id"] != c["id"]
    d1 = retrain_event(DECISION, model="churn", source="s", time=T0)
    d2 = retrain_event(DECISION, model="churn", source="s", time=T0)
    assert d1["id"] != d2["id"] and d1["data"]["window"] is None
    assert retrain_event(DECISION, model="m", source="s", event_id="x1")["id"] == "x1"


def test_parse_round_trip_and_errors() -> None:
    e = retrain_event(DECISION, model="churn", source="s", window=WINDOW, time=T0)
    assert parse_retrain_event(json.dumps(e)) == e
    assert parse_retrain_event(json.dumps(e).encode()) == e
    for bad, message in [
        ("{not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ({**e, "specversion": "0.3"}, "specversion"),
        ({**e, "type": "com.example.other"}, "type is"),
        ({**e, "id": ""}, "no 'id'"),
        ({**e, "data": {"reasons": []}}, "'model'"),
        ({**e, "data": {"model": "m", "reasons": "x"}}, "must be a list"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_retrain_event(bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="timezone-aware"):
        retrain_event(DECISION, model="m", source="s", time=datetime(2026, 1, 1))


def test_sender_posts_structured_mode() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sender = WebhookSender(
        "https://orchestrator.example/hooks/retrain",
        client=client,
        headers={"Authorization": "Bearer t0ken"},
    )
    event = retrain_event(DECISION, model="churn", source="s", window=WINDOW, time=T0)
    assert sender(event) == 202
    (request,) = seen
    assert request.method == "POST" and request.url.path == "/hooks/retrain"
    assert request.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
    assert request.headers["authorization"] == "Bearer t0ken"
    assert parse_retrain_event(request.content) == event


def test_sender_errors() -> None:
    failing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500, text="no")))
    with pytest.raises(WebhookError, match="answered 500: no"):
        WebhookSender("https://x.example/h", client=failing)({"id": "1"})

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(WebhookError, match="ConnectError"):
        WebhookSender("https://x.example/h", client=down)({"id": "1"})


def loop_for(clock: ManualClock, audit: MemoryAuditSink) -> RetrainLoop:
    return RetrainLoop(
        RetrainJob(
            model="churn",
            entry_point="m:f",
            label="y",
            strategy=AllHistory(),
            gate=GateConfig(task="classification"),
        ),
        policy=RetrainPolicy(triggers=(DriftTrigger(),), cooldown=timedelta(hours=6)),
        runner=InProcessRunner(),
        registry=InMemoryRegistry(),
        audit=audit,
        clock=clock,
    )


def test_loop_hands_the_trigger_to_an_orchestrator() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200)

    clock, audit = ManualClock(T0), MemoryAuditSink()
    loop = loop_for(clock, audit)
    sender = WebhookSender(
        "https://o.example/h", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    signals = Signals(now=T0, drift={"dataset_drift": True, "drift_share": 0.7}, window=WINDOW)
    record = loop.request_external(signals, sender, source="/steward/prod")
    assert record.status == "requested" and record.event == bodies[0]
    assert bodies[0]["source"] == "/steward/prod"
    assert audit.actions() == ["retrain.decided", "retrain.requested"]
    assert audit.entries[-1]["details"]["event_id"] == bodies[0]["id"]
    # cooldown applies to requests, and the same window again is one request
    clock.advance(timedelta(hours=1))
    other = Signals(now=T0, drift={"dataset_drift": True}, window=(WINDOW[1], WINDOW[1]))
    assert loop.request_external(other, sender, source="s").decision.blocked_by == "cooldown"
    clock.advance(timedelta(hours=6))
    assert loop.request_external(signals, sender, source="s").decision.blocked_by == "duplicate"
    assert len(bodies) == 1


def test_failed_delivery_is_audited_and_retried_later() -> None:
    clock, audit = ManualClock(T0), MemoryAuditSink()
    loop = loop_for(clock, audit)
    down = WebhookSender(
        "https://o.example/h",
        client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
    )
    signals = Signals(now=T0, drift={"dataset_drift": True}, window=WINDOW)
    with pytest.raises(WebhookError):
        loop.request_external(signals, down, source="s")
    assert audit.actions()[-1] == "retrain.failed" and loop.state.in_flight is None
    clock.advance(timedelta(hours=6))
    ok = WebhookSender(
        "https://o.example/h",
        client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204))),
    )
    assert loop.request_external(signals, ok, source="s").status == "requested"
