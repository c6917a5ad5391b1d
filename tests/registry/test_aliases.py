"""Aliases with history, rollback, schema checks, and concurrent moves (one wins, both audited)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from modelsteward.errors import ParameterError
from modelsteward.governance import AuditLog
from modelsteward.registry import (
    ConflictError,
    NotFoundError,
    Registry,
    RegistryStateError,
    SchemaMismatchError,
)

SCHEMA = {"temperature": "numeric", "vibration": "numeric", "machine": "categorical"}


def _versions(registry: Registry, n: int, model: str = "m") -> None:
    for _ in range(n):
        registry.register(model, "math:floor", flavor="callable", input_schema=SCHEMA, actor="ci")


def test_alias_moves_keep_full_history(registry: Registry, store: Any) -> None:
    _versions(registry, 3)
    registry.set_alias("m", "champion", "1", reason="first", actor="ann")
    registry.set_alias("m", "shadow", "2", reason="try it", actor="ann")
    registry.set_alias("m", "champion", "2", reason="better recall", actor="bob", expected="1")
    registry.remove_alias("m", "shadow", reason="promoted", actor="bob")
    registry.set_alias("m", "my-canary", "3", reason="custom alias", actor="eve")
    assert registry.aliases("m") == {"champion": "2", "my-canary": "3"}
    history = registry.history("m")
    assert [
        (h.alias, h.from_version, h.to_version, h.kind, h.actor, h.reason) for h in history
    ] == [
        ("champion", None, "1", "move", "ann", "first"),
        ("shadow", None, "2", "move", "ann", "try it"),
        ("champion", "1", "2", "move", "bob", "better recall"),
        ("shadow", "2", None, "remove", "bob", "promoted"),
        ("my-canary", None, "3", "move", "eve", "custom alias"),
    ]
    assert [h.to_version for h in registry.history("m", alias="champion")] == ["1", "2"]
    assert all(h.ts.tzinfo is not None and h.audit_seq for h in history)
    statuses = {v.version: v.status for v in registry.versions("m")}
    assert statuses == {"1": "archived", "2": "champion", "3": "registered"}
    assert registry.get("m").version == "2" and registry.get("m", alias="my-canary").version == "3"
    assert registry.get("m", "2").aliases == ("champion",)
    audit = AuditLog(store)
    moves = audit.entries(subject="m", action="registry.alias_move")
    assert len(moves) == 4 and moves[2].details == {
        "alias": "champion",
        "from": "1",
        "to": "2",
        "kind": "move",
        "reason": "better recall",
    }
    assert [h.audit_seq for h in history] == [
        e.seq for e in audit.entries(subject="m") if e.action.startswith("registry.alias")
    ]
    assert audit.verify().ok


def test_rollback_walks_back_through_champions(registry: Registry, store: Any) -> None:
    _versions(registry, 4)
    for v in ("1", "2", "3"):
        registry.promote("m", v, reason=f"promote {v}", actor="loop")
    move = registry.rollback("m", reason="error rate up", actor="gateway")
    assert (move.from_version, move.to_version, move.kind) == ("3", "2", "rollback")
    assert registry.get("m", "3").status == "archived"
    assert registry.get("m", "3").status_reason == "rolled back: error rate up"
    assert registry.get("m", "2").status == "champion"
    assert registry.rollback("m", reason="again", actor="gateway").to_version == "1"
    with pytest.raises(RegistryStateError, match="no previous champion"):
        registry.rollback("m", reason="once more", actor="gateway")
    registry.promote("m", "4", reason="new model", actor="loop")
    assert registry.rollback("m", reason="bad", actor="gateway").to_version == "1"
    rollbacks = AuditLog(store).entries(action="registry.rollback")
    assert [(e.details["from"], e.details["to"], e.actor) for e in rollbacks] == [
        ("3", "2", "gateway"),
        ("2", "1", "gateway"),
        ("4", "1", "gateway"),
    ]


def test_rollback_skips_rejected_versions(registry: Registry) -> None:
    _versions(registry, 3)
    for v in ("1", "2", "3"):
        registry.promote("m", v, reason="x", actor="loop")
    registry.reject("m", "2", reason="bias found later", evidence={"gap": 0.2}, actor="risk")
    assert registry.get("m", "2").evidence == {"gap": 0.2}
    assert registry.rollback("m", reason="bad", actor="loop").to_version == "1"


def test_alias_rules(registry: Registry) -> None:
    _versions(registry, 2)
    with pytest.raises(RegistryStateError, match="no champion"):
        registry.rollback("m", reason="x")
    registry.reject("m", "2", reason="failed gate", evidence={"p_value": 0.4})
    with pytest.raises(RegistryStateError, match="was rejected"):
        registry.promote("m", "2", reason="x")
    registry.promote("m", "1", reason="x")
    with pytest.raises(RegistryStateError, match="already"):
        registry.promote("m", "1", reason="x")
    with pytest.raises(RegistryStateError, match="holds the alias"):
        registry.reject("m", "1", reason="x")
    with pytest.raises(ParameterError, match="reason"):
        registry.set_alias("m", "shadow", "1", reason=" ")
    with pytest.raises(ParameterError, match="alias"):
        registry.set_alias("m", "bad alias", "1", reason="x")
    with pytest.raises(NotFoundError, match="no version '7'"):
        registry.set_alias("m", "shadow", "7", reason="x")
    with pytest.raises(NotFoundError, match="No registered model"):
        registry.set_alias("nope", "shadow", "1", reason="x")
    with pytest.raises(NotFoundError, match="no alias"):
        registry.get("m", alias="shadow")
    with pytest.raises(ConflictError, match="version label"):
        registry.register("m", "math:floor", flavor="callable", version="1")


def test_stale_expected_version_is_a_conflict_and_audited(registry: Registry, store: Any) -> None:
    _versions(registry, 3)
    registry.promote("m", "1", reason="x", actor="a")
    registry.promote("m", "2", reason="y", actor="b")
    with pytest.raises(ConflictError, match="points to version 2 now, not version 1"):
        registry.promote("m", "3", reason="z", actor="c", expected="1")
    with pytest.raises(ConflictError, match="nothing \\(unset\\)"):
        registry.set_alias("m", "shadow", "3", reason="z", actor="c", expected="2")
    assert registry.aliases("m") == {"champion": "2"}
    conflicts = AuditLog(store).entries(action="registry.alias_conflict")
    assert [(e.actor, e.details["expected"], e.details["actual"]) for e in conflicts] == [
        ("c", "1", "2"),
        ("c", "2", None),
    ]


def test_concurrent_alias_moves_one_wins_both_audited(registry: Registry, store: Any) -> None:
    _versions(registry, 1 + 2 * 4)
    registry.promote("m", "1", reason="start", actor="setup")
    current = "1"
    for round_ in range(4):
        candidates = [str(2 + 2 * round_), str(3 + 2 * round_)]
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def mover(
            version: str,
            expected: str = current,
            barrier: threading.Barrier = barrier,
            results: dict[str, object] = results,
        ) -> None:
            barrier.wait()
            try:
                results[version] = registry.promote(
                    "m",
                    version,
                    reason=f"candidate {version}",
                    actor=f"worker-{version}",
                    expected=expected,
                )
            except ConflictError as exc:
                results[version] = exc

        threads = [threading.Thread(target=mover, args=(v,)) for v in candidates]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [v for v, r in results.items() if not isinstance(r, Exception)]
        losers = [v for v, r in results.items() if isinstance(r, ConflictError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert registry.aliases("m")["champion"] == winners[0]
        audit = AuditLog(store)
        won = audit.entries(action="registry.alias_move")[-1]
        lost = audit.entries(action="registry.alias_conflict")[-1]
        assert (won.actor, won.details["from"], won.details["to"]) == (
            f"worker-{winners[0]}",
            current,
            winners[0],
        )
        assert (lost.actor, lost.details["attempted"], lost.details["actual"]) == (
            f"worker-{losers[0]}",
            losers[0],
            winners[0],
        )
        current = winners[0]
    assert len(registry.history("m", alias="champion")) == 5
    assert AuditLog(store).verify().ok


def test_concurrent_registrations_get_distinct_numbers(registry: Registry, store: Any) -> None:
    errors: list[BaseException] = []

    def register() -> None:
        try:
            for _ in range(3):
                registry.register("m", "math:floor", flavor="callable", actor="w")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [v.number for v in registry.versions("m")] == list(range(1, 13))
    assert AuditLog(store).verify().ok


def test_schema_mismatch_with_the_champion(registry: Registry, store: Any) -> None:
    _versions(registry, 1)
    registry.promote("m", "1", reason="x")
    other = {"temperature": "numeric", "pressure": "numeric", "machine": "numeric"}
    with pytest.raises(SchemaMismatchError) as caught:
        registry.register("m", "math:ceil", flavor="callable", input_schema=other, actor="ci")
    message = str(caught.value)
    assert "missing columns vibration" in message and "extra columns pressure" in message
    assert "machine (categorical -> numeric)" in message
    assert caught.value.diff == {
        "missing": ["vibration"],
        "extra": ["pressure"],
        "changed": {"machine": ["categorical", "numeric"]},
    }
    assert [v.version for v in registry.versions("m")] == ["1"]
    refused = AuditLog(store).entries(action="registry.register_refused")
    assert len(refused) == 1 and refused[0].details["schema_diff"] == caught.value.diff

    rejected = registry.register(
        "m", "math:ceil", flavor="callable", input_schema=other, on_schema_mismatch="reject"
    )
    assert rejected.status == "rejected" and "missing columns vibration" in (
        rejected.status_reason or ""
    )
    assert rejected.evidence == {"schema_diff": caught.value.diff}
    assert AuditLog(store).entries(action="registry.reject")[-1].details["version"] == "2"
    allowed = registry.register(
        "m", "math:ceil", flavor="callable", input_schema=other, on_schema_mismatch="allow"
    )
    assert allowed.status == "registered"
    same_order_changed = dict(reversed(list(SCHEMA.items())))
    assert (
        registry.register(
            "m", "math:ceil", flavor="callable", input_schema=same_order_changed
        ).status
        == "registered"
    )


def test_rejected_at_registration_with_evidence(registry: Registry, store: Any) -> None:
    v = registry.register(
        "m",
        "math:floor",
        flavor="callable",
        rejected_reason="failed the gate",
        evidence={"mcnemar_p": 0.41, "accuracy": {"champion": 0.9, "candidate": 0.88}},
        actor="retrain",
    )
    assert v.status == "rejected" and v.status_reason == "failed the gate"
    entry = AuditLog(store).entries(action="registry.reject")[0]
    assert entry.details["evidence"]["mcnemar_p"] == 0.41 and entry.actor == "retrain"


def test_monitored_model_gets_the_version_label(registry: Registry, store: Any) -> None:
    store.models.create("churn", "binary")
    registry.register("churn", "math:floor", flavor="callable", version="v1")
    assert store.models.get("churn").versions == ("v1",)


def test_models_listing(registry: Registry) -> None:
    _versions(registry, 2, "a")
    _versions(registry, 1, "b")
    registry.promote("a", "2", reason="x")
    listing = [m.to_dict() for m in registry.models()]
    assert listing == [
        {"name": "a", "versions": 2, "latest": "2", "aliases": {"champion": "2"}},
        {"name": "b", "versions": 1, "latest": "1", "aliases": {}},
    ]
