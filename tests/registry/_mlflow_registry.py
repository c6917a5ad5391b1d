"""A real MLflow model registry (SQLite, in a folder) for the import tests."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# MLflow decides at import whether to send usage telemetry; tests send nothing anywhere.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class MlflowRegistry:
    uri: str
    client: Any
    X: pd.DataFrame
    models: dict[str, Any]  # MLflow version -> the fitted scikit-learn model
    run_ids: dict[str, str]
    sources: dict[str, str]


@contextlib.contextmanager
def tracking(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at ``uri`` and back (it is process-global)."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before)  # type: ignore[arg-type]  # None: back to the default


def build_mlflow_registry(root: Path) -> MlflowRegistry:
    """A SQLite MLflow registry in ``root`` with the model ``pump``: 1 = scikit-learn
    (cloudpickle), 2 = ONNX, 3 = a pyfunc-only model, 4 = ONNX from a runs:/ URI; aliases
    champion -> 2, challenger -> 1, legacy -> 3."""
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("pumps", artifact_location=str(root / "artifacts"))
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"temperature": rng.normal(60, 5, 300), "vibration": rng.normal(1, 0.2, 300)})
    y = failure(X)
    models: dict[str, Any] = {}
    run_ids: dict[str, str] = {}
    with tracking(uri):
        for version, C in (("1", 0.1), ("2", 10.0)):
            model = LogisticRegression(C=C).fit(X, y)
            with mlflow.start_run(experiment_id=experiment) as run:
                mlflow.log_params({"C": C, "solver": "lbfgs"})
                mlflow.log_metrics({"accuracy": float(model.score(X, y)), "nan_metric": np.nan})
                mlflow.set_tag("mlflow.source.git.commit", GIT_COMMIT)
                if version == "1":
                    mlflow.sklearn.log_model(
                        model,
                        name="model",
                        registered_model_name="pump",
                        serialization_format="cloudpickle",
                        signature=infer_signature(X, model.predict(X)),
                    )
                else:
                    mlflow.onnx.log_model(
                        to_onnx(model, X.to_numpy(np.float32)),
                        name="model",
                        registered_model_name="pump",
                    )
            models[version] = model
            run_ids[version] = run.info.run_id
    # version 3: a run's artifacts registered by hand, with a flavor modelsteward lacks
    run = client.create_run(experiment)
    folder = root / "pyfunc"
    folder.mkdir()
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: my_loader\n    data: weights.bin\n"
    )
    client.log_artifacts(run.info.run_id, str(folder), "model")
    client.set_terminated(run.info.run_id)
    client.create_model_version("pump", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    run_ids["3"] = run.info.run_id
    # version 4, the MLflow 2 way: a model saved to a folder, logged as a run's artifacts and
    # registered from its runs:/ URI, with a run parameter and no signature
    model = LogisticRegression(C=1.0).fit(X, y)
    run = client.create_run(experiment)
    client.log_param(run.info.run_id, "C", 1.0)
    mlflow.onnx.save_model(to_onnx(model, X.to_numpy(np.float32)), str(root / "onnx-model"))
    client.log_artifacts(run.info.run_id, str(root / "onnx-model"), "model")
    client.set_terminated(run.info.run_id)
    client.create_model_version("pump", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    models["4"] = model
    run_ids["4"] = run.info.run_id
    client.set_registered_model_alias("pump", "champion", "2")
    client.set_registered_model_alias("pump", "challenger", "1")
    client.set_registered_model_alias("pump", "legacy", "3")
    sources = {str(v.version): v.source for v in client.search_model_versions("name='pump'")}
    return MlflowRegistry(uri, client, X, models, run_ids, sources)


def failure(X: pd.DataFrame) -> pd.Series:
    """The label the models of :func:`build_mlflow_registry` learn."""
    return (X["temperature"] + 20 * X["vibration"] > 81).astype(int)
