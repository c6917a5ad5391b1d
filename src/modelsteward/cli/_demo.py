"""``steward demo``: the predictive-maintenance story, end to end, on the embedded store."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer

from modelsteward.cli._app import app

__all__ = ["demo"]

_STYLE = {
    "drift_detected": "bold yellow",
    "alert": "yellow",
    "retrain": "cyan",
    "gate_passed": "green",
    "gate_failed": "red",
    "shadow": "blue",
    "canary_step": "blue",
    "promoted": "bold green",
    "rolled_back": "bold red",
    "fallback": "magenta",
}


def _describe(event: str, d: dict[str, Any]) -> str:
    if event == "drift_detected":
        why = "; ".join(str(r.get("detail")) for r in d.get("policy") or [])
        return f"{d.get('kind')} drift, retraining policy: {why} -> {d.get('decision')}"
    if event == "alert":
        return f"webhook {d.get('url')} -> HTTP {d.get('status')}"
    if event == "retrain":
        return (
            f"{d.get('status')}: {d.get('strategy')} of {d.get('training_rows')} rows, "
            f"{d.get('holdout_rows')} held out, {d.get('seconds')} s in a subprocess"
        )
    if event in ("gate_passed", "gate_failed"):
        reasons = d.get("reasons") or []
        return f"v{d.get('version', '?')}: {reasons[0] if reasons else ''}"
    if event == "shadow":
        return f"v{d.get('version')} mirrored, {d.get('reason')}"
    if event == "canary_step":
        return f"v{d.get('version')} at {d.get('percent', 0):g} %"
    if event == "promoted":
        return f"v{d.get('version')} is champion (was v{d.get('previous')})"
    if event == "rolled_back":
        return (
            f"v{d.get('version')} in {d.get('caught_in')}: {d.get('reason')}, "
            f"failed {d.get('failed_guardrails')}"
        )
    if event == "fallback":
        to = d.get("fallback_to")
        return (
            f"champion v{d.get('failing_version')} raising: {d.get('served_by_fallback')} "
            f"predictions served by {'the default' if to == 'default' else f'v{to}'}, "
            f"breaker opened {d.get('breaker_opens')}x, now {d.get('breaker_state')}"
        )
    return json.dumps(d, default=str)


@app.command("demo")
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON summary alone on stdout.")
    ] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Exit after the story (no server).")
    ] = False,
    days: Annotated[int, typer.Option("--days", min=12, help="Simulated days.")] = 18,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated fleet.")] = 0,
    rows: Annotated[
        int,
        typer.Option(
            "--rows", min=4000, help="Sensor readings per simulated day, one gateway call each."
        ),
    ] = 8000,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress or timeline.")] = False,
) -> None:
    """Run the closed loop on a simulated machine fleet: drift, alert, retrain, gate,
    shadow, canary, promote, roll back a bad candidate, fall back; then serve the result."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from modelsteward.cli._db import settings_for
    from modelsteward.demo import DemoConfig, Story, TimelineEvent

    settings = settings_for(None)
    console = Console(stderr=True)
    show = not quiet and console.is_terminal
    progress = Progress(
        TextColumn("[bold]simulated days"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not show,
        transient=True,
    )
    task = progress.add_task("days", total=days)

    def on_event(ev: TimelineEvent) -> None:
        if show:
            style = _STYLE.get(ev.event, "")
            progress.console.print(
                f"day {ev.day:>2}  [{style}]{ev.event:<15}[/]  {_describe(ev.event, ev.detail)}"
            )

    story = Story(
        settings,
        DemoConfig(days=days, seed=seed, rows=rows),
        on_event=on_event,
        on_day=lambda d: progress.update(task, completed=d + 1),
    )
    with progress:
        summary = story.run()
    acc = summary["accuracy"] = {k: _no_nan(v) for k, v in summary["accuracy"].items()}
    if as_json:
        print(json.dumps(summary, allow_nan=False))
    elif not quiet:
        console.print(
            f"champion v{summary['champion_before']} -> v{summary['champion_after']}; accuracy "
            f"before drift {acc['before_drift']}, after drift {acc['after_drift']}, "
            f"after retraining {acc['after_retrain']}; audit chain "
            + ("verified" if summary["audit_verified"] else "[bold red]BROKEN[/]")
        )
        console.print(
            f"inspect: steward audit verify | steward registry history {story.config.model}"
        )
    if no_serve:
        if not quiet:
            print("start the server with: steward serve --dev", file=sys.stderr)
        return
    from modelsteward.cli._serve import serve

    serve(host=None, port=None, database=None, dev=True, no_migrate=False)


def _no_nan(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
