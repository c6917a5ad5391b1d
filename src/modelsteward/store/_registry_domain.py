"""Domain objects of the model registry, and the rules for names, aliases and rollback."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelsteward.errors import ParameterError, StewardError

__all__ = [
    "ANY",
    "CHAMPION",
    "STATUSES",
    "AliasMove",
    "ModelVersion",
    "RegisteredModel",
    "RegistryStateError",
    "VersionSpec",
    "champion_stack",
    "check_alias",
    "check_name",
    "check_reason",
    "describe_version",
    "schema_from_json",
    "schema_to_json",
    "to_alias_move",
    "to_model_version",
]

STATUSES = ("registered", "rejected", "champion", "archived")
CHAMPION = "champion"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,99}$")


class _Any:
    def __repr__(self) -> str:
        return "ANY"


#: ``expected=ANY`` (the default) moves an alias whatever it points to now.
ANY: Any = _Any()


class RegistryStateError(StewardError):
    """The version is in a state that forbids the operation (e.g. aliasing a rejected one)."""


def check_name(what: str, value: str) -> str:
    """Validate a model name or version label (they become folder names of artifacts)."""
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        raise ParameterError(
            f"A {what} must be 1-200 letters, digits, '.', '_' or '-', starting with a letter "
            f"or digit. Got {value!r} instead."
        )
    return value


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise ParameterError(
            "An alias must be 1-100 letters, digits, '.', '_' or '-', starting with a letter "
            f"(e.g. champion, challenger, shadow). Got {alias!r} instead."
        )
    return alias


@dataclass(frozen=True)
class VersionSpec:
    """What a new version is made of; :class:`RegistryRepository` adds number and times."""

    flavor: str
    artifact_uri: str
    artifact_format: str
    artifact_sha256: str | None = None
    artifact_bytes: int | None = None
    input_schema: dict[str, str] | None = None
    status: str = "registered"
    status_reason: str | None = None
    evidence: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    training_fingerprint: str | None = None
    training_rows: int | None = None
    training_profile: str | None = None
    code_version: str | None = None
    parent_version: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ModelVersion:
    """A registered version: artifact, flavor, schema, lineage and status."""

    model: str
    version: str
    number: int
    flavor: str
    artifact_uri: str
    artifact_format: str
    artifact_sha256: str | None
    artifact_bytes: int | None
    input_schema: dict[str, str] | None
    status: str
    status_reason: str | None
    evidence: dict[str, Any] | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    training_fingerprint: str | None
    training_rows: int | None
    has_training_profile: bool
    code_version: str | None
    parent_version: str | None
    description: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "number": self.number,
            "status": self.status,
            "status_reason": self.status_reason,
            "aliases": list(self.aliases),
            "flavor": self.flavor,
            "artifact": {
                "uri": self.artifact_uri,
                "format": self.artifact_format,
                "sha256": self.artifact_sha256,
                "bytes": self.artifact_bytes,
            },
            "input_schema": self.input_schema,
            "lineage": {
                "training_fingerprint": self.training_fingerprint,
                "training_rows": self.training_rows,
                "training_profile": self.has_training_profile,
                "code_version": self.code_version,
                "parent_version": self.parent_version,
                "params": self.params,
                "metrics": self.metrics,
            },
            "evidence": self.evidence,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class AliasMove:
    """One change of an alias: who moved it from which version to which, when and why.

    ``kind`` is ``move``, ``rollback`` or ``remove``; ``to_version`` is ``None`` for a removal.
    """

    model: str
    alias: str
    from_version: str | None
    to_version: str | None
    kind: str
    actor: str
    reason: str
    ts: datetime
    audit_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "kind": self.kind,
            "actor": self.actor,
            "reason": self.reason,
            "ts": self.ts.isoformat(),
            "audit_seq": self.audit_seq,
        }


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    versions: int
    latest: str | None
    aliases: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "versions": self.versions,
            "latest": self.latest,
            "aliases": self.aliases,
        }


def describe_version(version: str | None) -> str:
    return "nothing (unset)" if version is None else f"version {version}"


def check_reason(reason: str) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise ParameterError("Moving an alias needs a reason (--reason TEXT); it is audited.")


def champion_stack(events: Any) -> list[str]:
    """Replay the champion history: a move pushes, a rollback or removal pops."""
    stack: list[str] = []
    for kind, to_version in events:
        if kind == "move" and to_version is not None:
            if not stack or stack[-1] != to_version:
                stack.append(to_version)
        elif stack:
            stack.pop()
            if (
                kind == "rollback"
                and to_version is not None
                and (not stack or stack[-1] != to_version)
            ):
                stack.append(to_version)
    return stack


def schema_to_json(schema: dict[str, str] | None) -> Any:
    if schema is None:
        return None
    return [{"name": name, "kind": kind} for name, kind in schema.items()]


def schema_from_json(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    return {str(f["name"]): str(f["kind"]) for f in value}


def to_model_version(row: Any, aliases: tuple[str, ...]) -> ModelVersion:
    return ModelVersion(
        model=row["model"],
        version=row["version"],
        number=int(row["number"]),
        flavor=row["flavor"],
        artifact_uri=row["artifact_uri"],
        artifact_format=row["artifact_format"],
        artifact_sha256=row["artifact_sha256"],
        artifact_bytes=row["artifact_bytes"],
        input_schema=schema_from_json(row["input_schema"]),
        status=row["status"],
        status_reason=row["status_reason"],
        evidence=row["evidence"],
        params=row["params"] or {},
        metrics=row["metrics"] or {},
        training_fingerprint=row["training_fingerprint"],
        training_rows=row["training_rows"],
        has_training_profile=bool(row["has_training_profile"]),
        code_version=row["code_version"],
        parent_version=row["parent_version"],
        description=row["description"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        aliases=aliases,
    )


def to_alias_move(row: Any) -> AliasMove:
    return AliasMove(
        model=row["model"],
        alias=row["alias"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        kind=row["kind"],
        actor=row["actor"],
        reason=row["reason"],
        ts=row["ts"],
        audit_seq=row["audit_seq"],
    )
