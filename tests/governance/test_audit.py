"""verify() names the first edited, deleted or reordered entry; export round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from modelsteward.errors import DataReadError, InputError
from modelsteward.governance import AuditLog, read_export, verify_file
from modelsteward.store import Store


def _filled(store: Store, n: int = 6) -> AuditLog:
    log = AuditLog(store)
    for i in range(n):
        log.append("test.step", "churn", {"i": i, "note": f"step {i}"}, actor="tester")
    return log


def _sql(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.execute(sa.text(s))


def test_intact_log_verifies(store: Store) -> None:
    log = AuditLog(store)
    empty = log.verify()
    assert empty.ok and empty.entries == 0
    log = _filled(store)
    result = log.verify()
    assert result.ok and result.entries == 6 and result.first_bad_seq is None
    assert result.summary().startswith("audit log intact: 6 entries")


def test_edited_details_are_named(store: Store) -> None:
    log = _filled(store)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_log SET details = :d WHERE seq = 4"),
            {"d": '{"i":3,"note":"forged"}'},
        )
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4
    assert "edited" in (result.problem or "")
    assert "\n" not in result.summary() and "entry 4" in result.summary()


def test_edit_with_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    log = _filled(store)
    forged = log.entries()[2]  # seq 3
    from modelsteward.store.audit import entry_hash, format_ts

    details = {"i": 2, "note": "forged"}
    new_hash = entry_hash(
        seq=3,
        ts=format_ts(forged.ts),
        actor=forged.actor,
        action=forged.action,
        subject=forged.subject,
        details=details,
        prev_hash=forged.prev_hash,
    )
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_log SET details = :d, hash = :h WHERE seq = 3"),
            {"d": json.dumps(details), "h": new_hash},
        )
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4
    assert "prev_hash" in (result.problem or "")


def test_deleted_row_is_named(store: Store) -> None:
    log = _filled(store)
    _sql(store, "DELETE FROM audit_log WHERE seq = 2")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2 and "missing" in (result.problem or "")


def test_deleted_last_row_is_named(store: Store) -> None:
    log = _filled(store)
    _sql(store, "DELETE FROM audit_log WHERE seq = 6")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 6 and "missing" in (result.problem or "")


def test_swapped_rows_are_named(store: Store) -> None:
    log = _filled(store)
    _sql(
        store,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1",
    )
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3


def test_swapped_contents_are_named(store: Store) -> None:
    """Swapping everything but seq (a reorder that keeps seq contiguous)."""
    log = _filled(store)
    cols = "ts, actor, action, subject, details, prev_hash, hash"
    with store.engine.begin() as conn:
        a = conn.execute(sa.text(f"SELECT {cols} FROM audit_log WHERE seq = 2")).mappings().one()
        b = conn.execute(sa.text(f"SELECT {cols} FROM audit_log WHERE seq = 5")).mappings().one()
        setter = ", ".join(f"{c} = :{c}" for c in cols.split(", "))
        conn.execute(sa.text(f"UPDATE audit_log SET {setter} WHERE seq = 2"), dict(b))
        conn.execute(sa.text(f"UPDATE audit_log SET {setter} WHERE seq = 5"), dict(a))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2


def test_missing_head_row_fails(store: Store) -> None:
    log = _filled(store, 2)
    _sql(store, "DELETE FROM audit_head")
    assert not log.verify().ok


def test_export_round_trip(store: Store, tmp_path: Path) -> None:
    log = _filled(store)
    log.append("unicode", "modèle", {"ünï": "çødé", "x": [1.5, None, True]}, actor="zoë")
    target = tmp_path / "out" / "audit.jsonl"
    assert log.export(target) == 7
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7
    assert json.loads(lines[0])["seq"] == 1
    assert [e.to_dict() for e in read_export(target)] == [e.to_dict() for e in log.entries()]
    assert verify_file(target).ok
    # tamper with the export: the file no longer verifies
    rows = [json.loads(line) for line in lines]
    rows[4]["details"]["note"] = "forged"
    target.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    bad = verify_file(target)
    assert not bad.ok and bad.first_bad_seq == 5
    del rows[1]
    target.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert verify_file(target).first_bad_seq == 2


def test_export_errors(store: Store, tmp_path: Path) -> None:
    log = _filled(store, 1)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        log.export(blocker / "audit.jsonl")
    with pytest.raises(DataReadError, match="cannot read"):
        verify_file(tmp_path / "missing.jsonl")
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"seq": 1}\n')
    with pytest.raises(DataReadError, match="not an audit entry"):
        verify_file(junk)


def test_event_log_from_audit_log(store: Store) -> None:
    log = AuditLog(store)
    log.event_log().append("shadow_started", {"model": "churn", "candidate": "2"})
    (entry,) = log.entries()
    assert entry.action == "rollout.shadow_started" and entry.subject == "churn"
    assert log.verify().ok


def _rechain_from(store: Store, log: AuditLog, start: int) -> None:
    """Rewrite entries from ``start`` on with valid hashes: what an insider with DB access
    could do. Only an anchor kept elsewhere catches it."""
    from modelsteward.store.audit import entry_hash, format_ts

    entries = log.entries()
    prev = entries[start - 2].hash if start > 1 else "0" * 64
    with store.engine.begin() as conn:
        for e in entries[start - 1 :]:
            details = {**e.details, "note": "rewritten"}
            digest = entry_hash(
                seq=e.seq,
                ts=format_ts(e.ts),
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                details=details,
                prev_hash=prev,
            )
            conn.execute(
                sa.text(
                    "UPDATE audit_log SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {"d": json.dumps(details), "p": prev, "h": digest, "s": e.seq},
            )
            prev = digest
        conn.execute(sa.text("UPDATE audit_head SET hash = :h"), {"h": prev})


def test_anchor_catches_a_rechained_log(store: Store, tmp_path: Path) -> None:
    from modelsteward.errors import ParameterError
    from modelsteward.governance import parse_anchor

    log = _filled(store)
    first = log.verify()
    anchor = f"{first.head_seq}:{first.head_hash}"
    assert first.summary().endswith(anchor)
    assert log.verify(anchor=anchor).ok
    _rechain_from(store, log, 3)
    assert log.verify().ok  # consistent on its own
    bad = log.verify(anchor=anchor)
    assert not bad.ok and bad.first_bad_seq == 6 and "anchor" in (bad.problem or "")
    early = log.verify(anchor=(2, log.entries()[1].hash))
    assert early.ok
    too_far = log.verify(anchor=(9, "a" * 64))
    assert not too_far.ok and too_far.first_bad_seq == 7
    assert log.export(tmp_path / "a.jsonl") == 6
    assert not verify_file(tmp_path / "a.jsonl", anchor=anchor).ok
    with pytest.raises(ParameterError, match="SEQ:HASH"):
        parse_anchor("12:abc")


def test_verify_and_export_during_appends_never_see_a_false_gap(
    store: Store, tmp_path: Path
) -> None:
    import threading

    log = _filled(store, 2)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            i = 0
            while not stop.is_set() and i < 400:
                log.append("busy", "churn", {"i": i}, actor="writer")
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for k in range(8):
            result = log.verify()
            assert result.ok, result.summary()
            log.export(tmp_path / f"e{k}.jsonl")
            assert verify_file(tmp_path / f"e{k}.jsonl").ok
    finally:
        stop.set()
        thread.join()
    assert errors == [] and log.verify().ok
