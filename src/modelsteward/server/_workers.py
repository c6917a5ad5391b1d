"""Serving with several worker processes (``steward serve --workers N``).

Each uvicorn worker process builds its app with :func:`worker_app`, from the
environment ``steward serve`` prepared: the settings (``STEWARD_*``, the database URL
included), :data:`ENV_DEV` for ``--dev``, and :data:`ENV_WORKER_DIR`, the folder the
workers share for the summed ``/metrics`` and the scheduler lock.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from fastapi import FastAPI

__all__ = ["ENV_DEV", "ENV_WORKER_DIR", "freeze_startup_objects", "worker_app"]

#: "1" when ``steward serve --dev`` started the workers (no authentication).
ENV_DEV = "STEWARD_SERVE_DEV"
#: The folder the workers of one ``steward serve`` share.
ENV_WORKER_DIR = "STEWARD_SERVE_WORKER_DIR"


def worker_app() -> FastAPI:
    """The app of one worker (uvicorn calls it in each worker process)."""
    from modelsteward.server._app import create_app
    from modelsteward.settings import load_settings

    settings = load_settings().model_copy(update={"migrate_on_start": False})
    app = create_app(
        settings,
        dev=os.environ.get(ENV_DEV) == "1",
        worker_dir=Path(os.environ[ENV_WORKER_DIR]),
    )
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave everything alive now out of the cyclic collector's passes from here on.

    A serving process's modules, routes, schemas and store live until it exits, and
    every request allocates thousands of objects, so full collections keep walking that
    start-up graph for nothing; frozen, they walk only what requests created. Called by
    ``steward serve`` (and each of its workers) once the app is built, never by
    :func:`~modelsteward.server.create_app`, which may run inside someone else's process.

    >>> freeze_startup_objects(); gc.get_freeze_count() > 0
    True
    >>> gc.unfreeze()
    """
    gc.freeze()
