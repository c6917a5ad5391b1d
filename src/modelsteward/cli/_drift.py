"""``steward drift REFERENCE CURRENT``: compare two tables (or profiles)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from modelsteward.cli._app import app
from modelsteward.cli._memory import cycle_collector_paused, keep_freed_memory
from modelsteward.cli._progress import progress_bar
from modelsteward.errors import ParameterError

if TYPE_CHECKING:
    from modelsteward.datadrift import DriftReport

__all__ = ["drift_command", "parse_pairs"]


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"


@app.command("drift")
def drift_command(
    reference: Annotated[
        str, typer.Argument(help="Reference table (.csv/.parquet/.jsonl) or profile (.json).")
    ],
    current: Annotated[str, typer.Argument(help="Current table or profile.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 1 when the dataset drifted.")
    ] = False,
    method: Annotated[
        str | None, typer.Option("--method", help="One method for every column where it applies.")
    ] = None,
    column_method: Annotated[
        list[str] | None, typer.Option("--column-method", help="COL=NAME, repeatable.")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Override the methods' thresholds.")
    ] = None,
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", help="COL=KIND to override inference, repeatable."),
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated columns to compare.")
    ] = None,
    multivariate: Annotated[
        bool,
        typer.Option("--multivariate/--no-multivariate", help="Domain classifier and PCA views."),
    ] = True,
    domain_classifier: Annotated[
        bool,
        typer.Option(
            "--domain-classifier/--no-domain-classifier",
            help="The multivariate domain classifier (scikit-learn; about 2 s of CPU). "
            "Without it the PCA view still runs.",
        ),
    ] = True,
    drift_share: Annotated[
        float, typer.Option("--drift-share", help="Share of drifted columns for dataset drift.")
    ] = 0.5,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Compare the distribution of every column of CURRENT with REFERENCE."""
    from modelsteward.datadrift import drift  # imported here so `steward --help` starts fast

    keep_freed_memory()
    with cycle_collector_paused(), progress_bar("comparing columns", quiet=quiet) as update:
        report = drift(
            reference,
            current,
            method=method,
            column_methods=parse_pairs(column_method, "--column-method"),
            threshold=threshold,
            schema=parse_pairs(schema, "--schema"),
            columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None,
            multivariate=multivariate,
            domain_classifier=domain_classifier,
            drift_share_threshold=drift_share,
            progress=update,
        )
    _emit(report, format, output)
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(1)


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated ``KEY=VALUE`` options.

    >>> parse_pairs(["a=ks", "b=psi"], "--column-method")
    {'a': 'ks', 'b': 'psi'}
    """
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, item = value.partition("=")
        if not sep or not key or not item:
            raise ParameterError(f"{option} takes KEY=VALUE; got {value!r}")
        pairs[key] = item
    return pairs


def _emit(report: DriftReport, format: Format, output: Path | None) -> None:
    if format is Format.json:
        _write(report.to_json(), output)
    elif format is Format.html:
        _write(report.to_html(), output)
        if output is not None:
            Console(file=sys.stderr).print(f"report written to {output}")
    else:
        # Off a terminal, Rich would wrap at 80 columns; a wide table reads better in files.
        if output is not None:
            with output.open("w", encoding="utf-8") as handle:
                _print_text(report, Console(file=handle, width=160))
        else:
            console = Console()
            _print_text(report, console if console.is_terminal else Console(width=160))


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"cannot write {output}: {exc.strerror}") from exc


def _print_text(report: DriftReport, console: Console) -> None:
    verdict = "[bold red]DRIFT[/]" if report.dataset_drift else "[bold green]no dataset drift[/]"
    console.print(
        f"{verdict}: {len(report.drifted_columns)} of {len(report.compared_columns)} columns "
        f"drifted (share {report.drift_share:.2f}, threshold {report.drift_share_threshold:.2f}); "
        f"{report.reference_rows} reference rows, {report.current_rows} current rows"
    )
    table = Table(show_edge=False)
    for heading in (
        "column",
        "kind",
        "method",
        "score",
        "p-value",
        "adj. p",
        "threshold",
        "verdict",
    ):
        table.add_column(
            heading,
            justify="right" if heading in ("score", "p-value", "adj. p", "threshold") else "left",
        )
    ordered = sorted(
        report.columns, key=lambda c: (c.status != "ok", not c.drifted, -(c.score or 0.0))
    )
    for column in ordered:
        if column.status != "ok":
            table.add_row(
                column.name,
                column.kind,
                "-",
                "-",
                "-",
                "-",
                "-",
                f"[dim]skipped: {column.reason}[/]",
            )
            continue
        table.add_row(
            column.name,
            column.kind,
            column.method,
            _number(column.score),
            _number(column.p_value),
            _number(column.p_value_adjusted),
            f"{column.threshold:g}",
            "[red]drift[/]" if column.drifted else "[green]ok[/]",
        )
    console.print(table)
    multivariate = report.multivariate.get("domain_classifier") if report.multivariate else None
    if multivariate and multivariate.get("status") == "ok":
        console.print(
            f"domain classifier AUC {multivariate['auc']:.3f} "
            f"(threshold {multivariate['threshold']:g}): "
            + ("[red]drift[/]" if multivariate["drifted"] else "[green]ok[/]")
        )
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
