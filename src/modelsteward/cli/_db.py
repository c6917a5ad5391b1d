"""``steward db upgrade``, and the store opener the service commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from modelsteward.cli._app import app

if TYPE_CHECKING:
    from modelsteward.settings import Settings
    from modelsteward.store import Store

__all__ = ["DatabaseOption", "db_app", "open_store", "settings_for"]

db_app = typer.Typer(help="The monitoring database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="SQLAlchemy URL; default $STEWARD_DATABASE_URL, else SQLite in $STEWARD_HOME.",
    ),
]


def settings_for(database: str | None = None) -> Settings:
    from modelsteward.settings import load_settings

    return load_settings(database_url=database)


def open_store(database: str | None = None, *, migrate: bool = True) -> Store:
    """Open the configured store, migrated to the newest schema unless ``migrate`` is off."""
    from modelsteward.store import Store

    store = Store.from_settings(settings_for(database))
    if migrate:
        store.upgrade()
    return store


def _display_url(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def upgrade(database: DatabaseOption = None) -> None:
    """Run the schema migrations up to the newest revision."""
    from modelsteward.store._migrate import current_revision

    store = open_store(database, migrate=False)
    try:
        store.upgrade()
        typer.echo(
            f"database {_display_url(store.url)} is at revision {current_revision(store.engine)}"
        )
    finally:
        store.close()
