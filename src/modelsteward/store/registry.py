"""Storage of the model registry: versions, aliases and the history of every alias move.

Every write runs in one transaction with its audit entry (:mod:`modelsteward.store.audit`)
and starts by locking the audit chain head, so registry writes are serialised on both
dialects: version numbers never collide and an alias compare-and-set sees the last commit.
Files (artifacts) are handled by :mod:`modelsteward.registry`, not here.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import ParameterError
from modelsteward.store._engine import read_tx
from modelsteward.store._errors import ConflictError, NotFoundError
from modelsteward.store._orm import ModelRow, ModelVersionRow
from modelsteward.store._orm._registry import (
    RegistryAliasEventRow,
    RegistryAliasRow,
    RegistryVersionRow,
)
from modelsteward.store._registry_domain import (
    ANY,
    CHAMPION,
    STATUSES,
    AliasMove,
    ModelVersion,
    RegisteredModel,
    RegistryStateError,
    VersionSpec,
    champion_stack,
    check_alias,
    check_name,
    check_reason,
    describe_version,
    schema_to_json,
    to_alias_move,
    to_model_version,
)
from modelsteward.store._repos._common import upsert_insert, utcnow
from modelsteward.store.audit import AuditRepository

__all__ = [
    "ANY",
    "CHAMPION",
    "STATUSES",
    "AliasMove",
    "ModelVersion",
    "RegisteredModel",
    "RegistryRepository",
    "RegistryStateError",
    "VersionSpec",
    "check_name",
]

_V = cast(sa.Table, RegistryVersionRow.__table__)
_A = cast(sa.Table, RegistryAliasRow.__table__)
_H = cast(sa.Table, RegistryAliasEventRow.__table__)
_M = cast(sa.Table, ModelRow.__table__)
_MV = cast(sa.Table, ModelVersionRow.__table__)


@dataclass(frozen=True)
class _Conflict:
    current: str | None


class RegistryRepository:
    """Versions, aliases and alias history; each write audited in its own transaction."""

    def __init__(self, engine: Engine, audit: AuditRepository | None = None) -> None:
        self._engine = engine
        self.audit = audit or AuditRepository(engine)

    # -- versions -----------------------------------------------------------------------------
    def allocate(self, conn: Connection, model: str, version: str | None) -> tuple[int, str]:
        """Lock the registry for this transaction; the next number and the version label."""
        check_name("model name", model)
        self._lock(conn)
        number = (
            int(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(_V.c.number), 0)).where(
                        _V.c.model == model
                    )
                ).scalar_one()
            )
            + 1
        )
        label = check_name("version", version) if version is not None else str(number)
        taken = conn.execute(
            sa.select(_V.c.id).where(_V.c.model == model, _V.c.version == label)
        ).first()
        if taken is not None:
            raise ConflictError(
                f"{model} has a version {label!r} already; pick another version label "
                "or leave it out to number versions automatically."
            )
        return number, label

    def insert(
        self,
        conn: Connection,
        model: str,
        number: int,
        version: str,
        spec: VersionSpec,
        *,
        actor: str,
    ) -> ModelVersion:
        """Insert a version allocated by :meth:`allocate` and audit it, in ``conn``."""
        if spec.status not in ("registered", "rejected"):
            raise ParameterError(
                f"A new version is 'registered' or 'rejected'. Got {spec.status!r} instead."
            )
        if spec.parent_version is not None and self._row(conn, model, spec.parent_version) is None:
            raise NotFoundError(
                f"The parent version {spec.parent_version!r} of {model} does not exist; "
                f"see `steward registry show {model}`."
            )
        now = utcnow()
        values = {
            "model": model,
            "version": version,
            "number": number,
            "flavor": spec.flavor,
            "artifact_uri": spec.artifact_uri,
            "artifact_format": spec.artifact_format,
            "artifact_sha256": spec.artifact_sha256,
            "artifact_bytes": spec.artifact_bytes,
            "input_schema": schema_to_json(spec.input_schema),
            "status": spec.status,
            "status_reason": spec.status_reason,
            "evidence": spec.evidence,
            "params": spec.params or {},
            "metrics": spec.metrics or {},
            "training_fingerprint": spec.training_fingerprint,
            "training_rows": spec.training_rows,
            "training_profile": spec.training_profile,
            "code_version": spec.code_version,
            "parent_version": spec.parent_version,
            "description": spec.description,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(_V.insert().values(**values))
        model_id = conn.execute(sa.select(_M.c.id).where(_M.c.name == model)).scalar()
        if model_id is not None:  # a monitored model: its version list gains the label
            stmt = upsert_insert(conn, _MV).on_conflict_do_nothing()
            conn.execute(stmt, [{"model_id": model_id, "label": version, "created_at": now}])
        details: dict[str, Any] = {
            "version": version,
            "status": spec.status,
            "flavor": spec.flavor,
            "artifact_sha256": spec.artifact_sha256,
            "artifact_uri": spec.artifact_uri,
            "input_schema": spec.input_schema,
            "training_fingerprint": spec.training_fingerprint,
            "code_version": spec.code_version,
            "parent_version": spec.parent_version,
            "params": spec.params or {},
            "metrics": spec.metrics or {},
        }
        if spec.status == "rejected":
            details.update(reason=spec.status_reason, evidence=spec.evidence)
        action = "registry.reject" if spec.status == "rejected" else "registry.register"
        self.audit.append_in(conn, action, model, details, actor=actor)
        found = self._get(conn, model, version)
        assert found is not None
        return found

    def set_status(
        self,
        model: str,
        version: str,
        status: str,
        *,
        reason: str,
        actor: str,
        evidence: dict[str, Any] | None = None,
    ) -> ModelVersion:
        """Reject or archive a version (with the reason and evidence), audited."""
        if status not in ("rejected", "archived", "registered"):
            raise ParameterError(
                "A version can be set to 'rejected', 'archived' or 'registered' directly "
                f"(champion comes from the alias). Got {status!r} instead."
            )

        def run(conn: Connection) -> ModelVersion:
            self._lock(conn)
            current = self._require(conn, model, version)
            held = self._aliases_of(conn, model).get(version, ())
            if held and status != "registered":
                raise RegistryStateError(
                    f"Version {version} of {model} holds the alias(es) {', '.join(held)}; "
                    f"move them to another version before setting it {status}."
                )
            conn.execute(
                _V.update()
                .where(_V.c.model == model, _V.c.version == version)
                .values(
                    status=status,
                    status_reason=reason,
                    evidence=evidence if evidence is not None else current.evidence,
                    updated_at=utcnow(),
                )
            )
            action = {"rejected": "registry.reject", "archived": "registry.archive"}.get(
                status, "registry.status"
            )
            self.audit.append_in(
                conn,
                action,
                model,
                {
                    "version": version,
                    "from_status": current.status,
                    "status": status,
                    "reason": reason,
                    "evidence": evidence,
                },
                actor=actor,
            )
            found = self._get(conn, model, version)
            assert found is not None
            return found

        return self.audit.write(run)

    def get(self, model: str, version: str) -> ModelVersion:
        with read_tx(self._engine) as conn:
            return self._require(conn, model, version)

    def training_profile(self, model: str, version: str) -> str | None:
        with read_tx(self._engine) as conn:
            self._require(conn, model, version)
            return cast(
                "str | None",
                conn.execute(
                    sa.select(_V.c.training_profile).where(
                        _V.c.model == model, _V.c.version == version
                    )
                ).scalar(),
            )

    def versions(self, model: str) -> builtins.list[ModelVersion]:
        with read_tx(self._engine) as conn:
            held = self._aliases_of(conn, model)
            rows = conn.execute(
                sa.select(*_version_columns()).where(_V.c.model == model).order_by(_V.c.number)
            ).mappings()
            out = [to_model_version(r, held.get(r["version"], ())) for r in rows]
        if not out:
            raise _no_model(model)
        return out

    def models(self) -> builtins.list[RegisteredModel]:
        with read_tx(self._engine) as conn:
            rows = conn.execute(
                sa.select(_V.c.model, sa.func.count(), sa.func.max(_V.c.number))
                .group_by(_V.c.model)
                .order_by(_V.c.model)
            ).all()
            aliases = conn.execute(
                sa.select(_A.c.model, _A.c.alias, _A.c.version).order_by(_A.c.alias)
            ).all()
            latest = {
                (m, n): v
                for m, n, v in conn.execute(sa.select(_V.c.model, _V.c.number, _V.c.version))
            }
        by_model: dict[str, dict[str, str]] = {}
        for m, a, v in aliases:
            by_model.setdefault(m, {})[a] = v
        return [
            RegisteredModel(m, int(count), latest.get((m, top)), by_model.get(m, {}))
            for m, count, top in rows
        ]

    # -- aliases ------------------------------------------------------------------------------
    def aliases(self, model: str) -> dict[str, str]:
        with read_tx(self._engine) as conn:
            rows = conn.execute(
                sa.select(_A.c.alias, _A.c.version).where(_A.c.model == model).order_by(_A.c.alias)
            ).all()
        return {str(a): str(v) for a, v in rows}

    def alias_version(self, model: str, alias: str) -> str | None:
        with read_tx(self._engine) as conn:
            return self._alias(conn, model, alias)

    def history(self, model: str, alias: str | None = None) -> builtins.list[AliasMove]:
        stmt = sa.select(_H).where(_H.c.model == model).order_by(_H.c.id)
        if alias is not None:
            stmt = stmt.where(_H.c.alias == alias)
        with read_tx(self._engine) as conn:
            return [to_alias_move(r) for r in conn.execute(stmt).mappings()]

    def move_alias(
        self,
        model: str,
        alias: str,
        version: str | None,
        *,
        reason: str,
        actor: str,
        expected: str | None = ANY,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` (``None`` removes it); compare-and-set on ``expected``.

        With ``expected`` given (a version, or ``None`` for "unset"), the move happens only if
        the alias still points there; otherwise nothing changes, the refused attempt is
        audited (``registry.alias_conflict``) and :class:`ConflictError` is raised.
        ``evidence`` (metric values, test results) goes into the audit entry.
        """
        check_alias(alias)
        check_reason(reason)

        def run(conn: Connection) -> AliasMove | _Conflict:
            self._lock(conn)
            current = self._alias(conn, model, alias)
            if expected is not ANY and current != expected:
                self.audit.append_in(
                    conn,
                    "registry.alias_conflict",
                    model,
                    {
                        "alias": alias,
                        "expected": expected,
                        "actual": current,
                        "attempted": version,
                        "reason": reason,
                    },
                    actor=actor,
                )
                return _Conflict(current)
            kind = "move" if version is not None else "remove"
            return self._move(conn, model, alias, current, version, kind, reason, actor, evidence)

        result = self.audit.write(run)
        if isinstance(result, _Conflict):
            raise ConflictError(
                f"The alias {alias} of {model} points to {describe_version(result.current)} "
                f"now, not {describe_version(expected)} as expected: someone moved it "
                "meanwhile. Nothing was changed; check "
                f"`steward registry history {model} --alias {alias}` and try again."
            )
        return result

    def rollback(
        self,
        model: str,
        *,
        reason: str,
        actor: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        """Move ``champion`` back to the previous champion (skipping rejected versions)."""
        check_reason(reason)

        def run(conn: Connection) -> AliasMove:
            self._lock(conn)
            current = self._alias(conn, model, CHAMPION)
            if current is None:
                raise RegistryStateError(f"{model} has no champion to roll back.")
            stack = champion_stack(
                conn.execute(
                    sa.select(_H.c.kind, _H.c.to_version)
                    .where(_H.c.model == model, _H.c.alias == CHAMPION)
                    .order_by(_H.c.id)
                ).all()
            )
            if stack and stack[-1] == current:
                stack.pop()
            while stack:
                candidate = self._get(conn, model, stack[-1])
                if candidate is not None and candidate.status != "rejected":
                    break
                stack.pop()
            if not stack:
                raise RegistryStateError(
                    f"{model} has no previous champion to roll back to (the champion "
                    f"{current} is the first); move the alias to a version instead."
                )
            return self._move(
                conn, model, CHAMPION, current, stack[-1], "rollback", reason, actor, evidence
            )

        return self.audit.write(run)

    # -- internals ----------------------------------------------------------------------------
    def _move(
        self,
        conn: Connection,
        model: str,
        alias: str,
        current: str | None,
        version: str | None,
        kind: str,
        reason: str,
        actor: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> AliasMove:
        now = utcnow()
        if version is not None:
            target = self._require(conn, model, version)
            if target.status == "rejected":
                raise RegistryStateError(
                    f"Version {version} of {model} was rejected ({target.status_reason}); "
                    f"it cannot take the alias {alias}."
                )
            if current == version:
                raise RegistryStateError(
                    f"The alias {alias} of {model} points to version {version} already."
                )
        elif current is None:
            raise NotFoundError(f"{model} has no alias {alias!r} to remove.")
        if current is None:
            conn.execute(
                _A.insert().values(
                    model=model,
                    alias=alias,
                    version=version,
                    revision=1,
                    updated_by=actor,
                    updated_at=now,
                )
            )
        elif version is None:
            conn.execute(_A.delete().where(_A.c.model == model, _A.c.alias == alias))
        else:
            conn.execute(
                _A.update()
                .where(_A.c.model == model, _A.c.alias == alias)
                .values(
                    version=version, revision=_A.c.revision + 1, updated_by=actor, updated_at=now
                )
            )
        if alias == CHAMPION:
            self._champion_status(conn, model, current, version, kind, reason, now)
        details: dict[str, Any] = {
            "alias": alias,
            "from": current,
            "to": version,
            "kind": kind,
            "reason": reason,
        }
        if evidence is not None:
            details["evidence"] = dict(evidence)
        entry = self.audit.append_in(
            conn,
            {"move": "registry.alias_move", "remove": "registry.alias_remove"}.get(
                kind, "registry.rollback"
            ),
            model,
            details,
            actor=actor,
        )
        conn.execute(
            _H.insert().values(
                model=model,
                alias=alias,
                from_version=current,
                to_version=version,
                kind=kind,
                actor=actor,
                reason=reason,
                ts=now,
                audit_seq=entry.seq,
            )
        )
        return AliasMove(model, alias, current, version, kind, actor, reason, now, entry.seq)

    def _champion_status(
        self,
        conn: Connection,
        model: str,
        old: str | None,
        new: str | None,
        kind: str,
        reason: str,
        now: datetime,
    ) -> None:
        if old is not None:
            note = (
                f"rolled back: {reason}"
                if kind == "rollback"
                else f"replaced as champion by version {new}"
                if new is not None
                else f"champion alias removed: {reason}"
            )
            status = "registered" if new is None else "archived"
            conn.execute(
                _V.update()
                .where(_V.c.model == model, _V.c.version == old)
                .values(status=status, status_reason=note, updated_at=now)
            )
        if new is not None:
            conn.execute(
                _V.update()
                .where(_V.c.model == model, _V.c.version == new)
                .values(status="champion", status_reason=reason, updated_at=now)
            )

    def _lock(self, conn: Connection) -> None:
        """Serialise registry writes on the audit chain head (PostgreSQL row lock)."""
        self.audit.lock_head(conn)

    @staticmethod
    def _alias(conn: Connection, model: str, alias: str) -> str | None:
        return cast(
            "str | None",
            conn.execute(
                sa.select(_A.c.version).where(_A.c.model == model, _A.c.alias == alias)
            ).scalar(),
        )

    @staticmethod
    def _aliases_of(conn: Connection, model: str) -> dict[str, tuple[str, ...]]:
        out: dict[str, builtins.list[str]] = {}
        for alias, version in conn.execute(
            sa.select(_A.c.alias, _A.c.version).where(_A.c.model == model).order_by(_A.c.alias)
        ):
            out.setdefault(version, []).append(alias)
        return {k: tuple(v) for k, v in out.items()}

    def _row(self, conn: Connection, model: str, version: str) -> Any:
        return (
            conn.execute(
                sa.select(*_version_columns()).where(_V.c.model == model, _V.c.version == version)
            )
            .mappings()
            .first()
        )

    def _get(self, conn: Connection, model: str, version: str) -> ModelVersion | None:
        row = self._row(conn, model, version)
        if row is None:
            return None
        return to_model_version(row, self._aliases_of(conn, model).get(version, ()))

    def _require(self, conn: Connection, model: str, version: str) -> ModelVersion:
        found = self._get(conn, model, version)
        if found is not None:
            return found
        exists = conn.execute(sa.select(_V.c.id).where(_V.c.model == model).limit(1)).first()
        if exists is None:
            raise _no_model(model)
        raise NotFoundError(
            f"{model} has no version {version!r}; see `steward registry show {model}`."
        )


def _no_model(model: str) -> NotFoundError:
    return NotFoundError(
        f"No registered model named {model!r}; register a version first "
        f"(steward registry register {model} --artifact FILE --flavor ...)."
    )


def _version_columns() -> builtins.list[Any]:
    return [c for c in _V.c if c.name != "training_profile"] + [
        _V.c.training_profile.is_not(None).label("has_training_profile")
    ]
