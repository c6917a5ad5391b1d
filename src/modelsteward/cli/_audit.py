"""``steward audit verify|export|list``: the tamper-evident audit log.

``verify`` exits 0 when the chain is intact and 1, with one line naming the first bad
entry, when it is not.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


class Format(StrEnum):
    text = "text"
    json = "json"


@audit_app.command("verify")
def verify(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Verify an exported JSON Lines file instead of the database."),
    ] = None,
    anchor: Annotated[
        str | None,
        typer.Option("--anchor", help="SEQ:HASH printed by an earlier verify and kept elsewhere."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first edited, deleted or moved entry."""
    from modelsteward.governance.audit import AuditLog, parse_anchor, verify_file

    parsed = parse_anchor(anchor) if anchor is not None else None
    if file is not None:
        result = verify_file(file, anchor=parsed)
    else:
        store = open_store(database)
        try:
            result = AuditLog(store).verify(anchor=parsed)
        finally:
            store.close()
    if format is Format.json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        typer.echo(result.summary())
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def export(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="JSON Lines file to write ('-': stdout).")
    ],
    database: DatabaseOption = None,
) -> None:
    """Write every entry of the audit log as JSON Lines."""
    import sys

    from modelsteward.governance.audit import AuditLog, write_jsonl

    store = open_store(database)
    try:
        log = AuditLog(store)
        to_stdout = str(output) == "-"
        n = write_jsonl(log.repository, sys.stdout) if to_stdout else log.export(output)
    finally:
        store.close()
    typer.echo(f"wrote {n} audit entries to {output}", err=True)


@audit_app.command("list")
def list_entries(
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest N entries.")] = 50,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Show the newest entries, oldest first."""
    from modelsteward.governance.audit import AuditLog

    store = open_store(database)
    try:
        entries = AuditLog(store).entries(
            subject=subject, action=action, limit=limit, newest_first=True
        )[::-1]
    finally:
        store.close()
    if format is Format.json:
        typer.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
        typer.echo(
            f"{e.seq:>6} {e.ts:%Y-%m-%d %H:%M:%S} {e.actor:<16} {e.action:<24} "
            f"{e.subject:<20} {details}"
        )
