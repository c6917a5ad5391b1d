"""Import model versions and aliases from an MLflow model registry (``modelsteward[mlflow]``).

Each READY version of an MLflow registered model becomes a version ``mlflow-<N>`` of the
modelsteward model, when its artifact has a flavor modelsteward serves:

- ``sklearn`` (``model.skops``, or a pickle that loads only with ``trust=True``) → ``sklearn``;
- ``onnx`` (``model.onnx``) → ``onnx``.

Versions of other flavors (``pytorch``, a bare ``python_function``, ...) are skipped and reported
with the reason. Lineage comes from the MLflow run: its parameters and metrics, the git commit
it ran from (``code_version``), and its run id and source, kept with the model version's own
identity as the version's ``evidence["mlflow"]``. The input schema comes from the model's
signature when it names its columns, else from ``input_schema``, else from the model
(scikit-learn's ``feature_names_in_``, an ONNX graph with one input per column).

MLflow aliases become aliases here: by default each under its own name, or, with
``alias_map={"prod": "champion"}``, only the mapped ones under the mapped names. Every move is
an ordinary alias move: it lands in the alias history and the audit log, with the MLflow alias
as its reason and evidence. An alias that points elsewhere here is moved to where MLflow
points (``steward registry rollback`` undoes it); leave it out of ``alias_map`` to keep it.
One ``registry.import_mlflow`` audit entry sums up each import that changed anything.

MLflow is imported with its usage telemetry turned off (``MLFLOW_DISABLE_TELEMETRY=true``
unless the environment sets it), as modelsteward itself sends none.

The import is idempotent: a version already imported (same MLflow model, version, run and
source) is left as it is, and an alias already pointing where MLflow points is not moved, so
running it again (e.g. on a schedule) only brings what is new.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from modelsteward.errors import MissingExtraError, ParameterError, StewardError
from modelsteward.registry._errors import ArtifactError
from modelsteward.registry._mlflow_source import (
    artifact_of,
    check_local,
    input_schema_of,
    list_versions,
    load_mlflow,
    mlflow_error,
    provenance,
    redact_uri,
    run_lineage,
)
from modelsteward.store import ConflictError
from modelsteward.store.registry import RegistryStateError, check_name

if TYPE_CHECKING:
    from modelsteward.registry._registry import Registry
    from modelsteward.store.registry import ModelVersion

__all__ = ["AliasImport", "MlflowImport", "VersionImport", "import_mlflow"]

VERSION_PREFIX = "mlflow-"


@dataclass(frozen=True)
class VersionImport:
    """What became of one MLflow version.

    ``status``: ``imported`` (registered now), ``existing`` (imported before, left as it is)
    or ``skipped`` (``reason`` says why: a flavor modelsteward does not serve, a pickle
    without ``trust``, an artifact that does not load, a version not READY).
    """

    mlflow_version: str
    status: Literal["imported", "existing", "skipped"]
    version: str | None = None
    flavor: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mlflow_version": self.mlflow_version,
            "status": self.status,
            "version": self.version,
            "flavor": self.flavor,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AliasImport:
    """What became of one MLflow alias: ``moved``, ``unchanged`` or ``skipped`` (``reason``)."""

    mlflow_alias: str
    alias: str
    mlflow_version: str | None
    status: Literal["moved", "unchanged", "skipped"]
    version: str | None = None
    from_version: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mlflow_alias": self.mlflow_alias,
            "alias": self.alias,
            "mlflow_version": self.mlflow_version,
            "status": self.status,
            "version": self.version,
            "from_version": self.from_version,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class MlflowImport:
    """The outcome of :func:`import_mlflow`, version by version and alias by alias."""

    model: str
    mlflow_model: str
    tracking_uri: str
    versions: list[VersionImport] = field(default_factory=list)
    aliases: list[AliasImport] = field(default_factory=list)
    audit_seq: int | None = None

    @property
    def changed(self) -> bool:
        """Whether the import registered a version or moved an alias."""
        return any(v.status == "imported" for v in self.versions) or any(
            a.status == "moved" for a in self.aliases
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "mlflow_model": self.mlflow_model,
            "tracking_uri": self.tracking_uri,
            "changed": self.changed,
            "versions": [v.to_dict() for v in self.versions],
            "aliases": [a.to_dict() for a in self.aliases],
            "audit_seq": self.audit_seq,
        }


def _same_origin(existing: ModelVersion, mv: Any) -> bool:
    origin = (existing.evidence or {}).get("mlflow")
    if not isinstance(origin, Mapping):
        return False
    return (
        origin.get("registered_model") == str(mv.name)
        and origin.get("version") == str(mv.version)
        and origin.get("source") == mv.source
        and origin.get("run_id") == (mv.run_id or None)
    )


class _Importer:
    def __init__(
        self,
        registry: Registry,
        client: Any,
        mlflow: Any,
        *,
        tracking_uri: str,
        mlflow_model: str,
        model: str,
        trust: bool,
        actor: str,
        input_schema: Mapping[str, str] | Sequence[str] | None,
    ) -> None:
        self.registry = registry
        self.input_schema = input_schema
        self.client = client
        self.mlflow = mlflow
        self.uri = tracking_uri
        self.mlflow_model = mlflow_model
        self.model = model
        self.trust = trust
        self.actor = actor
        self.existing = {v.version: v for v in registry._versions_or_none(model)}

    def version(self, mv: Any) -> VersionImport:
        number = str(mv.version)
        label = f"{VERSION_PREFIX}{number}"
        found = self.existing.get(label)
        if found is not None:
            if not _same_origin(found, mv):
                raise ConflictError(
                    f"{self.model} has a version {label} that was not imported from version "
                    f"{number} of the MLflow model {self.mlflow_model} at "
                    f"{redact_uri(self.uri)} (its run or source differ); import into another "
                    "model name (--name)"
                )
            return VersionImport(number, "existing", label, found.flavor)
        status = str(getattr(mv, "status", "READY"))
        if status != "READY":
            return VersionImport(number, "skipped", reason=f"its MLflow status is {status}")
        with tempfile.TemporaryDirectory(prefix="steward-mlflow-") as tmp:
            return self._download_and_register(mv, label, Path(tmp))

    def _download(self, uri: str, path: str, into: Path) -> Path:
        into.mkdir(parents=True, exist_ok=True)
        local = self.mlflow.artifacts.download_artifacts(
            artifact_uri=f"{uri.rstrip('/')}/{path}",
            dst_path=str(into),
            tracking_uri=self.uri,
        )
        return Path(local)

    def _download_and_register(self, mv: Any, label: str, tmp: Path) -> VersionImport:
        number = str(mv.version)
        base = self.client.get_model_version_download_uri(mv.name, mv.version)
        try:
            meta_file = self._download(base, "MLmodel", tmp / "meta")
            model_meta = self.mlflow.models.Model.load(str(meta_file))
        except Exception as exc:
            reason = f"its MLmodel file cannot be read: {type(exc).__name__}: {exc}"
            return VersionImport(number, "skipped", reason=reason)
        target = artifact_of(model_meta.flavors)
        if isinstance(target, str):
            return VersionImport(number, "skipped", reason=target)
        flavor, file = target
        try:
            artifact = self._download(base, file, tmp / "artifact")
        except Exception as exc:
            reason = f"its artifact {file} cannot be downloaded: {type(exc).__name__}: {exc}"
            return VersionImport(number, "skipped", flavor=flavor, reason=reason)
        params, metrics, run = run_lineage(self.client, mv.run_id)
        code = run.data.tags.get("mlflow.source.git.commit") if run is not None else None
        description = mv.description or (
            f"Imported from MLflow: {self.mlflow_model} version {number}"
            + (f", run {mv.run_id}" if mv.run_id else "")
            + f", source {mv.source}"
        )
        try:
            registered = self.registry.register(
                self.model,
                artifact,
                flavor=flavor,
                version=label,
                trust=self.trust,
                input_schema=input_schema_of(model_meta) or self.input_schema,
                params=params,
                metrics=metrics,
                code_version=code,
                description=description,
                actor=self.actor,
                evidence={"mlflow": provenance(mv, run, self.uri)},
                on_schema_mismatch="allow",  # MLflow's history is what it is; it is recorded
            )
        except (ArtifactError, MissingExtraError) as exc:
            return VersionImport(number, "skipped", flavor=flavor, reason=str(exc))
        self.existing[label] = registered
        return VersionImport(number, "imported", label, flavor)

    def alias(
        self, mlflow_alias: str, ours: str, target: str | None, imported: Mapping[str, str]
    ) -> AliasImport:
        def skipped(reason: str) -> AliasImport:
            return AliasImport(mlflow_alias, ours, target, "skipped", reason=reason)

        if target is None:
            return skipped(f"the MLflow model {self.mlflow_model} has no alias {mlflow_alias!r}")
        label = imported.get(target)
        if label is None:
            return skipped(f"MLflow version {target} was not imported")
        current = self.registry.aliases(self.model).get(ours)
        if current == label:
            return AliasImport(mlflow_alias, ours, target, "unchanged", label, current)
        try:
            self.registry.set_alias(
                self.model,
                ours,
                label,
                reason=(
                    f"imported from MLflow: alias {mlflow_alias!r} of {self.mlflow_model} "
                    f"points to version {target}"
                ),
                actor=self.actor,
                expected=current,
                evidence={
                    "mlflow": {
                        "tracking_uri": redact_uri(self.uri),
                        "registered_model": self.mlflow_model,
                        "alias": mlflow_alias,
                        "version": target,
                    }
                },
            )
        except (ParameterError, RegistryStateError) as exc:
            # a name that is no valid alias here, or a version rejected here since its import
            return skipped(str(exc))
        return AliasImport(mlflow_alias, ours, target, "moved", label, current)


def import_mlflow(
    registry: Registry,
    tracking_uri: str,
    mlflow_model: str,
    *,
    model: str | None = None,
    alias_map: Mapping[str, str] | None = None,
    registry_uri: str | None = None,
    input_schema: Mapping[str, str] | Sequence[str] | None = None,
    trust: bool = False,
    actor: str | None = None,
) -> MlflowImport:
    """Import the versions and aliases of ``mlflow_model`` into ``registry``.

    Parameters
    ----------
    registry:
        The modelsteward registry to import into.
    tracking_uri:
        The MLflow tracking URI (``sqlite:///mlflow.db``, an ``mlruns`` folder,
        ``http://mlflow:5000``, ...); ``registry_uri`` defaults to it.
    mlflow_model:
        The MLflow registered model's name.
    model:
        The modelsteward model name (default: the MLflow name).
    alias_map:
        MLflow alias to modelsteward alias (``{"prod": "champion"}``); when given, only these
        aliases are imported. Default: every MLflow alias under its own name.
    input_schema:
        The input columns (``{column: kind}`` or a list of names, in the order the model
        takes them) of versions whose MLflow signature names none, e.g. ONNX models logged
        without one. Without it such versions are imported but cannot serve rows of named
        features (the order of their columns is unknown).
    trust:
        Allow pickled scikit-learn artifacts (loading one runs its code); without it they
        are skipped and reported.
    actor:
        Who imports (default: the operating-system user); recorded on every change.

    Returns
    -------
    MlflowImport
        Each version and alias with what became of it.
    """
    from modelsteward.registry._registry import default_actor

    check_name("model name", model or mlflow_model)
    model = model or mlflow_model
    actor = actor or default_actor()
    mlflow = load_mlflow()
    load_mlflow("mlflow.artifacts")
    load_mlflow("mlflow.models")
    check_local(tracking_uri)
    client = mlflow.MlflowClient(
        tracking_uri=tracking_uri, registry_uri=registry_uri or tracking_uri
    )
    try:
        registered = client.get_registered_model(mlflow_model)
        found = list_versions(client, mlflow_model)
    except Exception as exc:
        if isinstance(exc, StewardError):
            raise
        raise mlflow_error(exc, tracking_uri, f"registered model {mlflow_model!r}") from exc

    importer = _Importer(
        registry,
        client,
        mlflow,
        tracking_uri=tracking_uri,
        mlflow_model=mlflow_model,
        model=model,
        trust=trust,
        actor=actor,
        input_schema=input_schema,
    )
    versions = [importer.version(mv) for mv in found]
    imported = {v.mlflow_version: v.version for v in versions if v.version is not None}
    mlflow_aliases = {str(a): str(v) for a, v in (registered.aliases or {}).items()}
    mapping = dict(alias_map) if alias_map is not None else {a: a for a in mlflow_aliases}
    aliases = [
        importer.alias(source, ours, mlflow_aliases.get(source), imported)
        for source, ours in mapping.items()
    ]
    result = MlflowImport(model, mlflow_model, redact_uri(tracking_uri), versions, aliases)
    if not result.changed:
        return result
    entry = registry.repository.audit.append(
        "registry.import_mlflow",
        model,
        {
            "tracking_uri": result.tracking_uri,
            "registered_model": mlflow_model,
            "versions": [v.to_dict() for v in versions if v.status != "existing"],
            "aliases": [a.to_dict() for a in aliases if a.status != "unchanged"],
        },
        actor=actor,
    )
    return MlflowImport(
        model, mlflow_model, result.tracking_uri, versions, aliases, audit_seq=entry.seq
    )
