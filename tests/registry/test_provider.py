"""Serving through the registry: the rollout gateway's ModelProvider, rows in, values out."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from modelsteward.errors import SchemaError
from modelsteward.governance import AuditLog
from modelsteward.registry import Registry, RegistryModelProvider, RegistryStateError


def test_provider_serves_aliases_and_follows_moves(
    registry: Registry, fitted: Any, training: pd.DataFrame
) -> None:
    registry.register("machines", fitted, flavor="sklearn", training_data=training)
    registry.register("machines", "tests.registry._callables:double", flavor="callable")
    registry.promote("machines", "1", reason="first")
    now = [0.0]
    provider = RegistryModelProvider(
        registry, "machines", trust=True, alias_ttl=5.0, clock=lambda: now[0]
    )
    rows = training[["temperature", "vibration"]].head(5).to_dict("records")
    served = provider.get("champion")(rows)
    assert served == fitted.predict(pd.DataFrame(rows)).tolist()
    assert all(isinstance(v, int) for v in served)
    with pytest.raises(SchemaError, match="row 1 lacks the feature"):
        provider.get("champion")([rows[0], {"temperature": 1.0}])

    registry.promote("machines", "2", reason="rules are better")
    assert provider.resolve("champion") == "1"  # cached until the TTL passes
    now[0] = 6.0
    assert provider.resolve("champion") == "2"
    assert provider.get("champion")([1, 2]) == [2.0, 4.0]
    assert provider.get("1")(rows[:1]) == served[:1]


def test_rollback_and_promotion_keep_evidence(registry: Registry, store: Any) -> None:
    for _ in range(2):
        registry.register("m", "math:floor", flavor="callable")
    registry.promote("m", "1", reason="x", evidence={"accuracy": 0.91})
    registry.promote("m", "2", reason="y")
    registry.rollback(
        "m",
        reason="guardrail failed 3 times",
        actor="gateway",
        evidence={"p99_ms": {"baseline": 20, "canary": 95}, "checks_failed": 3},
    )
    entries = AuditLog(store).entries(subject="m")
    assert entries[2].details["evidence"] == {"accuracy": 0.91}
    assert "evidence" not in entries[3].details
    assert entries[-1].action == "registry.rollback"
    assert entries[-1].details["evidence"]["checks_failed"] == 3


def test_default_version_skips_rejected(registry: Registry) -> None:
    registry.register("m", "math:floor", flavor="callable")
    registry.register("m", "math:ceil", flavor="callable", rejected_reason="gate failed")
    assert registry.get("m").version == "1"
    registry.reject("m", "1", reason="bias")
    with pytest.raises(RegistryStateError, match="Every version"):
        registry.load("m")
