"""``steward registry list|show|register|alias|unalias|rollback|reject|history|import-mlflow``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store, settings_for

if TYPE_CHECKING:
    from modelsteward.registry import MlflowImport, Registry

__all__ = ["registry_app"]

registry_app = typer.Typer(
    help="Model versions, aliases (champion, challenger, shadow, ...) and rollback.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")


class Format(StrEnum):
    text = "text"
    json = "json"


class Flavor(StrEnum):
    sklearn = "sklearn"
    onnx = "onnx"
    callable = "callable"


class SchemaPolicy(StrEnum):
    error = "error"
    reject = "reject"
    allow = "allow"


ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who acts (default: the operating-system user).")
]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json.")]


@contextmanager
def _registry(database: str | None) -> Iterator[Registry]:
    from modelsteward.registry import Registry

    store = open_store(database)
    try:
        yield Registry.from_settings(settings_for(database), store)
    finally:
        store.close()


def _json_option(name: str, text: str | None) -> Any:
    from modelsteward.errors import ParameterError

    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{name} is not valid JSON ({exc.msg}): {text!r:.80}") from exc


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@registry_app.command("list")
def list_models(format: FormatOption = Format.text, database: DatabaseOption = None) -> None:
    """List registered models with their version count and aliases."""
    with _registry(database) as registry:
        models = registry.models()
    if format is Format.json:
        _echo_json([m.to_dict() for m in models])
        return
    for m in models:
        aliases = ", ".join(f"{a}={v}" for a, v in m.aliases.items()) or "-"
        typer.echo(f"{m.name:<30} {m.versions:>4} versions  latest {m.latest:<10} {aliases}")


@registry_app.command("show")
def show(
    model: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str | None, typer.Option("--version", help="One version.")] = None,
    alias: Annotated[str | None, typer.Option("--alias", help="The version of an alias.")] = None,
    format: FormatOption = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Show a model's versions and aliases, or one version in full."""
    with _registry(database) as registry:
        if version is None and alias is None:
            info: dict[str, Any] = {
                "name": model,
                "aliases": registry.aliases(model),
                "versions": [v.to_dict() for v in registry.versions(model)],
            }
        else:
            info = registry.get(model, version, alias=alias).to_dict()
    if format is Format.json:
        _echo_json(info)
        return
    if "versions" in info:
        aliases = ", ".join(f"{a}={v}" for a, v in info["aliases"].items()) or "-"
        typer.echo(f"{model}  aliases: {aliases}")
        for v in info["versions"]:
            typer.echo(
                f"  {v['version']:<12} {v['status']:<10} {v['flavor']:<8} "
                f"{v['created_at'][:19]}  {v['created_by']:<12} {', '.join(v['aliases'])}"
            )
        return
    for key, value in info.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        typer.echo(f"{key:<14} {shown}")


