"""``steward version``."""

from __future__ import annotations

import typer

from modelsteward import __version__
from modelsteward.cli._app import app


@app.command("version")
def version() -> None:
    """Print the installed modelsteward version."""
    typer.echo(__version__)
