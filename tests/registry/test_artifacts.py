"""Artifacts: sklearn and callable round trips, untrusted pickles, unloadable files, lineage."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.errors import MissingExtraError, ParameterError
from modelsteward.governance import AuditLog
from modelsteward.registry import (
    ArtifactError,
    NotFoundError,
    Registry,
    UntrustedArtifactError,
    fingerprint_table,
)

HAS_SKOPS = importlib.util.find_spec("skops") is not None


def test_sklearn_object_round_trip(
    registry: Registry, fitted: Any, training: pd.DataFrame, tmp_path: Path
) -> None:
    v = registry.register(
        "machines",
        fitted,
        flavor="sklearn",
        training_data=training,
        training_profile=True,
        params={"C": 1.0, "solver": "lbfgs"},
        metrics={"auc": 0.93},
        code_version="abc123",
        actor="ann",
    )
    assert (v.version, v.number, v.status, v.created_by) == ("1", 1, "registered", "ann")
    assert v.input_schema == {"temperature": "numeric", "vibration": "numeric"}
    assert v.training_fingerprint == fingerprint_table(training)[0] and v.training_rows == 200
    assert v.has_training_profile and registry.training_profile("machines", "1")
    assert v.params == {"C": 1.0, "solver": "lbfgs"} and v.metrics == {"auc": 0.93}
    assert v.code_version == "abc123"
    path = Path(v.artifact_uri)
    assert path.parent == tmp_path / "artifacts" / "machines" / "1" and path.is_file()
    assert v.artifact_sha256 is not None and len(v.artifact_sha256) == 64
    assert not list((tmp_path / "artifacts" / "machines").glob(".staging-*"))

    X = training[["temperature", "vibration"]]
    if HAS_SKOPS:
        loaded = registry.load("machines", "1")
    else:
        with pytest.raises(UntrustedArtifactError, match="trust=True"):
            registry.load("machines", "1")
        loaded = registry.load("machines", "1", trust=True)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.version == registry.get("machines")


def test_untrusted_pickle_file_is_refused(registry: Registry, fitted: Any, tmp_path: Path) -> None:
    file = tmp_path / "model.joblib"
    joblib.dump(fitted, file)
    with pytest.raises(UntrustedArtifactError, match=r"runs whatever code.*--trust"):
        registry.register("machines", file, flavor="sklearn", actor="ann")
    with pytest.raises(NotFoundError):
        registry.versions("machines")
    assert not (tmp_path / "artifacts" / "machines").exists() or not any(
        (tmp_path / "artifacts" / "machines").iterdir()
    )
    v = registry.register("machines", file, flavor="sklearn", trust=True, actor="ann")
    assert v.artifact_format == "pickle" and Path(v.artifact_uri).name == "model.joblib"
    with pytest.raises(UntrustedArtifactError):
        registry.load("machines")
    row = pd.DataFrame({"temperature": [60.0], "vibration": [1.0]})
    assert registry.load("machines", trust=True).predict(row).shape == (1,)


def test_unloadable_artifacts(registry: Registry, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"this is not a pickle")
    with pytest.raises(ArtifactError, match=r"junk.pkl cannot be loaded as a sklearn model"):
        registry.register("m", junk, flavor="sklearn", trust=True)
    not_model = tmp_path / "dict.pkl"
    not_model.write_bytes(pickle.dumps({"weights": [1, 2]}))
    with pytest.raises(ArtifactError, match="no predict method"):
        registry.register("m", not_model, flavor="sklearn", trust=True)
    with pytest.raises(ArtifactError, match="no such file"):
        registry.register("m", tmp_path / "missing.joblib", flavor="sklearn", trust=True)
    (tmp_path / "model.txt").write_text("x")
    with pytest.raises(ParameterError, match=r"\.skops, \.joblib"):
        registry.register("m", tmp_path / "model.txt", flavor="sklearn", trust=True)
    with pytest.raises(ParameterError, match="flavor must be one of"):
        registry.register("m", junk, flavor="tensorflow")
    with pytest.raises(NotFoundError):
        registry.versions("m")


def test_modified_artifact_is_detected(registry: Registry, fitted: Any) -> None:
    v = registry.register("machines", fitted, flavor="sklearn")
    Path(v.artifact_uri).write_bytes(b"tampered")
    with pytest.raises(ArtifactError, match="modified after registration"):
        registry.load("machines", trust=True)
    Path(v.artifact_uri).unlink()
    with pytest.raises(ArtifactError, match="missing"):
        registry.load("machines", trust=True)


def test_callable_round_trip(registry: Registry) -> None:
    from tests.registry import _callables

    v = registry.register(
        "rules",
        "tests.registry._callables:double",
        flavor="callable",
        input_schema=["reading"],
        actor="ann",
    )
    assert v.artifact_format == "import" and v.artifact_uri == "tests.registry._callables:double"
    assert v.artifact_sha256 is not None  # hash of the module source, for the record
    assert v.input_schema == {"reading": "numeric"}
    assert registry.load("rules").predict([1, 2.5]) == [2.0, 5.0]
    v2 = registry.register("rules", _callables.double, flavor="callable", parent="1")
    assert v2.artifact_uri == v.artifact_uri and v2.parent_version == "1"
    with pytest.raises(ParameterError, match="cannot be named by an import path"):
        registry.register("rules", lambda x: x, flavor="callable")
    with pytest.raises(ArtifactError, match="cannot import module"):
        registry.register("rules", "no_such_module_xyz:f", flavor="callable")
    with pytest.raises(ArtifactError, match="not a callable"):
        registry.register("rules", "tests.registry._callables:NOT_CALLABLE", flavor="callable")
    with pytest.raises(ParameterError, match="module:function"):
        registry.register("rules", "just_a_name", flavor="callable")
    with pytest.raises(NotFoundError, match="parent version"):
        registry.register("rules", "math:floor", flavor="callable", parent="9")


def test_onnx_without_onnxruntime_is_a_clear_error(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime fails
    file = tmp_path / "model.onnx"
    file.write_bytes(b"\x08\x07")
    with pytest.raises(MissingExtraError, match=r"pip install 'modelsteward\[onnx\]'"):
        registry.register("m", file, flavor="onnx")


def test_fingerprint_ignores_format_and_chunking(tmp_path: Path) -> None:
    table = pa.table({"x": [1.5, 2.5, None], "c": ["a", "b", "a"]})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=1)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=1))
    fp = fingerprint_table(table)
    assert fingerprint_table(tmp_path / "t.parquet") == fp == fingerprint_table(chunked)
    frame = table.to_pandas()
    assert fingerprint_table(frame) == fingerprint_table(frame.copy())
    assert fingerprint_table(pa.table({"x": [1.5, 2.5, 0.0], "c": ["a", "b", "a"]}))[0] != fp[0]


def test_bad_lineage_values(registry: Registry) -> None:
    with pytest.raises(ParameterError, match="finite number"):
        registry.register("m", "math:floor", flavor="callable", metrics={"auc": float("nan")})
    with pytest.raises(ParameterError, match="finite number"):
        registry.register("m", "math:floor", flavor="callable", metrics={"auc": "high"})
    with pytest.raises(ParameterError, match="JSON object"):
        registry.register("m", "math:floor", flavor="callable", params=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="model name"):
        registry.register("../etc", "math:floor", flavor="callable")
    with pytest.raises(ParameterError, match="version"):
        registry.register("m", "math:floor", flavor="callable", version="a/b")


def test_registrations_are_audited(registry: Registry, fitted: Any, store: Any) -> None:
    registry.register("machines", fitted, flavor="sklearn", actor="ann")
    registry.register("machines", "math:floor", flavor="callable", version="rules-1", actor="bob")
    entries = AuditLog(store).entries(subject="machines")
    assert [(e.action, e.actor, e.details["version"]) for e in entries] == [
        ("registry.register", "ann", "1"),
        ("registry.register", "bob", "rules-1"),
    ]
    assert entries[0].details["artifact_sha256"] == registry.get("machines", "1").artifact_sha256
    assert AuditLog(store).verify().ok


def test_failed_audit_append_rolls_back_the_registration(
    registry: Registry, fitted: Any, store: Any, tmp_path: Path
) -> None:
    import sqlalchemy as sa

    from modelsteward.store.audit import AuditChainError

    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_head"))
    with pytest.raises(AuditChainError):
        registry.register("machines", fitted, flavor="sklearn")
    with pytest.raises(NotFoundError):
        registry.versions("machines")
    root = tmp_path / "artifacts" / "machines"
    assert not root.exists() or not any(root.iterdir())
