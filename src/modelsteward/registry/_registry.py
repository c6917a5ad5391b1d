"""The :class:`Registry`: register versions, move aliases, roll back, load models."""

from __future__ import annotations

import getpass
import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from modelsteward.errors import ParameterError
from modelsteward.registry._artifacts import ArtifactStore, open_artifact_store, sha256_file
from modelsteward.registry._errors import ArtifactError
from modelsteward.registry._flavors import Prepared, load_artifact, prepare
from modelsteward.registry._lineage import (
    code_version as git_code_version,
)
from modelsteward.registry._lineage import (
    fingerprint_table,
    infer_schema,
    mismatch_error,
    normalize_schema,
    schema_diff,
)
from modelsteward.registry._onnx import (
    onnx_feeds,
    onnx_input_schema,
    onnx_labels,
    onnx_probabilities,
)
from modelsteward.store.audit import jsonable
from modelsteward.store.registry import (
    ANY,
    CHAMPION,
    AliasMove,
    ModelVersion,
    RegisteredModel,
    RegistryRepository,
    VersionSpec,
    check_name,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from modelsteward.settings import Settings
    from modelsteward.store import Store

__all__ = ["LoadedModel", "Registry", "default_actor"]

SchemaPolicy = Literal["error", "reject", "allow"]
_AUTO = "auto"


def default_actor() -> str:
    """Who acts when no actor is given: the operating-system user."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@dataclass(frozen=True)
class LoadedModel:
    """A loaded version: ``model`` is the estimator, ONNX session or function."""

    version: ModelVersion
    model: Any

    def predict(self, inputs: Any) -> Any:
        """Predictions for ``inputs`` (whatever the underlying model accepts).

        An ONNX model takes a 2-D array, a DataFrame or ``{column: values}``, cast to the
        element type its graph declares (see :func:`onnx_feeds`).
        """
        if self.version.flavor == "callable":
            return self.model(inputs)
        if self.version.flavor == "onnx":
            return onnx_labels(self._onnx(inputs)[0])
        return self.model.predict(inputs)

    def predict_proba(self, inputs: Any) -> Any:
        """Class probabilities, for models that give them (``[N, classes]``)."""
        if self.version.flavor == "onnx":
            outputs = self._onnx(inputs)
            if len(outputs) > 1:
                return onnx_probabilities(outputs[1])
        elif callable(getattr(self.model, "predict_proba", None)):
            return self.model.predict_proba(inputs)
        raise ParameterError(
            f"Version {self.version.version} of {self.version.model} "
            f"({self.version.flavor}) gives no probabilities."
        )

    def _onnx(self, inputs: Any) -> list[Any]:
        return list(self.model.run(None, onnx_feeds(self.model, inputs)))


class Registry:
    """Model versions, aliases with full history, lineage, artifacts and rollback.

    Every registration, rejection, alias move and rollback is written to the audit log in
    the transaction that makes it.

    Parameters
    ----------
    store:
        A migrated :class:`modelsteward.store.Store`.
    artifacts:
        Folder (or fsspec URL) under which artifacts are kept as ``<model>/<version>/<file>``;
        :meth:`from_settings` uses ``$STEWARD_HOME/artifacts``.

    Examples
    --------
    >>> import tempfile
    >>> from modelsteward.store import Store
    >>> home = tempfile.mkdtemp()
    >>> store = Store(f"sqlite:///{home}/steward.db")
    >>> store.upgrade()
    >>> registry = Registry(store, artifacts=f"{home}/artifacts")
    >>> v1 = registry.register("churn", "math:floor", flavor="callable", actor="ann")
    >>> v2 = registry.register("churn", "math:ceil", flavor="callable", actor="ann")
    >>> _ = registry.set_alias("churn", "champion", "1", reason="first model", actor="ann")
    >>> _ = registry.set_alias("churn", "champion", "2", reason="better AUC", actor="ann")
    >>> move = registry.rollback("churn", reason="latency regression", actor="oncall")
    >>> (move.from_version, move.to_version), registry.aliases("churn")
    (('2', '1'), {'champion': '1'})
    >>> registry.load("churn").predict(2.5)
    2
    """

    def __init__(self, store: Store, *, artifacts: str | Path) -> None:
        self.store = store
        self.repository = RegistryRepository(store.engine)
        self.artifacts: ArtifactStore = open_artifact_store(artifacts)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> Registry:
        """The registry of the configured store, artifacts under ``$STEWARD_HOME/artifacts``."""
        if store is None:
            from modelsteward.store import Store

            store = Store.from_settings(settings)
            store.upgrade()
        return cls(store, artifacts=Path(settings.home).expanduser() / "artifacts")

    # -- registering ------------------------------------------------------------------------
    def register(
        self,
        model: str,
        artifact: Any,
        *,
        flavor: str,
        version: str | None = None,
        trust: bool = False,
        input_schema: Mapping[str, str] | Sequence[str] | None = None,
        training_data: Any = None,
        target: str | None = None,
        training_profile: bool = False,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        parent: str | None = None,
        code_version: str | None = _AUTO,
        description: str | None = None,
        actor: str | None = None,
        on_schema_mismatch: SchemaPolicy = "error",
        rejected_reason: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Register a new version of ``model`` and return it.

        ``artifact`` is a file path, a fitted estimator or ONNX model, or for
        ``flavor="callable"`` an import path ``"module:function"`` or a function. It is loaded
        once to check it (pickles only with ``trust=True``). ``training_data`` (a path or a
        table) is fingerprinted, and profiled with ``training_profile=True``. The input schema
        is ``input_schema``, else inferred from the model's ``feature_names_in_`` and the
        training data (minus ``target``). When it differs from the champion's,
        ``on_schema_mismatch`` decides: ``"error"`` raises :class:`SchemaMismatchError` (the
        refusal is audited), ``"reject"`` registers the version as rejected with the
        difference as evidence, ``"allow"`` registers it anyway. ``rejected_reason`` registers
        a version as rejected straight away (e.g. a candidate that failed its evaluation gate),
        with ``evidence``. ``version`` defaults to the next number.
        """
        check_name("model name", model)
        if version is not None:
            check_name("version", version)
        if on_schema_mismatch not in ("error", "reject", "allow"):
            raise ParameterError(
                "on_schema_mismatch must be 'error', 'reject' or 'allow'. "
                f"Got {on_schema_mismatch!r} instead."
            )
        actor = actor or default_actor()
        clean_params = _json_object("params", params)
        clean_metrics = _metrics(metrics)
        clean_evidence = _json_object("evidence", evidence) if evidence is not None else None
        if parent is not None and parent not in {v.version for v in self._versions_or_none(model)}:
            from modelsteward.store import NotFoundError

            raise NotFoundError(
                f"The parent version {parent!r} of {model} does not exist; "
                f"see `steward registry show {model}`."
            )
        with tempfile.TemporaryDirectory(prefix="steward-register-") as workdir:
            prepared = prepare(flavor, artifact, trust=trust, workdir=Path(workdir))
            training = None
            fingerprint: str | None = None
            rows: int | None = None
            profile_json: str | None = None
            if training_data is not None:
                from modelsteward.data import open_table

                training = open_table(training_data)
                fingerprint, rows = fingerprint_table(training)
                if training_profile:
                    from modelsteward.profiles import profile_table

                    profile_json = profile_table(training).to_json()
            schema = normalize_schema(input_schema)
            if schema is None and flavor == "onnx":
                schema = onnx_input_schema(prepared.obj)
            if schema is None:
                schema = infer_schema(prepared.obj, training, target)
            status, reason, evidence_out = "registered", None, clean_evidence
            if rejected_reason is not None:
                status, reason = "rejected", rejected_reason
            mismatch = self._schema_mismatch(model, schema)
            if mismatch is not None and on_schema_mismatch != "allow":
                champion, diff = mismatch
                error = mismatch_error(model, champion, diff)
                if on_schema_mismatch == "error":
                    self.repository.audit.append(
                        "registry.register_refused",
                        model,
                        {"version": version, "reason": str(error), "schema_diff": diff},
                        actor=actor,
                    )
                    raise error
                status, reason = "rejected", str(error)
                evidence_out = {**(evidence_out or {}), "schema_diff": diff}
            spec = VersionSpec(
                flavor=flavor,
                artifact_uri=prepared.uri or "",
                artifact_format=prepared.artifact_format,
                artifact_sha256=prepared.sha256,
                input_schema=schema,
                status=status,
                status_reason=reason,
                evidence=evidence_out,
                params=clean_params,
                metrics=clean_metrics,
                training_fingerprint=fingerprint,
                training_rows=rows,
                training_profile=profile_json,
                code_version=git_code_version() if code_version == _AUTO else code_version,
                parent_version=parent,
                description=description,
            )
            return self._store(model, version, prepared, spec, actor)

    def _store(
        self,
        model: str,
        version: str | None,
        prepared: Prepared,
        spec: VersionSpec,
        actor: str,
    ) -> ModelVersion:
        if prepared.source is None:  # a callable: nothing to copy
            return self.repository.audit.write(
                lambda conn: self._insert(conn, model, version, spec, actor)
            )
        assert prepared.filename is not None
        staged = self.artifacts.stage(prepared.source, model, prepared.filename)
        placed: list[str] = []

        def run(conn: Connection) -> ModelVersion:
            if placed:  # a retry after a failed commit: take the file back first
                self.artifacts.unplace(staged, model, placed.pop())
            number, label = self.repository.allocate(conn, model, version)
            uri = self.artifacts.place(staged, model, label)
            placed.append(label)
            full = replace(
                spec, artifact_uri=uri, artifact_sha256=staged.sha256, artifact_bytes=staged.size
            )
            return self.repository.insert(conn, model, number, label, full, actor=actor)

        try:
            return self.repository.audit.write(run)
        except BaseException:
            if placed:
                self.artifacts.unplace(staged, model, placed.pop())
            self.artifacts.discard(staged)
            raise

    def _insert(
        self, conn: Connection, model: str, version: str | None, spec: VersionSpec, actor: str
    ) -> ModelVersion:
        number, label = self.repository.allocate(conn, model, version)
        return self.repository.insert(conn, model, number, label, spec, actor=actor)

    def _versions_or_none(self, model: str) -> list[ModelVersion]:
        from modelsteward.store import NotFoundError

        try:
            return self.repository.versions(model)
        except NotFoundError:
            return []

    def _schema_mismatch(
        self, model: str, schema: dict[str, str] | None
    ) -> tuple[str, dict[str, Any]] | None:
        champion = self.repository.alias_version(model, CHAMPION)
        if champion is None or schema is None:
            return None
        reference = self.repository.get(model, champion).input_schema
        if reference is None:
            return None
        diff = schema_diff(reference, schema)
        if diff["missing"] or diff["extra"] or diff["changed"]:
            return champion, diff
        return None

    def reject(
        self,
        model: str,
        version: str,
        *,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:
        """Mark a version rejected, with the reason and the evidence (metric values, tests)."""
        return self.repository.set_status(
            model,
            version,
            "rejected",
            reason=reason,
            evidence=_json_object("evidence", evidence),
            actor=actor or default_actor(),
        )

    def archive(
        self, model: str, version: str, *, reason: str, actor: str | None = None
    ) -> ModelVersion:
        """Mark a version archived (it must not hold an alias)."""
        return self.repository.set_status(
            model, version, "archived", reason=reason, actor=actor or default_actor()
        )

    # -- aliases ----------------------------------------------------------------------------
    def set_alias(
        self,
        model: str,
        alias: str,
        version: str,
        *,
        reason: str,
        actor: str | None = None,
        expected: str | None = ANY,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        """Point ``alias`` at ``version``.

        Give ``expected`` (the version the alias points to as you last saw it, ``None`` for
        unset) to move it only if nobody moved it meanwhile; otherwise
        :class:`~modelsteward.store.ConflictError` is raised and the refused attempt is
        audited. ``evidence`` (metric values, test results) is kept in the audit entry.
        """
        return self.repository.move_alias(
            model,
            alias,
            version,
            reason=reason,
            actor=actor or default_actor(),
            expected=expected,
            evidence=None if evidence is None else _json_object("evidence", evidence),
        )

    def remove_alias(
        self,
        model: str,
        alias: str,
        *,
        reason: str,
        actor: str | None = None,
        expected: str | None = ANY,
    ) -> AliasMove:
        return self.repository.move_alias(
            model, alias, None, reason=reason, actor=actor or default_actor(), expected=expected
        )

    def promote(
        self,
        model: str,
        version: str,
        *,
        reason: str,
        actor: str | None = None,
        expected: str | None = ANY,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        """Make ``version`` the champion (the old champion is archived)."""
        return self.set_alias(
            model,
            CHAMPION,
            version,
            reason=reason,
            actor=actor,
            expected=expected,
            evidence=evidence,
        )

    def rollback(
        self,
        model: str,
        *,
        reason: str,
        actor: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        """Move ``champion`` back to the previous champion; the current one is archived.

        The previous champion is found by replaying the champion's history (a rollback
        undoes the move before it), skipping versions rejected since.
        """
        return self.repository.rollback(
            model,
            reason=reason,
            actor=actor or default_actor(),
            evidence=None if evidence is None else _json_object("evidence", evidence),
        )

    # -- reading ----------------------------------------------------------------------------
    def models(self) -> list[RegisteredModel]:
        return self.repository.models()

    def versions(self, model: str) -> list[ModelVersion]:
        return self.repository.versions(model)

    def aliases(self, model: str) -> dict[str, str]:
        return self.repository.aliases(model)

    def history(self, model: str, alias: str | None = None) -> list[AliasMove]:
        """Every alias move of ``model`` (or of one alias), oldest first."""
        self.repository.versions(model)  # NotFoundError for unknown models
        return self.repository.history(model, alias)

    def get(
        self, model: str, version: str | None = None, *, alias: str | None = None
    ) -> ModelVersion:
        """A version by label or alias; with neither, the champion, else the latest version
        that was not rejected."""
        if version is not None and alias is not None:
            raise ParameterError("Give a version or an alias, not both.")
        if alias is not None:
            target = self.repository.alias_version(model, alias)
            if target is None:
                from modelsteward.store import NotFoundError

                self.repository.versions(model)
                raise NotFoundError(
                    f"{model} has no alias {alias!r}; its aliases: "
                    f"{', '.join(self.aliases(model)) or 'none'}."
                )
            return self.repository.get(model, target)
        if version is not None:
            return self.repository.get(model, version)
        champion = self.repository.alias_version(model, CHAMPION)
        if champion is not None:
            return self.repository.get(model, champion)
        usable = [v for v in self.repository.versions(model) if v.status != "rejected"]
        if not usable:
            from modelsteward.store.registry import RegistryStateError

            raise RegistryStateError(
                f"Every version of {model} was rejected; name one explicitly to use it."
            )
        return usable[-1]

    def training_profile(self, model: str, version: str) -> str | None:
        """The JSON of the training-data profile recorded at registration, if any."""
        return self.repository.training_profile(model, version)

    def artifact_path(self, model: str, version: str) -> Path:
        """A local file with the artifact of a version, checked against its recorded hash."""
        found = self.repository.get(model, version)
        if found.flavor == "callable":
            raise ParameterError(
                f"Version {version} of {model} is a callable ({found.artifact_uri}); "
                "it has no artifact file."
            )
        return self._checked_path(found)

    def _checked_path(self, found: ModelVersion) -> Path:
        path = self.artifacts.local_path(found.artifact_uri)
        sha, _ = sha256_file(path)
        if found.artifact_sha256 is not None and sha != found.artifact_sha256:
            raise ArtifactError(
                f"the artifact of {found.model} version {found.version} ({path}) was modified "
                f"after registration: its SHA-256 is {sha[:16]}..., the registry recorded "
                f"{found.artifact_sha256[:16]}...; restore the file or register it again"
            )
        return path

    def load(
        self,
        model: str,
        version: str | None = None,
        *,
        alias: str | None = None,
        trust: bool = False,
    ) -> LoadedModel:
        """Load a version (default: the champion, else the latest) after checking its hash.

        Pickled scikit-learn artifacts load only with ``trust=True``.
        """
        found = self.get(model, version, alias=alias)
        label = f"{model} version {found.version}"
        if found.flavor == "callable":
            obj = load_artifact(
                "callable", found.artifact_format, found.artifact_uri, trust=trust, label=label
            )
        else:
            path = self._checked_path(found)
            obj = load_artifact(
                found.flavor,
                found.artifact_format,
                path,
                trust=trust,
                label=f"{label} ({path.name})",
            )
        return LoadedModel(found, obj)


def _json_object(what: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParameterError(f"The {what} must be a JSON object (a mapping). Got {value!r:.80}.")
    clean = jsonable(value)
    json.dumps(clean)
    return dict(clean)


def _metrics(value: Mapping[str, Any] | None) -> dict[str, Any]:
    for name, metric in (value or {}).items():
        if isinstance(metric, float) and not math.isfinite(metric):
            raise ParameterError(f"The metric {name!r} must be a finite number. Got {metric}.")
    clean = _json_object("metrics", value)
    for name, metric in clean.items():
        if metric is None:
            continue
        if (
            isinstance(metric, bool)
            or not isinstance(metric, (int, float))
            or not math.isfinite(metric)
        ):
            raise ParameterError(
                f"The metric {name!r} must be a finite number. Got {metric!r} instead."
            )
    return clean
