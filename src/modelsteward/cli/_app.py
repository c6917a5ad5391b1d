"""The Typer application every ``steward`` sub-command registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="steward",
    help="modelsteward: keep machine-learning models healthy in production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """modelsteward: keep machine-learning models healthy in production."""