@registry_app.command("register")
def register(
    model: Annotated[str, typer.Argument(help="Model name.")],
    artifact: Annotated[
        str, typer.Option("--artifact", help="Model file, or module:function for callable.")
    ],
    flavor: Annotated[Flavor, typer.Option("--flavor", help="sklearn, onnx or callable.")],
    trust: Annotated[
        bool, typer.Option("--trust", help="Allow loading a pickle/joblib file (runs its code).")
    ] = False,
    params: Annotated[str | None, typer.Option("--params", help="JSON object.")] = None,
    metrics: Annotated[str | None, typer.Option("--metrics", help="JSON object.")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent version.")] = None,
    training_data: Annotated[
        Path | None, typer.Option("--training-data", help="Training table to fingerprint.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Target column of the training data.")
    ] = None,
    profile: Annotated[
        bool, typer.Option("--profile", help="Keep a profile of the training data.")
    ] = False,
    schema: Annotated[
        str | None, typer.Option("--schema", help='Input schema: {"col": "kind"} or ["col"].')
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Version label (default: next number).")
    ] = None,
    code_version: Annotated[
        str | None, typer.Option("--code-version", help="Default: the git commit, if any.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    on_schema_mismatch: Annotated[
        SchemaPolicy,
        typer.Option("--on-schema-mismatch", help="When the schema differs from the champion's."),
    ] = SchemaPolicy.error,
    actor: ActorOption = None,
    format: FormatOption = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Register a new version (its artifact is copied and hashed; the change is audited)."""
    parsed_params = _json_option("--params", params)
    parsed_metrics = _json_option("--metrics", metrics)
    parsed_schema = _json_option("--schema", schema)
    if training_data is not None and not training_data.exists():
        from modelsteward.errors import DataReadError

        raise DataReadError(f"{training_data}: no such file (--training-data)")
    with _registry(database) as registry:
        registered = registry.register(
            model,
            artifact,
            flavor=flavor.value,
            version=version,
            trust=trust,
            input_schema=parsed_schema,
            training_data=training_data,
            target=target,
            training_profile=profile,
            params=parsed_params,
            metrics=parsed_metrics,
            parent=parent,
            code_version=code_version if code_version is not None else "auto",
            description=description,
            actor=actor,
            on_schema_mismatch=on_schema_mismatch.value,
        )
    if format is Format.json:
        _echo_json(registered.to_dict())
        return
    if registered.status == "rejected":
        typer.echo(
            f"registered {model} version {registered.version} as REJECTED: "
            f"{registered.status_reason}"
        )
        return
    digest = (registered.artifact_sha256 or "")[:16]
    typer.echo(
        f"registered {model} version {registered.version} ({registered.flavor}"
        f"{', sha256 ' + digest if digest else ''})"
    )


def _expected(text: str | None) -> Any:
    from modelsteward.registry import ANY

    if text is None:
        return ANY
    return None if text.lower() in ("none", "-", "") else text


@registry_app.command("alias")
def alias(
    model: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str, typer.Argument(help="champion, challenger, shadow or your own.")],
    version: Annotated[str, typer.Argument(help="The version it should point to.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited).")],
    expected: Annotated[
        str | None,
        typer.Option(
            "--expected",
            help="Move only if the alias still points to this version ('none': unset).",
        ),
    ] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Point an alias at a version; `champion` makes it the serving version."""
    with _registry(database) as registry:
        move = registry.set_alias(
            model, alias, version, reason=reason, actor=actor, expected=_expected(expected)
        )
    typer.echo(f"{model}: {alias} moved from {move.from_version or '(unset)'} to {move.to_version}")


@registry_app.command("unalias")
def unalias(
    model: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str, typer.Argument(help="The alias to remove.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited).")],
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Remove an alias."""
    with _registry(database) as registry:
        move = registry.remove_alias(model, alias, reason=reason, actor=actor)
    typer.echo(f"{model}: {alias} removed (it pointed to {move.from_version})")


@registry_app.command("rollback")
def rollback(
    model: Annotated[str, typer.Argument(help="Model name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited).")],
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Move `champion` back to the previous champion."""
    with _registry(database) as registry:
        move = registry.rollback(model, reason=reason, actor=actor)
    typer.echo(f"{model}: champion rolled back from {move.from_version} to {move.to_version}")


@registry_app.command("reject")
def reject(
    model: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[str, typer.Argument(help="The version to reject.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited).")],
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="JSON object: metrics, test results.")
    ] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Mark a version rejected, with the evidence."""
    parsed = _json_option("--evidence", evidence)
    with _registry(database) as registry:
        registry.reject(model, version, reason=reason, evidence=parsed, actor=actor)
    typer.echo(f"{model}: version {version} rejected")


@registry_app.command("history")
def history(
    model: Annotated[str, typer.Argument(help="Model name.")],
    alias: Annotated[str | None, typer.Option("--alias", help="Only this alias.")] = None,
    format: FormatOption = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Every alias move: who moved which alias from which version to which, when and why."""
    with _registry(database) as registry:
        moves = registry.history(model, alias)
    if format is Format.json:
        _echo_json([m.to_dict() for m in moves])
        return
    for m in moves:
        typer.echo(
            f"{m.ts:%Y-%m-%d %H:%M:%S}  {m.alias:<12} {m.from_version or '-':>8} -> "
            f"{m.to_version or '-':<8} {m.kind:<8} {m.actor:<14} {m.reason}"
        )


def _alias_map(items: list[str] | None) -> dict[str, str] | None:
    """``["prod=champion", "a=b,c=d"]`` as ``{"prod": "champion", "a": "b", "c": "d"}``."""
    from modelsteward.errors import ParameterError

    if not items:
        return None
    mapping: dict[str, str] = {}
    for item in items:
        for pair in item.split(","):
            source, sep, target = (part.strip() for part in pair.partition("="))
            if not sep or not source or not target:
                raise ParameterError(
                    f"--alias-map takes MLFLOW_ALIAS=ALIAS (e.g. prod=champion). Got {pair!r}."
                )
            if mapping.get(source, target) != target:
                raise ParameterError(
                    f"--alias-map maps the MLflow alias {source!r} twice "
                    f"({mapping[source]} and {target})."
                )
            mapping[source] = target
    return mapping


def _echo_import(result: MlflowImport) -> None:
    typer.echo(
        f"{result.mlflow_model} ({result.tracking_uri}) -> {result.model}: "
        + ("changed" if result.changed else "nothing new")
    )
    for v in result.versions:
        head = f"  version {v.mlflow_version:<6} {v.version or '-':<14} {v.status:<9}"
        tail = f"({v.flavor})" if v.status != "skipped" else v.reason or ""
        typer.echo(f"{head} {tail}".rstrip())
    for a in result.aliases:
        head = f"  alias {a.mlflow_alias} -> {a.alias}: {a.status}"
        if a.status == "moved":
            typer.echo(f"{head} ({a.from_version or '(unset)'} -> {a.version})")
        elif a.status == "unchanged":
            typer.echo(f"{head} ({a.version})")
        else:
            typer.echo(f"{head}: {a.reason}")


@registry_app.command("import-mlflow")
def import_mlflow(
    tracking_uri: Annotated[
        str,
        typer.Option(
            "--tracking-uri", help="MLflow tracking URI, e.g. sqlite:///mlflow.db or http://host."
        ),
    ],
    model: Annotated[str, typer.Option("--model", help="The MLflow registered model.")],
    alias_map: Annotated[
        list[str] | None,
        typer.Option(
            "--alias-map",
            help="MLFLOW_ALIAS=ALIAS, repeatable or comma-separated (e.g. prod=champion); "
            "only the mapped aliases are imported. Default: every alias under its own name.",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The model name here (default: the MLflow one).")
    ] = None,
    registry_uri: Annotated[
        str | None,
        typer.Option("--registry-uri", help="MLflow registry URI (default: the tracking URI)."),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help='Input schema, {"col": "kind"} or ["col", ...] in the model\'s order, of '
            "versions whose MLflow signature names no columns.",
        ),
    ] = None,
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Import pickled scikit-learn models (loading runs code)."),
    ] = False,
    actor: ActorOption = None,
    format: FormatOption = Format.text,
    database: DatabaseOption = None,
) -> None:
    """Import versions (sklearn, ONNX) and aliases from an MLflow model registry.

    Versions become `mlflow-<N>`, with the run's parameters, metrics, run id and source.
    Alias moves are audited; running it again imports only what is new.
    """
    import os

    from modelsteward.registry import import_mlflow as run_import

    mapping = _alias_map(alias_map)
    parsed_schema = _json_option("--schema", schema)
    # MLflow retries an unreachable server for minutes by default; answer sooner unless the
    # environment says otherwise.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    with _registry(database) as registry:
        result = run_import(
            registry,
            tracking_uri,
            model,
            model=name,
            alias_map=mapping,
            registry_uri=registry_uri,
            input_schema=parsed_schema,
            trust=trust,
            actor=actor,
        )
    if format is Format.json:
        _echo_json(result.to_dict())
        return
    _echo_import(result)
