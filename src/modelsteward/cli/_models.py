"""``steward models create|show|list|set-reference``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store

__all__ = ["models_app", "reference_profile_json"]

models_app = typer.Typer(help="Monitored models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


class Task(StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"


class Format(StrEnum):
    text = "text"
    json = "json"


def reference_profile_json(path: Path) -> str:
    """The JSON of a reference TableProfile from a table file or a saved profile."""
    import importlib

    from modelsteward.errors import DataReadError, MissingExtraError

    if not path.exists():
        raise DataReadError(f"{path}: no such file; give a .csv, .parquet, .jsonl or profile .json")
    try:
        profiles: Any = importlib.import_module("modelsteward.profiles")
        profiles.TableProfile  # noqa: B018
    except (ImportError, AttributeError) as exc:
        raise MissingExtraError("modelsteward.profiles", "all", "A reference profile") from exc
    if path.suffix.lower() == ".json":
        try:
            return str(profiles.TableProfile.from_json(path.read_text()).to_json())
        except Exception as exc:
            raise DataReadError(f"{path}: not a profile written by `steward profile`") from exc
    from modelsteward.errors import StewardError

    try:
        return str(profiles.profile_table(str(path)).to_json())
    except StewardError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise DataReadError(f"{path}: cannot be profiled as a reference: {exc}") from exc


@models_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Model name, unique.")],
    task: Annotated[Task, typer.Option("--task", help="binary, multiclass or regression.")],
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="Reference data (.csv/.parquet/.jsonl) or profile."),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who answers for it.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Register a model to monitor."""
    profile = reference_profile_json(reference) if reference is not None else None
    store = open_store(database)
    try:
        model = store.models.create(name, task.value, owner=owner, reference_profile=profile)
    finally:
        store.close()
    typer.echo(f"created model {model.name} ({model.task})")


@models_app.command("set-reference")
def set_reference(
    name: Annotated[str, typer.Argument(help="Model name.")],
    reference: Annotated[Path, typer.Argument(help="Reference data or profile.")],
    database: DatabaseOption = None,
) -> None:
    """Set (or replace) the reference the model's drift is measured against."""
    profile = reference_profile_json(reference)
    store = open_store(database)
    try:
        store.models.set_reference(name, profile)
    finally:
        store.close()
    typer.echo(f"reference of {name} set from {reference}")


def _describe(store: Any, name: str) -> dict[str, Any]:
    model = store.models.get(name)
    stats = store.models.stats(name)
    return {
        **model.to_dict(),
        "predictions": stats.predictions,
        "labels": stats.labels,
        "errors": stats.errors,
        "first_prediction": stats.first_prediction.isoformat() if stats.first_prediction else None,
        "last_prediction": stats.last_prediction.isoformat() if stats.last_prediction else None,
    }


@models_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Model name.")],
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Show a model with how many predictions and labels are stored."""
    store = open_store(database)
    try:
        info = _describe(store, name)
    finally:
        store.close()
    if format is Format.json:
        typer.echo(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        typer.echo(f"{key:<17} {value}")


@models_app.command("list")
def list_models(
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    database: DatabaseOption = None,
) -> None:
    """List the monitored models."""
    store = open_store(database)
    try:
        models = store.models.list()
    finally:
        store.close()
    if format is Format.json:
        typer.echo(json.dumps([m.to_dict() for m in models], indent=2))
        return
    for m in models:
        typer.echo(f"{m.name:<30} {m.task:<11} {', '.join(m.versions)}")
