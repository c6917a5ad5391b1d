"""Storage of the hash-chained audit log: append (which computes the chain) and reading.

The log lives in the store layer so that every layer above it (registry, retraining,
rollout, governance, server) can write entries, in the same transaction as the change they
record. Verification and export are in :mod:`modelsteward.governance.audit`.

Each entry is ``(seq, ts, actor, action, subject, details, prev_hash, hash)`` where
``hash = sha256(canonical JSON of every other field)``; ``prev_hash`` is the hash of the entry
before it (``"0" * 64`` for the first). Appends lock the single chain-head row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transaction is already exclusive),
so concurrent writers queue up instead of forking the chain.

>>> from modelsteward.store import Store
>>> store = Store("sqlite://")
>>> store.upgrade()
>>> log = AuditRepository(store.engine)
>>> first = log.append("model.created", "churn", {"task": "binary"}, actor="alice")
>>> second = log.append("alert.acknowledged", "churn", {"alert": 3}, actor="bob")
>>> (first.seq, second.seq, second.prev_hash == first.hash)
(1, 2, True)
>>> second.hash == second.expected_hash()
True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.errors import ParameterError, StewardError
from modelsteward.store._engine import read_tx, retrying, write_tx
from modelsteward.store._orm._audit import AuditEntryRow, AuditHeadRow

__all__ = [
    "GENESIS_HASH",
    "AuditChainError",
    "AuditEntry",
    "AuditEventLog",
    "AuditRepository",
    "AuditSnapshot",
    "canonical_json",
    "entry_hash",
    "format_ts",
    "jsonable",
]

T = TypeVar("T")
_E = cast(sa.Table, AuditEntryRow.__table__)
_H = cast(sa.Table, AuditHeadRow.__table__)

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
_HEAD_ID = 1


class AuditChainError(StewardError):
    """The audit log cannot be appended to (its chain head is missing or inconsistent)."""


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars to Python, datetimes to ISO 8601 text,
    tuples and sets to lists, NaN and infinities to ``None``.

    >>> jsonable({"p": float("nan"), "when": datetime(2026, 1, 1, tzinfo=UTC), "k": (1, 2)})
    {'p': None, 'when': '2026-01-01T00:00:00+00:00', 'k': [1, 2]}
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return jsonable(tolist())
    raise ParameterError(
        f"Audit details must be JSON data (dicts, lists, text, numbers, booleans, null); "
        f"got a value of type {type(value).__name__}: {value!r:.80}."
    )


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value`` that is hashed: sorted keys, no spaces, UTF-8.

    >>> canonical_json({"b": 1, "a": [1.5, "é"]})
    '{"a":[1.5,"é"],"b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def format_ts(ts: datetime) -> str:
    """An entry timestamp as hashed and exported: UTC ISO 8601 with microseconds."""
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    ts: str,
    actor: str,
    action: str,
    subject: str,
    details: Any,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's fields and the previous hash."""
    payload = canonical_json(
        {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log."""

    seq: int
    ts: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this entry's fields give (equal to :attr:`hash` unless it was edited)."""
        return entry_hash(
            seq=self.seq,
            ts=format_ts(self.ts),
            actor=self.actor,
            action=self.action,
            subject=self.subject,
            details=self.details,
            prev_hash=self.prev_hash,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": format_ts(self.ts),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def _check_text(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or len(value) > limit:
        raise ParameterError(
            f"The audit {name} must be text of at most {limit} characters. Got {value!r:.80}."
        )


class AuditRepository:
    """Append to and read the audit log.

    ``append`` runs in a transaction of its own; ``append_in`` joins the caller's write
    transaction (from :meth:`write`), so a change and its audit entry commit together.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- writing ----------------------------------------------------------------------------
    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in a write transaction, retried while the database is locked.

        ``fn`` may run more than once, so it must only touch the database (or undo what
        else it did when it raises).
        """

        def run() -> T:
            with write_tx(self._engine) as conn:
                return fn(conn)

        return retrying(run)

    def append(
        self,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str,
    ) -> AuditEntry:
        """Append one entry in a transaction of its own and return it."""
        clean = _clean_details(details)
        return self.write(lambda conn: self._append(conn, action, subject, clean, actor))

    def append_in(
        self,
        conn: Connection,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str,
    ) -> AuditEntry:
        """Append one entry inside the caller's write transaction ``conn``.

        Call it last in the transaction: it locks the chain head until the commit.
        """
        return self._append(conn, action, subject, _clean_details(details), actor)

    def lock_head(self, conn: Connection) -> tuple[int, str]:
        """Lock the chain head for the rest of the write transaction ``conn``; return it.

        Writers that must be serialised with each other (the registry's compare-and-set on
        aliases) take this lock first, before any other row lock, so locks are always taken
        in the same order. (A no-op lock on SQLite, whose write transaction is exclusive.)
        """
        head = conn.execute(
            sa.select(_H.c.seq, _H.c.hash).where(_H.c.id == _HEAD_ID).with_for_update()
        ).first()
        if head is None:
            raise AuditChainError(
                "The audit log has no chain head (the audit_head row was deleted); "
                "run `steward audit verify` and restore the database from a backup."
            )
        return int(head[0]), str(head[1])

    def _append(
        self, conn: Connection, action: str, subject: str, details: dict[str, Any], actor: str
    ) -> AuditEntry:
        _check_text("action", action, 100)
        _check_text("subject", subject, 400)
        _check_text("actor", actor, 200)
        if not action:
            raise ParameterError("An audit entry needs a non-empty action.")
        head = self.lock_head(conn)
        seq = int(head[0]) + 1
        prev_hash = str(head[1])
        ts = datetime.now(UTC)
        digest = entry_hash(
            seq=seq,
            ts=format_ts(ts),
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=prev_hash,
        )
        conn.execute(
            _E.insert().values(
                seq=seq,
                ts=ts,
                actor=actor,
                action=action,
                subject=subject,
                details=canonical_json(details),
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        conn.execute(_H.update().where(_H.c.id == _HEAD_ID).values(seq=seq, hash=digest))
        return AuditEntry(seq, ts, actor, action, subject, details, prev_hash, digest)

    # -- reading ----------------------------------------------------------------------------
    def head(self) -> tuple[int, str] | None:
        """``(seq, hash)`` of the last entry as recorded by the chain head, or ``None``."""
        with read_tx(self._engine) as conn:
            row = conn.execute(sa.select(_H.c.seq, _H.c.hash).where(_H.c.id == _HEAD_ID)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def entries(
        self,
        *,
        subject: str | None = None,
        action: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries in ``seq`` order (or newest first), optionally for one subject or action.

        Entries whose details no longer parse as JSON are returned with
        ``{"unparseable": <text>}`` as details; :func:`verify` reports them.
        """
        stmt = sa.select(_E).where(_E.c.seq > after_seq)
        if subject is not None:
            stmt = stmt.where(_E.c.subject == subject)
        if action is not None:
            stmt = stmt.where(_E.c.action == action)
        stmt = stmt.order_by(_E.c.seq.desc() if newest_first else _E.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with read_tx(self._engine) as conn:
            return [_to_entry(r) for r in conn.execute(stmt).mappings().all()]

    @contextmanager
    def snapshot(self) -> Iterator[AuditSnapshot]:
        """A consistent view of the whole log (its head and entries) while the block runs.

        Appends that commit meanwhile are not seen, so verifying or exporting a busy log never
        reports a false gap. (SQLite in WAL mode reads one snapshot per transaction;
        PostgreSQL runs the block in a ``REPEATABLE READ`` transaction.)
        """
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield AuditSnapshot(conn)

    def count(self) -> int:
        with read_tx(self._engine) as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_E)).scalar_one())


class AuditSnapshot:
    """The log as one transaction sees it; see :meth:`AuditRepository.snapshot`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def head(self) -> tuple[int, str] | None:
        row = self._conn.execute(sa.select(_H.c.seq, _H.c.hash).where(_H.c.id == _HEAD_ID)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def rows(self, *, page: int = 2000) -> Iterator[dict[str, Any]]:
        """Every stored row as it is (``details`` as the stored text), in ``seq`` order."""
        last: int | None = None
        while True:
            stmt = sa.select(_E).order_by(_E.c.seq).limit(page)
            if last is not None:
                stmt = stmt.where(_E.c.seq > last)
            rows = [dict(r) for r in self._conn.execute(stmt).mappings().all()]
            yield from rows
            if len(rows) < page:
                return
            last = int(rows[-1]["seq"])


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    if details is None:
        return {}
    if not isinstance(details, Mapping):
        raise ParameterError(
            f"Audit details must be a mapping of names to JSON values; "
            f"got {type(details).__name__}."
        )
    return cast(dict[str, Any], jsonable(details))


def _to_entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row["details"])
    except ValueError:
        details = {"unparseable": row["details"]}
    return AuditEntry(
        seq=int(row["seq"]),
        ts=row["ts"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        details=details if isinstance(details, dict) else {"value": details},
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class AuditEventLog:
    """The rollout gateway's ``EventLog`` protocol (``append(event_type, details)``) on the
    audit log.

    The subject is ``details[subject_key]`` (the model name by default) and the actor is
    ``details["actor"]`` when present, else ``actor``. ``prefix`` namespaces the actions
    (``"rollout."`` turns ``"promoted"`` into ``"rollout.promoted"``).

    >>> from modelsteward.store import Store
    >>> store = Store("sqlite://")
    >>> store.upgrade()
    >>> events = AuditEventLog(AuditRepository(store.engine), prefix="rollout.")
    >>> events.append("canary_step", {"model": "churn", "percent": 25})
    >>> entry = AuditRepository(store.engine).entries()[-1]
    >>> entry.action, entry.subject, entry.actor, entry.details["percent"]
    ('rollout.canary_step', 'churn', 'rollout', 25)
    """

    def __init__(
        self,
        repository: AuditRepository,
        *,
        actor: str = "rollout",
        subject_key: str = "model",
        prefix: str = "",
    ) -> None:
        self.repository = repository
        self.actor = actor
        self.subject_key = subject_key
        self.prefix = prefix

    def append(self, event_type: str, details: Mapping[str, Any]) -> None:
        subject = details.get(self.subject_key)
        actor = details.get("actor")
        self.repository.append(
            f"{self.prefix}{event_type}",
            "" if subject is None else str(subject),
            details,
            actor=actor if isinstance(actor, str) and actor else self.actor,
        )
