"""Reading an MLflow registry: the client module (telemetry off), its model versions, and
each version's input schema, artifact flavor, run lineage and provenance.

Used by :mod:`modelsteward.registry._mlflow`, which turns what is read here into
modelsteward versions and aliases.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from modelsteward.errors import InputError, MissingExtraError, StewardError
from modelsteward.store import NotFoundError

__all__ = [
    "COLUMN_KINDS",
    "artifact_of",
    "check_local",
    "input_schema_of",
    "list_versions",
    "load_mlflow",
    "mlflow_error",
    "provenance",
    "redact_uri",
    "run_lineage",
]

# MLflow column types (ColSpec) to column kinds.
COLUMN_KINDS = {
    "double": "numeric",
    "float": "numeric",
    "long": "numeric",
    "integer": "numeric",
    "boolean": "boolean",
    "string": "categorical",
    "datetime": "datetime",
}


def load_mlflow(module: str = "mlflow") -> Any:
    # modelsteward sends no telemetry, and lends MLflow none: MLflow 3 decides at import
    # whether to report usage, so opt out first (an explicit MLFLOW_DISABLE_TELEMETRY wins).
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError("mlflow-skinny", "mlflow", "Importing from MLflow") from exc


def redact_uri(uri: str) -> str:
    """The URI without a user name or password, fit to be recorded.

    >>> redact_uri("postgresql://ann:secret@db:5432/mlflow")
    'postgresql://db:5432/mlflow'
    >>> redact_uri("sqlite:////tmp/mlflow.db")
    'sqlite:////tmp/mlflow.db'
    """
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_local(uri: str) -> None:
    """A local store must exist: MLflow would create an empty one for a mistyped path."""
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        path = uri.split(":///", 1)[1] if ":///" in uri else ""
        if path and path != ":memory:" and not Path(path).is_file():
            raise NotFoundError(
                f"{path}: no such MLflow database (--tracking-uri {uri}); give the path of an "
                "existing mlflow.db, e.g. sqlite:///path/to/mlflow.db"
            )
    elif parts.scheme in ("", "file"):
        path = parts.path if parts.scheme == "file" else uri
        if not Path(path).is_dir():
            raise NotFoundError(
                f"{path}: no such MLflow tracking folder (--tracking-uri {uri}); give an "
                "existing mlruns folder or a database URI"
            )


def mlflow_error(exc: Exception, uri: str, what: str) -> StewardError:
    code = getattr(exc, "error_code", "")
    message = str(getattr(exc, "message", exc)).strip().splitlines()[0]
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFoundError(f"The MLflow registry at {redact_uri(uri)} has no {what}: {message}")
    return InputError(f"MLflow ({redact_uri(uri)}) failed on {what}: {message}")


def list_versions(client: Any, name: str) -> list[Any]:
    quoted = name.replace("'", "\\'")
    found: list[Any] = []
    token: str | None = None
    while True:
        page = client.search_model_versions(f"name='{quoted}'", page_token=token)
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            break
    return sorted(found, key=lambda v: int(v.version))


def input_schema_of(model_meta: Any) -> dict[str, str] | None:
    """``{column: kind}`` from a signature with named columns; ``None`` otherwise."""
    signature = getattr(model_meta, "signature", None)
    inputs = getattr(signature, "inputs", None)
    if inputs is None or inputs.is_tensor_spec() or not inputs.has_input_names():
        return None
    out: dict[str, str] = {}
    for spec in inputs.to_dict():
        kind = COLUMN_KINDS.get(str(spec.get("type")))
        if kind is None or not spec.get("name"):
            return None  # a type without a column kind: let the registry infer the schema
        out[str(spec["name"])] = kind
    return out


def artifact_of(flavors: Mapping[str, Any]) -> tuple[str, str] | str:
    """``(flavor, file inside the model folder)``, or why the flavors do not map."""
    if "onnx" in flavors:
        return "onnx", str(flavors["onnx"].get("data") or "model.onnx")
    if "sklearn" in flavors:
        conf = flavors["sklearn"]
        fmt = conf.get("serialization_format")
        file = str(conf.get("pickled_model") or "model.pkl")
        if fmt == "skops" and not file.endswith(".skops"):
            return f"its sklearn artifact {file} is skops-serialized but not named .skops"
        return "sklearn", file
    names = ", ".join(sorted(flavors)) or "none"
    return f"its flavors ({names}) have no modelsteward equivalent (sklearn, onnx)"


def run_lineage(client: Any, run_id: str | None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """``(params, metrics, run)`` of a version's run (empty when it has none or it is gone)."""
    if not run_id:
        return {}, {}, None
    try:
        run = client.get_run(run_id)
    except Exception:  # deleted runs, runs in another workspace: the version stays importable
        return {}, {}, None
    metrics = {
        str(k): float(v)
        for k, v in run.data.metrics.items()
        if isinstance(v, (int, float)) and math.isfinite(v)
    }
    return dict(run.data.params), metrics, run


def provenance(mv: Any, run: Any, uri: str) -> dict[str, Any]:
    created = getattr(mv, "creation_timestamp", None)
    info: dict[str, Any] = {
        "tracking_uri": redact_uri(uri),
        "registered_model": str(mv.name),
        "version": str(mv.version),
        "run_id": mv.run_id or None,
        "source": mv.source,
        "model_id": getattr(mv, "model_id", None),
        "user_id": getattr(mv, "user_id", None) or None,
        "created_at": (
            datetime.fromtimestamp(created / 1000, tz=UTC).isoformat() if created else None
        ),
    }
    if run is not None:
        tags = run.data.tags
        info["experiment_id"] = run.info.experiment_id
        info["run_name"] = tags.get("mlflow.runName") or getattr(run.info, "run_name", None)
        info["source_name"] = tags.get("mlflow.source.name")
    return info
