"""``steward keys create|list|revoke``: API keys with scopes ingest, read, admin."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys for the monitoring service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class ScopeChoice(StrEnum):
    ingest = "ingest"
    read = "read"
    admin = "admin"


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    scope: Annotated[ScopeChoice, typer.Option("--scope", help="ingest, read or admin.")],
    database: DatabaseOption = None,
) -> None:
    """Create a key; it is printed once, alone on the last line of stdout."""
    store = open_store(database)
    try:
        key, token = store.keys.create(name, scope.value)
    finally:
        store.close()
    typer.echo(
        f"created key {key.key_id} ({key.name!r}, scope {key.scope}); "
        "it is shown only now, store it safely:",
        err=True,
    )
    typer.echo(token)


@keys_app.command("list")
def list_keys(
    database: DatabaseOption = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """List keys (ids, names and scopes; never the secrets)."""
    store = open_store(database)
    try:
        keys = store.keys.list()
    finally:
        store.close()
    if format == "json":
        typer.echo(json.dumps([k.to_dict() for k in keys], indent=2))
        return
    for k in keys:
        state = "revoked" if k.revoked else "active"
        typer.echo(f"{k.key_id}  {k.scope:<6}  {state:<7}  {k.name}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `steward keys list`.")],
    database: DatabaseOption = None,
) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    store = open_store(database)
    try:
        store.keys.revoke(key_id)
    finally:
        store.close()
    typer.echo(f"revoked key {key_id}")
