"""``steward performance PREDICTIONS`` and ``steward estimate REFERENCE CURRENT``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from modelsteward.cli._app import app
from modelsteward.errors import ParameterError, SchemaError

if TYPE_CHECKING:
    from modelsteward.data import TableSource
    from modelsteward.performance import PerformanceReport

__all__ = ["estimate_command", "performance_command"]


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class Task(StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"cannot write {output}: {exc.strerror}") from exc


def _console(output: Path | None) -> tuple[Console, Any]:
    if output is not None:
        handle = output.open("w", encoding="utf-8")
        return Console(file=handle, width=200), handle
    console = Console()
    return (console if console.is_terminal else Console(width=200)), None


def _score_spec(scores: list[str] | None) -> str | dict[str, str] | list[str] | None:
    """``--score p`` → ``"p"``; ``--score a=pa --score b=pb`` → mapping; several plain → list."""
    if not scores:
        return None
    if all("=" in s for s in scores):
        pairs = [s.split("=", 1) for s in scores]
        return dict(pairs)
    if any("=" in s for s in scores):
        raise ParameterError("--score takes either COL or CLASS=COL for every class, not a mix")
    return scores[0] if len(scores) == 1 else list(scores)


def _infer_task(src: TableSource, label: str, prediction: str, score: object) -> str:
    """binary / multiclass / regression from the prediction column and the score columns."""
    import numpy as np
    import pyarrow.compute as pc

    if isinstance(score, dict | list):
        return "multiclass"
    if prediction not in src.column_names:
        raise SchemaError(
            f"{src.name}: no prediction column {prediction!r}; the columns are {src.column_names}"
        )
    values = src.column(prediction)
    kinds = [values]
    if label in src.column_names:
        kinds.append(src.column(label))
    import pyarrow as pa

    if pa.types.is_floating(values.type):
        arr = np.asarray(values.to_numpy(zero_copy_only=False), dtype=float)
        if np.any(np.mod(arr[np.isfinite(arr)], 1) != 0):
            return "regression"
    distinct = set()
    for col in kinds:
        distinct.update(pc.unique(col.drop_null()).to_pylist()[:1000])
    return "binary" if len(distinct) <= 2 else "multiclass"


def _cell(metric: dict[str, Any], with_reference: bool) -> str:
    if metric["status"] != "ok":
        return f"[dim]{metric['status']}[/]"
    text = f"{metric['value']:.4f}"
    if metric["lower"] is not None:
        text += f" [{metric['lower']:.3f}, {metric['upper']:.3f}]"
    if with_reference and metric["reference"] is not None:
        text += f" ref {metric['reference']:.4f}"
    change = metric.get("change")
    if change and change["degraded"]:
        text = f"[bold red]{text} ▼[/]"
    return text


def _slice_table(
    title: str, slices: list[dict[str, Any]], names: list[str], with_reference: bool
) -> Table:
    table = Table(title=title, show_edge=False, title_justify="left")
    for heading in ("slice", "n", "labelled", *names):
        table.add_column(heading, justify="left" if heading == "slice" else "right")
    for s in slices:
        table.add_row(
            str(s["key"]),
            str(s["n"]),
            f"{s['n_labelled']} ({s['coverage']:.0%})",
            *[_cell(s["metrics"][m], with_reference) for m in names],
        )
    return table


def _print_report(data: dict[str, Any], console: Console) -> None:
    labels = data["labels"]
    verdict = "[bold red]DEGRADED[/]" if data["degraded"] else "[bold green]no degradation[/]"
    line = (
        f"{verdict} ({data['task']}): {labels['predictions']} predictions, "
        f"{labels['matched']} labelled ({labels['coverage']:.1%})"
    )
    if "unknown_ids" in labels:
        line += f", {labels['unknown_ids']} labels for unknown prediction ids"
        if labels["unknown_id_examples"]:
            line += f" (e.g. {labels['unknown_id_examples'][:3]})"
    console.print(line)
    names = data["metrics"]
    has_ref = data["reference"] is not None
    head = [data["overall"]] + ([data["reference"]] if has_ref else [])
    console.print(_slice_table("overall", head, names, False))
    if data["windows"]:
        console.print(_slice_table("windows", data["windows"], names, False))
    if data["segments"]:
        console.print(_slice_table("segments", data["segments"], names, has_ref))
    console.print(
        f"[dim]{data['confidence']:.0%} intervals; ▼ = significantly worse than the reference[/]"
    )


def _html(data: dict[str, Any]) -> str:
    """The report module's performance page (the same module as ``steward drift``)."""
    from modelsteward.report import render_performance_html

    return render_performance_html(data, title="Model performance")


