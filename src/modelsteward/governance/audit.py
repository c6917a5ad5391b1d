"""The tamper-evident audit log: append, read, verify the hash chain, export JSON Lines.

Entries are written by the store (:mod:`modelsteward.store.audit`) so that every layer can
record what it changes in the same transaction; this module is the public face of the log.

:meth:`AuditLog.verify` recomputes the chain and names the first bad entry: an edited entry
(its hash no longer matches its content), a deleted one (a gap in ``seq``, or a log shorter
than its recorded head), a reordered one (its ``prev_hash`` is not the previous entry's hash).

>>> from modelsteward.store import Store
>>> store = Store("sqlite://")
>>> store.upgrade()
>>> log = AuditLog(store)
>>> _ = log.append("registry.register", "churn", {"version": "1"}, actor="alice")
>>> _ = log.append("registry.alias_move", "churn", {"alias": "champion"}, actor="alice")
>>> result = log.verify()
>>> result.ok, result.entries
(True, 2)
>>> import sqlalchemy as sa
>>> with store.engine.begin() as conn:
...     _ = conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"))
>>> print(log.verify().summary())
audit log broken at entry 1: its hash does not match its content (the entry was edited)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelsteward.errors import DataReadError, InputError, ParameterError
from modelsteward.store.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEventLog,
    AuditRepository,
    entry_hash,
    format_ts,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from modelsteward.store import Store

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditEventLog",
    "AuditLog",
    "VerifyResult",
    "parse_anchor",
    "read_export",
    "verify_file",
    "verify_records",
    "write_jsonl",
]


@dataclass(frozen=True)
class VerifyResult:
    """What :meth:`AuditLog.verify` found.

    ``first_bad_seq`` is the ``seq`` of the first entry that is edited, missing or out of
    place (``None`` when the chain is intact); ``problem`` says what is wrong with it.
    """

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def summary(self) -> str:
        """One line for people and logs."""
        if self.ok:
            return (
                f"audit log intact: {self.entries} entries, head {self.head_seq}:{self.head_hash}"
            )
        return f"audit log broken at entry {self.first_bad_seq}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def _bad(n: int, prev: str, seq: int, problem: str) -> VerifyResult:
    return VerifyResult(False, n, n, prev, first_bad_seq=seq, problem=problem)


def parse_anchor(text: str) -> tuple[int, str]:
    """``"SEQ:HASH"`` (as printed by ``steward audit verify``) as ``(seq, hash)``.

    >>> parse_anchor("12:" + "ab" * 32)[0]
    12
    """
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ParameterError(
            f"An audit anchor is SEQ:HASH with a 64-character SHA-256 hash, as printed by "
            f"`steward audit verify`. Got {text!r:.80}."
        )
    return int(seq), digest.lower()


def verify_records(
    records: Iterable[Mapping[str, Any]],
    head: tuple[int, str] | None = None,
    *,
    anchor: tuple[int, str] | None = None,
) -> VerifyResult:
    """Check a chain of entries given in ``seq`` order (as stored rows or exported dicts).

    ``details`` may be the stored JSON text or the parsed object; ``ts`` a datetime or the
    exported text. ``head`` is the ``(seq, hash)`` the log recorded for its last entry;
    without it a truncated tail cannot be told from a shorter log. ``anchor`` is a
    ``(seq, hash)`` recorded earlier (e.g. printed by a previous verify and kept elsewhere):
    the entry ``seq`` must still have that hash, which catches a log rewritten from there on
    with freshly computed hashes.
    """
    expected = 1
    prev = GENESIS_HASH
    n = 0
    for record in records:
        seq = int(record["seq"])
        if seq > expected:
            return _bad(
                n,
                prev,
                expected,
                f"the entry is missing (seq jumps from {expected - 1} to {seq}; "
                "an entry was deleted)",
            )
        if seq < expected:
            return _bad(n, prev, seq, f"seq {seq} appears again after {expected - 1} (reordered)")
        if record["prev_hash"] != prev:
            return _bad(
                n,
                prev,
                seq,
                f"its prev_hash does not match the hash of entry {seq - 1} "
                "(an entry was deleted, reordered or rewritten before it)",
            )
        details = record["details"]
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                return _bad(n, prev, seq, "its details are not valid JSON (the entry was edited)")
        ts = record["ts"]
        computed = entry_hash(
            seq=seq,
            ts=ts if isinstance(ts, str) else format_ts(ts),
            actor=record["actor"],
            action=record["action"],
            subject=record["subject"],
            details=details,
            prev_hash=record["prev_hash"],
        )
        if computed != record["hash"]:
            return _bad(n, prev, seq, "its hash does not match its content (the entry was edited)")
        if anchor is not None and seq == anchor[0] and record["hash"] != anchor[1]:
            return _bad(
                n, prev, seq, "its hash differs from the anchor recorded earlier (rewritten)"
            )
        prev = str(record["hash"])
        expected += 1
        n += 1
    if anchor is not None and anchor[0] > n:
        return _bad(
            n,
            prev,
            n + 1,
            f"the entry is missing: the anchor names entry {anchor[0]} but the log ends at "
            f"seq {n} (entries were deleted)",
        )
    if head is not None:
        head_seq, head_hash = head
        if head_seq > n:
            return _bad(
                n,
                prev,
                n + 1,
                f"the entry is missing (the log ends at seq {n} but its head records "
                f"{head_seq} entries; entries were deleted)",
            )
        if head_seq < n:
            return _bad(
                n,
                prev,
                head_seq + 1,
                f"the entry is beyond the recorded head (seq {head_seq}); it was added "
                "outside modelsteward",
            )
        if head_hash != prev:
            return _bad(
                n, prev, n, "its hash differs from the one the chain head recorded (rewritten)"
            )
    return VerifyResult(True, n, n, prev)


class AuditLog:
    """The audit log of a store.

    Parameters
    ----------
    store:
        A :class:`modelsteward.store.Store` (or its engine). The schema must be migrated.
    """

    def __init__(self, store: Store | Engine | AuditRepository) -> None:
        if isinstance(store, AuditRepository):
            self.repository = store
        else:
            self.repository = AuditRepository(_engine_of(store))

    def append(
        self,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str,
    ) -> AuditEntry:
        """Append one entry (in a transaction of its own) and return it.

        To record a change atomically with the entry, use
        ``repository.write(lambda conn: ...; repository.append_in(conn, ...))``.
        """
        return self.repository.append(action, subject, details, actor=actor)

    def entries(
        self,
        *,
        subject: str | None = None,
        action: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries in ``seq`` order, optionally filtered by subject or action."""
        return self.repository.entries(
            subject=subject,
            action=action,
            after_seq=after_seq,
            limit=limit,
            newest_first=newest_first,
        )

    def event_log(self, *, actor: str = "rollout", prefix: str = "rollout.") -> AuditEventLog:
        """An ``EventLog`` (``append(event_type, details)``) that writes to this log."""
        return AuditEventLog(self.repository, actor=actor, prefix=prefix)

    def verify(self, *, anchor: tuple[int, str] | str | None = None) -> VerifyResult:
        """Recompute the chain over every entry and report the first bad one.

        ``anchor`` (``(seq, hash)`` or ``"SEQ:HASH"``) is a head recorded earlier outside the
        database; see :func:`verify_records`.
        """
        if isinstance(anchor, str):
            anchor = parse_anchor(anchor)
        with self.repository.snapshot() as snap:
            head = snap.head()
            if head is None:
                return VerifyResult(
                    False,
                    0,
                    0,
                    GENESIS_HASH,
                    first_bad_seq=0,
                    problem="the chain head row (audit_head) is missing (deleted)",
                )
            return verify_records(snap.rows(), head, anchor=anchor)

    def export(self, path: str | Path) -> int:
        """Write every entry as JSON Lines to ``path`` (atomically); return how many."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".audit-", suffix=".jsonl", dir=target.parent)
        except OSError as exc:
            raise InputError(f"{target}: cannot write the audit export: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                n = write_jsonl(self.repository, out)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise InputError(f"{target}: cannot write the audit export: {exc.strerror}") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return n


def _engine_of(store: Store | Engine) -> Engine:
    from sqlalchemy.engine import Engine

    return store if isinstance(store, Engine) else store.engine


def _export_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    try:
        details: Any = json.loads(row["details"])
    except ValueError:
        details = row["details"]
    return {
        "seq": int(row["seq"]),
        "ts": format_ts(row["ts"]),
        "actor": row["actor"],
        "action": row["action"],
        "subject": row["subject"],
        "details": details,
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


def write_jsonl(repository: AuditRepository, out: Any) -> int:
    """Write the log as JSON Lines to the text stream ``out``; return the number of entries."""
    n = 0
    with repository.snapshot() as snap:
        for row in snap.rows():
            out.write(json.dumps(_export_dict(row), sort_keys=True, ensure_ascii=False))
            out.write("\n")
            n += 1
    return n


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataReadError(f"{path}: cannot read the audit export: {exc.strerror}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DataReadError(f"{path}, line {number}: not JSON ({exc})") from exc
            missing = {"seq", "ts", "actor", "action", "subject", "details", "prev_hash", "hash"}
            missing -= set(record) if isinstance(record, dict) else set()
            if missing:
                raise DataReadError(
                    f"{path}, line {number}: not an audit entry (missing {sorted(missing)})"
                )
            yield record


def read_export(path: str | Path) -> list[AuditEntry]:
    """The entries of a JSON Lines file written by :meth:`AuditLog.export`."""
    from datetime import datetime

    out = []
    for r in _read_lines(Path(path)):
        try:
            ts = datetime.fromisoformat(r["ts"])
        except (TypeError, ValueError) as exc:
            raise DataReadError(f"{path}: entry {r['seq']} has a bad timestamp") from exc
        details = r["details"] if isinstance(r["details"], dict) else {"value": r["details"]}
        out.append(
            AuditEntry(
                int(r["seq"]),
                ts,
                r["actor"],
                r["action"],
                r["subject"],
                details,
                r["prev_hash"],
                r["hash"],
            )
        )
    return out


def verify_file(path: str | Path, *, anchor: tuple[int, str] | str | None = None) -> VerifyResult:
    """Verify the chain of an exported JSON Lines file (it must start at seq 1)."""
    if isinstance(anchor, str):
        anchor = parse_anchor(anchor)
    return verify_records(_read_lines(Path(path)), anchor=anchor)
