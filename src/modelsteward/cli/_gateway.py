"""``steward gateway --config FILE``: serve models with shadow, canary and fallback.

The configuration (see :mod:`modelsteward.rollout._config`) names the models, their
versions (by import path, or ``registry = true`` to serve the registry's versions and
aliases and make promotions move its ``champion`` alias) and each rollout policy. With
``log = "store"`` (the default) every served prediction is written to the monitoring
store like SDK traffic, and every rollout step, promotion, rollback and approval to the
audit log.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelsteward.cli._app import app
from modelsteward.cli._db import DatabaseOption, open_store, settings_for
from modelsteward.errors import ParameterError

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DEFAULT_PORT", "build_gateway", "gateway"]

#: Where ``steward gateway`` listens, and ``steward rollout`` looks, by default.
DEFAULT_PORT = 8300


def build_gateway(config: Path, database: str | None = None) -> tuple[FastAPI, Callable[[], None]]:
    """The app for ``config`` and a function releasing what it opened."""
    from modelsteward.errors import require

    require("fastapi", "server", "steward gateway")
    from modelsteward.rollout import Gateway, create_gateway_app
    from modelsteward.rollout._config import load_config, uses_registry

    sink = events = store = registry = None
    if uses_registry(config):
        from modelsteward.registry import Registry, RegistryModelProvider

        store = open_store(database)
        registry = Registry.from_settings(settings_for(database), store)
        reg = registry
        cfg = load_config(config, registry=lambda name: RegistryModelProvider(reg, name))
    else:
        cfg = load_config(config)
    if cfg.log == "store":
        from modelsteward.governance.audit import AuditLog
        from modelsteward.rollout._store_sink import StorePredictionSink
        from modelsteward.store import NotFoundError

        store = store or open_store(database)
        for spec in cfg.models:
            try:
                store.models.id_of(spec.name)
            except NotFoundError:
                task = cfg.tasks.get(spec.name)
                if task is None:
                    store.close()
                    raise ParameterError(
                        f"{config}: model {spec.name!r} is not in the monitoring store; create "
                        f"it with `steward models create {spec.name} --task ...`, set "
                        f'task = "binary" (or multiclass, regression) in [models.{spec.name}],'
                        ' or set log = "none" in [gateway]'
                    ) from None
                store.models.create(spec.name, task)
        sink = StorePredictionSink(store)
        events = AuditLog(store).event_log(actor="rollout", prefix="rollout.")
    # With a store open, rollouts are saved there and a restarted gateway resumes them.
    state_store = None
    if store is not None:
        from modelsteward.rollout import StoreStateStore

        state_store = StoreStateStore(store)
    gw = Gateway(
        cfg.models,
        sink=sink,
        events=events,
        shadow_queue=cfg.shadow_queue,
        registry=registry,
        state_store=state_store,
    )
    application = create_gateway_app(gw, token=cfg.token, close_on_shutdown=True)

    def release() -> None:
        gw.close()
        if sink is not None:
            sink.close()
        if store is not None:
            store.close()

    return application, release


@app.command("gateway")
def gateway(
    config: Annotated[
        Path,
        typer.Option("--config", help="Gateway configuration (TOML): models, versions, policy."),
    ],
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = DEFAULT_PORT,
    database: DatabaseOption = None,
) -> None:
    """Serve POST /predict/{model} with shadow, canary, fallback and rollout control."""
    from modelsteward.errors import require

    require("uvicorn", "server", "steward gateway")
    import uvicorn

    application, release = build_gateway(config, database)
    print(f"steward: gateway serving on http://{host}:{port}", file=sys.stderr)
    try:
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
    finally:
        release()