@app.command("performance")
def performance_command(
    predictions: Annotated[str, typer.Argument(help="Predictions table (.csv/.parquet/.jsonl).")],
    label: Annotated[str, typer.Option("--label", help="Label column.")] = "label",
    prediction: Annotated[str, typer.Option("--prediction", help="Predicted value column.")] = (
        "prediction"
    ),
    score: Annotated[
        list[str] | None,
        typer.Option(
            "--score", help="Probability column (binary), or CLASS=COL per class (repeatable)."
        ),
    ] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="Separate label table joined by prediction id.")
    ] = None,
    id_column: Annotated[str, typer.Option("--id", help="Prediction id column.")] = "id",
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="Labelled reference table to test changes against."),
    ] = None,
    task: Annotated[Task | None, typer.Option("--task", help="Default: inferred.")] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="Window: a duration (1h, 1d, 1w) or a row count (10000)."),
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Segment column.")] = None,
    time_column: Annotated[str | None, typer.Option("--time-column", help="Time column.")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Repeatable.")] = None,
    positive: Annotated[str | None, typer.Option("--positive", help="Positive class.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples.")] = 200,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    fail_on_degradation: Annotated[
        bool,
        typer.Option("--fail-on-degradation", help="Exit 1 when a metric got significantly worse."),
    ] = False,
) -> None:
    """Metrics per window (and segment) with confidence intervals and label coverage."""
    from modelsteward.data import open_table
    from modelsteward.performance import evaluate

    spec = _score_spec(score)
    src = open_table(predictions)
    kind = task.value if task is not None else _infer_task(src, label, prediction, spec)
    pos: Any = positive
    if positive is not None and positive.lstrip("-").isdigit():
        pos = int(positive)
    report: PerformanceReport = evaluate(
        src,
        labels,
        task=kind,
        label=label,
        prediction=prediction,
        score=spec,
        time=time_column,
        id=id_column,
        window=int(window) if window and window.isdigit() else window,
        segment=segment,
        reference=reference,
        metrics=metric,
        positive=pos,
        n_boot=n_boot,
        seed=seed,
    )
    if format is Format.json:
        _write(report.to_json(), output)
    elif format is Format.html:
        _write(_html(report.to_dict()), output)
    else:
        console, handle = _console(output)
        try:
            _print_report(report.to_dict(), console)
        finally:
            if handle is not None:
                handle.close()
    if fail_on_degradation and report.degraded:
        raise typer.Exit(1)


def _class_scores(src: TableSource, spec: object, problem: str) -> Any:
    import numpy as np

    from modelsteward.performance._inputs import column

    if isinstance(spec, dict):
        return {
            k: np.asarray(column(src, v, "score").to_numpy(), dtype=float) for k, v in spec.items()
        }
    if isinstance(spec, list):
        return np.column_stack(
            [np.asarray(column(src, c, "score").to_numpy(), dtype=float) for c in spec]
        )
    if spec is None:
        raise ParameterError(f"--score is required for a {problem} problem")
    return np.asarray(column(src, str(spec), "score").to_numpy(zero_copy_only=False), float)


