"""``steward serve``: the monitoring service (migrates the database first)."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, settings_for
from modelsteward.errors import StewardError

if TYPE_CHECKING:
    from modelsteward.settings import Settings

__all__ = ["serve"]

_DEV_BANNER = """\
************************************************************************
*  DEVELOPMENT MODE: authentication is OFF.                            *
*  Listening on 127.0.0.1 only; anyone on this machine can read and    *
*  write. Never use --dev in production: create a key with            *
*  `steward keys create --name NAME --scope admin` and drop --dev.     *
************************************************************************"""


class NoApiKeyError(StewardError):
    """``steward serve`` without ``--dev`` needs at least one API key."""


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port.")] = None,
    database: DatabaseOption = None,
    dev: Annotated[
        bool, typer.Option("--dev", help="No authentication; binds to 127.0.0.1 only.")
    ] = False,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="Do not run the schema migrations at start.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (ingest is CPU-bound: up to one per core). /metrics "
            "sums the workers' counters; one worker runs the evaluation scheduler.",
        ),
    ] = 1,
) -> None:
    """Run the monitoring service (REST API, /metrics, /healthz, /readyz)."""
    from modelsteward.errors import require

    require("uvicorn", "server", "steward serve")
    import uvicorn

    from modelsteward.server import create_app
    from modelsteward.server._workers import freeze_startup_objects
    from modelsteward.store import Store

    settings = settings_for(database)
    bind_host = host or settings.host
    bind_port = port if port is not None else settings.port
    store = Store.from_settings(settings)
    if not no_migrate and settings.migrate_on_start:
        store.upgrade()
    if dev:
        if bind_host not in ("127.0.0.1", "localhost"):
            print(f"--dev ignores --host {bind_host}: binding to 127.0.0.1", file=sys.stderr)
        bind_host = "127.0.0.1"
        print(_DEV_BANNER, file=sys.stderr)
    elif store.keys.count_active() == 0:
        store.close()
        raise NoApiKeyError(
            "no API key exists, so nobody could use the service; create one with "
            "`steward keys create --name NAME --scope admin`, or run `steward serve --dev` "
            "to try it locally without authentication"
        )
    settings = settings.model_copy(update={"migrate_on_start": False})
    if workers > 1:
        store.close()
        _serve_workers(settings, dev, workers, bind_host, bind_port)
        return
    application = create_app(settings, store=store, dev=dev)
    print(f"steward: serving on http://{bind_host}:{bind_port}", file=sys.stderr)
    freeze_startup_objects()
    try:
        uvicorn.run(
            application,
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level,
            access_log=False,
        )
    finally:
        gc.unfreeze()  # for a caller that runs `serve` inside its own process
    store.close()


def _serve_workers(settings: Settings, dev: bool, workers: int, host: str, port: int) -> None:
    """Run ``workers`` uvicorn worker processes, each building its app from the
    environment set here (see :mod:`modelsteward.server._workers`)."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import uvicorn

    from modelsteward.server._workers import ENV_DEV, ENV_WORKER_DIR

    folder = Path(tempfile.mkdtemp(prefix="steward-serve-"))
    (folder / "metrics").mkdir()
    os.environ.update(
        {
            "STEWARD_DATABASE_URL": settings.resolved_database_url(),
            ENV_DEV: "1" if dev else "0",
            ENV_WORKER_DIR: str(folder),
            # read by prometheus_client when a worker imports it
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
    )
    print(
        f"steward: serving on http://{host}:{port} with {workers} worker processes",
        file=sys.stderr,
    )
    try:
        uvicorn.run(
            "modelsteward.server._workers:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=settings.log_level,
            access_log=False,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@app.command("grafana-dashboard")
def grafana_dashboard_command(
    model: Annotated[str, typer.Argument(help="Model name.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write a provisioning-ready Grafana dashboard (JSON) for MODEL's /metrics series."""
    import json
    from pathlib import Path

    from modelsteward.server import grafana_dashboard

    text = json.dumps(grafana_dashboard(model), indent=2)
    if output is None:
        typer.echo(text)
    else:
        Path(output).write_text(text + "\n")
        print(f"dashboard written to {output}", file=sys.stderr)


@app.command("prometheus-rules")
def prometheus_rules_command(
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write Prometheus alerting rules (YAML) for the alert rules of steward.toml."""
    from pathlib import Path

    from modelsteward.server import prometheus_rules

    text = prometheus_rules(settings_for().alert_rules)
    if output is None:
        typer.echo(text, nl=False)
    else:
        Path(output).write_text(text)
        print(f"rules written to {output}", file=sys.stderr)
