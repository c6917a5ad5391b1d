"""Import from a real MLflow model registry: a SQLite tracking store in a temporary folder,
models logged the way MLflow users log them (``mlflow.sklearn.log_model``, ``mlflow.onnx``,
a version made with ``MlflowClient.create_model_version`` from a run's artifacts)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from modelsteward.errors import SchemaError
from modelsteward.governance import AuditLog
from modelsteward.registry import (
    ConflictError,
    NotFoundError,
    Registry,
    RegistryModelProvider,
    import_mlflow,
)
from tests.registry._mlflow_registry import (
    GIT_COMMIT,
    MlflowRegistry,
    build_mlflow_registry,
    failure,
    tracking,
)


@pytest.fixture(scope="module")
def mlflow_registry(tmp_path_factory: pytest.TempPathFactory) -> MlflowRegistry:
    return build_mlflow_registry(tmp_path_factory.mktemp("mlflow"))


def _copy_model(ml: MlflowRegistry, name: str) -> None:
    """Another MLflow model with the versions 1 and 2 of ``pump`` (so a test may change it)."""
    ml.client.create_registered_model(name)
    with tracking(ml.uri):  # MLflow resolves a models:/ source with the global tracking URI
        for version in ("1", "2"):
            ml.client.create_model_version(name, ml.sources[version], run_id=ml.run_ids[version])
    ml.client.set_registered_model_alias(name, "champion", "2")


def _audit_actions(registry: Registry, model: str) -> list[str]:
    return [e.action for e in AuditLog(registry.store).entries(subject=model)]


def test_versions_lineage_and_aliases_are_imported(
    registry: Registry, mlflow_registry: MlflowRegistry
) -> None:
    ml = mlflow_registry
    result = import_mlflow(
        registry, ml.uri, "pump", trust=True, actor="ann", input_schema=["temperature", "vibration"]
    )

    assert [(v.mlflow_version, v.status, v.version, v.flavor) for v in result.versions] == [
        ("1", "imported", "mlflow-1", "sklearn"),
        ("2", "imported", "mlflow-2", "onnx"),
        ("3", "skipped", None, None),
        ("4", "imported", "mlflow-4", "onnx"),
    ]
    assert "python_function" in (result.versions[2].reason or "")
    v1 = registry.get("pump", "mlflow-1")
    assert v1.params == {"C": "0.1", "solver": "lbfgs"}  # MLflow keeps parameters as text
    assert set(v1.metrics) == {"accuracy"}  # the NaN metric is not a number to keep
    assert v1.metrics["accuracy"] == pytest.approx(ml.models["1"].score(ml.X, failure(ml.X)))
    assert v1.code_version == GIT_COMMIT and v1.created_by == "ann"
    assert v1.input_schema == {"temperature": "numeric", "vibration": "numeric"}  # signature
    origin = (v1.evidence or {})["mlflow"]
    assert origin["run_id"] == ml.run_ids["1"] and origin["source"] == ml.sources["1"]
    assert (origin["registered_model"], origin["version"]) == ("pump", "1")
    assert ml.run_ids["1"] in (v1.description or "")

    # the artifacts load and predict as the models MLflow logged
    for version, label in (("1", "mlflow-1"), ("2", "mlflow-2"), ("4", "mlflow-4")):
        loaded = registry.load("pump", label, trust=True)
        np.testing.assert_array_equal(loaded.predict(ml.X), ml.models[version].predict(ml.X))

    assert registry.aliases("pump") == {"champion": "mlflow-2", "challenger": "mlflow-1"}
    # what the gateway serves as champion now: the ONNX model MLflow calls champion
    serve = RegistryModelProvider(registry, "pump", trust=True).get("champion")
    rows = [{"vibration": b, "temperature": a} for a, b in ml.X.to_numpy()[:50]]
    assert serve(rows) == ml.models["2"].predict(ml.X[:50]).tolist()
    legacy = next(a for a in result.aliases if a.mlflow_alias == "legacy")
    assert legacy.status == "skipped" and "was not imported" in (legacy.reason or "")
    moves = registry.history("pump")
    assert {(m.alias, m.to_version, m.actor) for m in moves} == {
        ("champion", "mlflow-2", "ann"),
        ("challenger", "mlflow-1", "ann"),
    }
    assert all("imported from MLflow" in m.reason for m in moves)
    v4 = registry.get("pump", "mlflow-4")  # no signature, no git tag: what there is
    assert (v4.params, v4.metrics, v4.code_version) == ({"C": "1.0"}, {}, None)
    assert v4.input_schema == {"temperature": "numeric", "vibration": "numeric"}  # given
    assert (v4.evidence or {})["mlflow"]["source"] == f"runs:/{ml.run_ids['4']}/model"
    actions = _audit_actions(registry, "pump")
    assert actions.count("registry.register") == 3 and actions.count("registry.alias_move") == 2
    assert actions[-1] == "registry.import_mlflow"
    entry = AuditLog(registry.store).entries(subject="pump")[-1]
    assert entry.seq == result.audit_seq and entry.details["registered_model"] == "pump"
    assert AuditLog(registry.store).verify().ok


def test_a_second_import_changes_nothing(
    registry: Registry, mlflow_registry: MlflowRegistry
) -> None:
    ml = mlflow_registry
    import_mlflow(registry, ml.uri, "pump", trust=True)
    versions = registry.versions("pump")
    history = registry.history("pump")
    audited = len(AuditLog(registry.store).entries())

    again = import_mlflow(registry, ml.uri, "pump", trust=True)
    assert [v.status for v in again.versions] == ["existing", "existing", "skipped", "existing"]
    assert {a.alias: a.status for a in again.aliases} == {
        "champion": "unchanged",
        "challenger": "unchanged",
        "legacy": "skipped",
    }
    assert not again.changed and again.audit_seq is None
    assert registry.versions("pump") == versions
    assert registry.history("pump") == history
    assert len(AuditLog(registry.store).entries()) == audited


def test_new_versions_and_moved_aliases_follow(
    registry: Registry, mlflow_registry: MlflowRegistry
) -> None:
    ml = mlflow_registry
    # The MLflow registry is shared by the module (both store backends, one worker): this
    # test changes its model, so each run gets a model of its own.
    name = f"pump-follow-{uuid.uuid4().hex[:8]}"
    _copy_model(ml, name)
    first = import_mlflow(registry, ml.uri, name, trust=True)
    assert [v.version for v in first.versions] == ["mlflow-1", "mlflow-2"]
    assert registry.aliases(name) == {"champion": "mlflow-2"}

    # in MLflow: a third version, and champion moved back to version 1
    with tracking(ml.uri):
        ml.client.create_model_version(name, ml.sources["2"], run_id=ml.run_ids["2"])
    ml.client.set_registered_model_alias(name, "champion", "1")
    second = import_mlflow(registry, ml.uri, name, trust=True)
    assert [(v.version, v.status) for v in second.versions] == [
        ("mlflow-1", "existing"),
        ("mlflow-2", "existing"),
        ("mlflow-3", "imported"),
    ]
    (champion,) = second.aliases
    assert (champion.status, champion.from_version, champion.version) == (
        "moved",
        "mlflow-2",
        "mlflow-1",
    )
    assert [m.to_version for m in registry.history(name, "champion")] == [
        "mlflow-2",
        "mlflow-1",
    ]
    assert registry.get(name, "mlflow-2").status == "archived"
    assert len(registry.versions(name)) == 3


def test_pickles_need_trust_and_a_later_import_with_trust_completes(
    registry: Registry, mlflow_registry: MlflowRegistry
) -> None:
    ml = mlflow_registry
    untrusted = import_mlflow(registry, ml.uri, "pump")
    sklearn = untrusted.versions[0]
    assert sklearn.status == "skipped" and "trust=True" in (sklearn.reason or "")
    assert untrusted.versions[1].status == "imported"
    assert registry.aliases("pump") == {"champion": "mlflow-2"}
    # no signature and no input_schema: imported, but it will not guess the column order
    assert registry.get("pump", "mlflow-2").input_schema is None
    serve = RegistryModelProvider(registry, "pump").get("champion")
    with pytest.raises(SchemaError, match="order in which it takes its features is unknown"):
        serve([{"temperature": 60.0, "vibration": 1.0}])

    trusted = import_mlflow(registry, ml.uri, "pump", trust=True)
    assert [v.status for v in trusted.versions] == ["imported", "existing", "skipped", "existing"]
    assert registry.aliases("pump") == {"champion": "mlflow-2", "challenger": "mlflow-1"}


def test_alias_map_renames_and_selects(registry: Registry, mlflow_registry: MlflowRegistry) -> None:
    ml = mlflow_registry
    result = import_mlflow(
        registry,
        ml.uri,
        "pump",
        model="pumps-eu",
        alias_map={"challenger": "champion", "champion": "shadow", "gone": "x"},
        trust=True,
    )
    assert registry.aliases("pumps-eu") == {"champion": "mlflow-1", "shadow": "mlflow-2"}
    gone = next(a for a in result.aliases if a.mlflow_alias == "gone")
    assert gone.status == "skipped" and "no alias 'gone'" in (gone.reason or "")


def test_bad_sources_are_clear_errors(
    registry: Registry, mlflow_registry: MlflowRegistry, tmp_path: Path
) -> None:
    ml = mlflow_registry
    missing = tmp_path / "nope" / "mlflow.db"
    with pytest.raises(NotFoundError, match="no such MLflow database"):
        import_mlflow(registry, f"sqlite:///{missing}", "pump")
    assert not missing.exists()  # MLflow would have created an empty database
    with pytest.raises(NotFoundError, match="has no registered model 'ghost'"):
        import_mlflow(registry, ml.uri, "ghost")

    registry.register("pump", "math:floor", flavor="callable", version="mlflow-1")
    with pytest.raises(ConflictError, match="not imported from version 1"):
        import_mlflow(registry, ml.uri, "pump", trust=True)


def test_mlflow_is_imported_with_its_telemetry_off(tmp_path: Path) -> None:
    """modelsteward sends no telemetry: a fresh process importing MLflow through it has no
    MLflow telemetry client (outside CI, where MLflow would otherwise start one)."""
    code = (
        "from modelsteward.registry._mlflow_source import load_mlflow\n"
        "load_mlflow()\n"
        "from mlflow.telemetry import get_telemetry_client\n"
        "print(get_telemetry_client() is None)\n"
    )
    ci_markers = {"CI", "PYTEST_CURRENT_TEST", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY"}
    env = {k: v for k, v in os.environ.items() if k not in ci_markers}
    env["DO_NOT_TRACK"] = "false"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
