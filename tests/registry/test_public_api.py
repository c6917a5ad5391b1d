from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "package",
    [
        "modelsteward.registry",
        "modelsteward.governance",
        "modelsteward.governance.audit",
        "modelsteward.store.audit",
        "modelsteward.store.registry",
    ],
)
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is exported but missing"


def test_registry_surface() -> None:
    import modelsteward.registry as r

    for name in (
        "Registry",
        "RegistryModelProvider",
        "LoadedModel",
        "ModelVersion",
        "AliasMove",
        "ArtifactError",
        "UntrustedArtifactError",
        "SchemaMismatchError",
        "ConflictError",
        "NotFoundError",
        "RegistryStateError",
    ):
        assert name in r.__all__


def test_rollout_event_log_protocol_is_satisfied() -> None:
    rollout = pytest.importorskip("modelsteward.rollout")
    from modelsteward.store import Store
    from modelsteward.store.audit import AuditEventLog, AuditRepository

    store = Store("sqlite://")
    store.upgrade()
    events = AuditEventLog(AuditRepository(store.engine))
    assert isinstance(events, rollout.EventLog)
