"""``steward profile``: write a mergeable profile of a table, or merge profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelsteward.cli._app import app
from modelsteward.cli._drift import parse_pairs
from modelsteward.cli._memory import cycle_collector_paused, keep_freed_memory
from modelsteward.cli._progress import progress_bar, stderr_console
from modelsteward.errors import ParameterError

__all__ = ["profile_command"]


@app.command("profile")
def profile_command(
    inputs: Annotated[
        list[str],
        typer.Argument(help="DATA to profile, or `merge` followed by profiles to merge."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the profile.")],
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="Bin numbers on this profile's edges (exact PSI)."),
    ] = None,
    schema: Annotated[
        list[str] | None, typer.Option("--schema", help="COL=KIND, repeatable.")
    ] = None,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins per numeric column.")] = 20,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write a mergeable profile of DATA, or merge profiles: `steward profile merge A B -o OUT`."""
    from modelsteward.data import open_table
    from modelsteward.profiles import TableProfile, profile_table

    if inputs[0] == "merge":
        parts = inputs[1:]
        if not parts:
            raise ParameterError("profile merge needs at least one profile .json to merge")
        profiles = [TableProfile.load(Path(p)) for p in parts]
        merged = profiles[0].merge(*profiles[1:])
        merged.save(output)
        stderr_console().print(f"merged {len(parts)} profiles ({merged.rows} rows) into {output}")
        return
    if len(inputs) != 1:
        raise ParameterError(
            f"profile takes one DATA file (got {len(inputs)}); to merge profiles use "
            "`steward profile merge A.json B.json -o OUT.json`"
        )
    keep_freed_memory()
    source = open_table(inputs[0])
    ref_profile = TableProfile.load(reference) if reference is not None else None
    passes = 1 if ref_profile is not None or bins == 0 else 2
    with cycle_collector_paused(), progress_bar("profiling rows", quiet=quiet) as update:
        profile = profile_table(
            source,
            schema=parse_pairs(schema, "--schema"),
            reference=ref_profile,
            bins=bins,
            on_batch=lambda rows: update(rows, source.num_rows * passes),
        )
    profile.save(output)
    if not quiet:
        stderr_console().print(f"profiled {profile.rows} rows into {output}")
