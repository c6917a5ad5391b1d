"""``steward retrain run``: one retraining run, locally, on demand.

It builds the training data from logged features (a directory of Parquet partitions or
files) and labels, trains ``module:function`` in a subprocess with a timeout, gates the
candidate against the registry's champion on the most recent labeled rows, registers it
(as rejected when the gate refuses it) and audits every step. A run asked for on the
command line is forced: the retraining policy (cooldown, budget) applies to automatic runs.

Exit status: 0 when a candidate was registered, 1 when the gate rejected it or training
failed (the JSON or text output says why), 2 on bad usage or bad input.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store, settings_for

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["retrain_app"]

retrain_app = typer.Typer(help="Retrain a model and gate the candidate.", no_args_is_help=True)
app.add_typer(retrain_app, name="retrain")


class Task(StrEnum):
    classification = "classification"
    regression = "regression"


class Strategy(StrEnum):
    all = "all"
    window = "window"
    reference = "reference"


class Format(StrEnum):
    text = "text"
    json = "json"


def _read_table(path: Path) -> pa.Table:
    import pyarrow as pa

    from modelsteward.data import open_table
    from modelsteward.errors import DataReadError

    if not path.is_file():
        raise DataReadError(f"{path}: no such file; give a .csv, .parquet or .jsonl table")
    source = open_table(str(path))
    return pa.table({name: source.column(name) for name in source.column_names})


def _params(items: list[str]) -> dict[str, Any]:
    from modelsteward.errors import ParameterError

    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param takes KEY=VALUE. Got {item!r}.")
        try:
            params[key] = json.loads(text)
        except json.JSONDecodeError:
            params[key] = text
    return params


def _strategy(kind: Strategy, days: float | None, rows: int | None, reference: Path | None) -> Any:
    from modelsteward.errors import ParameterError
    from modelsteward.retrain import AllHistory, ReferencePlusRecent, SlidingWindow

    span = None if days is None else timedelta(days=days)
    if kind == Strategy.all:
        return AllHistory()
    if kind == Strategy.window:
        return SlidingWindow(span=span, rows=rows)
    if reference is None or span is None:
        raise ParameterError("--strategy reference needs --reference FILE and --window-days N.")
    return ReferencePlusRecent(_read_table(reference), span)


def _echo_text(record: dict[str, Any]) -> None:
    typer.echo(f"{record['model']}: {record['status']}")
    if record["version"]:
        typer.echo(f"  version {record['version']} (champion: {record['champion_version']})")
    gate = record["gate"]
    if gate is not None:
        typer.echo(f"  gate {'passed' if gate['passed'] else 'failed'}:")
        for reason in gate["reasons"]:
            typer.echo(f"    - {reason}")
    failure = record["failure"]
    if failure is not None:
        typer.echo(f"  failed ({failure['cause']}): {failure['message']}")
        if failure.get("traceback_tail"):
            typer.echo("  " + failure["traceback_tail"].replace("\n", "\n  "))


@retrain_app.command("run")
def run(
    model: Annotated[str, typer.Argument(help="Model name in the registry.")],
    train: Annotated[str, typer.Option("--train", help="Training entry point module:function.")],
    data: Annotated[
        list[Path], typer.Option("--data", help="Parquet partitions: a directory or files.")
    ],
    label: Annotated[str, typer.Option("--label", help="Label column.")],
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Table of prediction id and label (default: in --data)."),
    ] = None,
    id_column: Annotated[str, typer.Option("--id-column", help="Prediction id column.")] = "id",
    timestamp: Annotated[
        str, typer.Option("--timestamp-column", help="Prediction time column.")
    ] = "timestamp",
    task: Annotated[Task, typer.Option("--task")] = Task.classification,
    strategy: Annotated[Strategy, typer.Option("--strategy")] = Strategy.all,
    window_days: Annotated[float | None, typer.Option("--window-days")] = None,
    window_rows: Annotated[int | None, typer.Option("--window-rows")] = None,
    reference: Annotated[Path | None, typer.Option("--reference")] = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Gate rows: a fraction (<1) or a row count.")
    ] = 0.2,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="KEY=VALUE (JSON values), repeatable.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Training timeout, seconds.")] = 3600,
    min_samples: Annotated[int, typer.Option("--min-samples")] = 100,
    max_accuracy_drop: Annotated[float, typer.Option("--max-accuracy-drop")] = 0.01,
    require_improvement: Annotated[bool, typer.Option("--require-improvement")] = False,
    trust_champion: Annotated[
        bool, typer.Option("--trust-champion", help="Allow loading a pickled champion.")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (audited).")] = "manual run",
    actor: Annotated[str | None, typer.Option("--actor", help="Who acts (audited).")] = None,
    format: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Train, gate against the champion, register the candidate (or reject it), audit."""
    from modelsteward.cli._progress import stderr_console
    from modelsteward.registry import Registry, default_actor
    from modelsteward.retrain import (
        GateConfig,
        RegistryAdapter,
        RetrainJob,
        RetrainLoop,
        RetrainPolicy,
        SubprocessRunner,
    )
    from modelsteward.store.audit import AuditRepository

    job = RetrainJob(
        model=model,
        entry_point=train,
        label=label,
        strategy=_strategy(strategy, window_days, window_rows, reference),
        gate=GateConfig(
            task=task.value,
            min_samples=min_samples,
            max_accuracy_drop=max_accuracy_drop,
            require_improvement=require_improvement,
        ),
        params=_params(param or []),
        holdout=holdout if holdout < 1 else int(holdout),
        id_column=id_column,
        timestamp=timestamp,
    )
    label_table = None if labels is None else _read_table(labels)
    who = actor or default_actor()
    console = stderr_console()
    show = not quiet and console.is_terminal
    store = open_store(database)
    try:
        registry = Registry.from_settings(settings_for(database), store)
        loop = RetrainLoop(
            job,
            policy=RetrainPolicy(triggers=()),
            runner=SubprocessRunner(timeout=timeout),
            registry=RegistryAdapter(registry, trust_champion=trust_champion, actor=who),
            audit=AuditRepository(store.engine),
            actor=who,
            on_step=(lambda action: console.print(f"[dim]{action}[/dim]")) if show else None,
        )
        with console.status("retraining ...", spinner="dots") if show else nullcontext():
            record = loop.run_once(None, [str(p) for p in data], label_table, force=reason)
    finally:
        store.close()
    out = record.to_dict()
    if format == Format.json:
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        _echo_text(out)
    if record.status != "candidate":
        raise typer.Exit(1)