def _estimates(
    reference: str,
    current: str,
    label: str,
    spec: object,
    problem: str,
    features: list[str] | None,
    threshold: float,
    threads: int | None = None,
) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa

    from modelsteward.data import open_table
    from modelsteward.performance import CBPE, DLE
    from modelsteward.performance._inputs import column

    ref, cur = open_table(reference, name="reference"), open_table(current, name="current")
    y_ref_arr = column(ref, label, "label")
    if y_ref_arr.null_count:
        raise SchemaError(f"reference: label column {label!r} has missing values")
    y_ref = np.asarray(y_ref_arr.to_numpy(zero_copy_only=False))
    out: dict[str, Any] = {
        "problem": problem,
        "reference_rows": ref.num_rows,
        "current_rows": cur.num_rows,
    }
    if problem == "regression":
        if not isinstance(spec, str):
            raise ParameterError("a regression problem takes one --score: the prediction column")
        names = features or [c for c in ref.column_names if c not in (label, spec)]
        frame_ref = pa.table({c: column(ref, c, "feature") for c in names})
        frame_cur = pa.table({c: column(cur, c, "feature") for c in names})
        pred_ref = column(ref, spec, "prediction").to_numpy(zero_copy_only=False)
        pred_cur = column(cur, spec, "prediction").to_numpy(zero_copy_only=False)
        dle = DLE(n_threads=threads).fit(frame_ref, pred_ref, y_ref)
        est = dle.estimate_with_error(frame_cur, pred_cur)
        out["features"] = names
        reference_values = dle.reference_metrics_
    else:
        cbpe = CBPE(problem=problem, threshold=threshold)
        cbpe.fit(y_ref, _class_scores(ref, spec, problem))
        est = cbpe.estimate_with_error(_class_scores(cur, spec, problem))
        out["calibrated"] = cbpe.calibrated_
        reference_values = cbpe.reference_metrics_
    out["estimates"] = {
        name: {**values, "reference": reference_values.get(name)} for name, values in est.items()
    }
    return out


@app.command("estimate")
def estimate_command(
    reference: Annotated[str, typer.Argument(help="Labelled reference table.")],
    current: Annotated[str, typer.Argument(help="Current table, labels not needed.")],
    label: Annotated[str, typer.Option("--label", help="Label column of the reference.")] = (
        "label"
    ),
    score: Annotated[
        list[str] | None,
        typer.Option(
            "--score",
            help="p(positive) column; CLASS=COL per class (multiclass); the prediction "
            "column (regression).",
        ),
    ] = None,
    problem: Annotated[Task, typer.Option("--problem", help="Kind of model.")] = Task.binary,
    feature: Annotated[
        list[str] | None,
        typer.Option("--feature", help="Feature column for DLE (repeatable; default: all others)."),
    ] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Binary threshold.")] = 0.5,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Threads for DLE's models (default: all).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
) -> None:
    """Estimate performance without labels: CBPE (classification) or DLE (regression)."""
    import json

    from modelsteward.performance._results import json_safe

    if format is Format.html:
        raise ParameterError("steward estimate writes text or json; --format html is not offered")
    data = _estimates(
        reference, current, label, _score_spec(score), problem.value, feature, threshold, threads
    )
    if format is Format.json:
        _write(json.dumps(json_safe(data), indent=2), output)
        return
    console, handle = _console(output)
    try:
        extra = (
            f", calibrated: {'yes' if data.get('calibrated') else 'no'}"
            if ("calibrated" in data)
            else ""
        )
        console.print(
            f"{'DLE' if problem is Task.regression else 'CBPE'} estimates for "
            f"{data['current_rows']} current rows ({problem.value}{extra})"
        )
        table = Table(show_edge=False)
        for heading in ("metric", "estimate", "sampling error", "95% interval", "reference"):
            table.add_column(heading, justify="left" if heading == "metric" else "right")
        for name, v in data["estimates"].items():
            ref_value = "" if v["reference"] is None else f"{v['reference']:.4f}"
            table.add_row(
                name,
                f"{v['estimate']:.4f}",
                f"{v['sampling_error']:.4f}",
                f"[{v['lower']:.4f}, {v['upper']:.4f}]",
                ref_value,
            )
        console.print(table)
    finally:
        if handle is not None:
            handle.close()
