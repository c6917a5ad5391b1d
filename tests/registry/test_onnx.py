"""ONNX round trip on real packages: a scikit-learn model converted with skl2onnx, registered
with the ``onnx`` flavor, loaded back and run with onnxruntime, and served by the gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime  # noqa: F401  (a dev dependency: fail, do not skip, when it is missing)
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.registry import (
    ArtifactError,
    Registry,
    RegistryModelProvider,
    predict_rows,
)
from modelsteward.rollout import Gateway, InMemorySink, ModelSpec, create_gateway_app

FEATURES = ["temperature", "vibration"]


def test_classifier_round_trip_matches_sklearn(
    registry: Registry, fitted: Any, training: pd.DataFrame
) -> None:
    X = training[FEATURES]
    onx = to_onnx(fitted, X.to_numpy(np.float32))
    v = registry.register("pump", onx, flavor="onnx", training_data=training, target="failure")
    assert (v.flavor, v.artifact_format) == ("onnx", "onnx")
    assert v.artifact_uri.endswith("model.onnx") and v.artifact_sha256 is not None
    assert v.input_schema == {"temperature": "numeric", "vibration": "numeric"}

    loaded = registry.load("pump", v.version)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    proba = loaded.predict_proba(X)  # a ZipMap in the graph: an [N, 2] array out
    assert isinstance(proba, np.ndarray) and proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba, fitted.predict_proba(X), atol=1e-5)
    # the same through the gateway's row path, with the keys in another order
    rows = [{"vibration": b, "temperature": a} for a, b in X.to_numpy()[:25]]
    assert predict_rows(loaded, rows) == fitted.predict(X[:25]).tolist()


def test_double_precision_regressor_from_a_file(
    registry: Registry, training: pd.DataFrame, tmp_path: Path
) -> None:
    X = training[FEATURES]
    model = LinearRegression().fit(X, 3 * X["temperature"] - X["vibration"])
    path = tmp_path / "reg.onnx"
    path.write_bytes(to_onnx(model, X.to_numpy(np.float64)).SerializeToString())
    v = registry.register("wear", path, flavor="onnx", input_schema=FEATURES)
    loaded = registry.load("wear", v.version)
    predicted = loaded.predict(X)  # a tensor(double) input, an [N, 1] output flattened
    assert predicted.shape == (len(X),) and predicted.dtype == np.float64
    np.testing.assert_allclose(predicted, model.predict(X), rtol=1e-9, atol=1e-9)
    with pytest.raises(ParameterError, match="gives no probabilities"):
        loaded.predict_proba(X)


def test_one_input_per_column_pipeline(registry: Registry, training: pd.DataFrame) -> None:
    frame = training.assign(
        temperature=training["temperature"].astype(np.float32),
        plant=np.where(training["vibration"] > 1.0, "north", "south"),
    )
    X = frame[["temperature", "plant"]]
    pipe = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), ["temperature"]), ("cat", OneHotEncoder(), ["plant"])]
        ),
        LogisticRegression(),
    ).fit(X, frame["failure"])
    v = registry.register("mixed", to_onnx(pipe, X[:1]), flavor="onnx")
    assert v.input_schema == {"temperature": "numeric", "plant": "categorical"}
    loaded = registry.load("mixed")
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    rows = X.to_dict("records")
    assert predict_rows(loaded, rows) == pipe.predict(X).tolist()
    with pytest.raises(SchemaError, match="one input per column"):
        loaded.predict(X.to_numpy())


def test_a_corrupt_onnx_file_is_an_artifact_error(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"this is not a protobuf")
    with pytest.raises(ArtifactError, match="cannot be loaded as a onnx model"):
        registry.register("m", path, flavor="onnx")


def test_gateway_serves_the_onnx_champion(
    registry: Registry, fitted: Any, training: pd.DataFrame
) -> None:
    X = training[FEATURES]
    onx = to_onnx(fitted, X.to_numpy(np.float32))
    registry.register("pump", onx, flavor="onnx", input_schema=FEATURES)
    registry.promote("pump", "1", reason="first ONNX model", actor="ann")
    sink = InMemorySink()
    spec = ModelSpec("pump", FEATURES, RegistryModelProvider(registry, "pump"), "champion")
    gw = Gateway([spec], sink=sink)
    expected = fitted.predict(X).tolist()
    try:
        with TestClient(create_gateway_app(gw, run_checks=False)) as client:
            # the features in another order than the model's: the schema puts them right
            first = {"vibration": X.iloc[0]["vibration"], "temperature": X.iloc[0]["temperature"]}
            one = client.post("/predict/pump", json={"features": first})
            assert one.status_code == 200, one.text
            body = one.json()
            assert (body["prediction"], body["version"]) == (expected[0], "1")
            assert "fallback" not in body
            batch = client.post("/predict/pump", json={"features": X.to_dict("records")})
            assert batch.status_code == 200, batch.text
            assert batch.json()["predictions"] == expected
            missing = client.post("/predict/pump", json={"features": {"temperature": 1.0}})
            assert missing.status_code == 422 and "vibration" in missing.text
    finally:
        gw.close()


def test_a_matrix_model_without_schema_is_not_fed_in_the_callers_order(
    registry: Registry, fitted: Any, training: pd.DataFrame
) -> None:
    """One input matrix and no column names: the request's key order would decide which
    feature goes where, so rows of named features are refused with the remedy."""
    X = training[FEATURES]
    v = registry.register("blind", to_onnx(fitted, X.to_numpy(np.float32)), flavor="onnx")
    assert v.input_schema is None
    loaded = registry.load("blind")
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))  # arrays: fine
    with pytest.raises(SchemaError, match=r"no input schema .* register it with an input schema"):
        predict_rows(loaded, [{"vibration": 1.0, "temperature": 60.0}])
