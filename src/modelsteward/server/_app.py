"""The FastAPI application: REST API under ``/api/v1``, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from modelsteward.server import _api_loop, _api_models, _api_ops, _drift, _performance
from modelsteward.server._alerting import AlertEngine, EmailChannel, WebhookChannel
from modelsteward.server._errors import install_handlers
from modelsteward.server._metrics import ServiceMetrics
from modelsteward.server._scheduler import Scheduler
from modelsteward.settings import Settings, _toml_file
from modelsteward.store import Store

if TYPE_CHECKING:
    from modelsteward.server._retrain import RetrainDispatcher

__all__ = ["create_app"]

log = logging.getLogger("modelsteward.server")


def _version() -> str:
    try:
        return version("modelsteward")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    dev: bool = False,
    worker_dir: Path | None = None,
) -> FastAPI:
    """Build the app. ``dev`` turns authentication off (serve it on loopback only).

    The store is opened from ``settings`` unless one is given; migrations run at start-up
    unless ``settings.migrate_on_start`` is off. ``worker_dir`` is set when several
    worker processes serve the app together (``steward serve --workers N``): the ingest
    counters of ``/metrics`` are then summed over the workers (Prometheus multi-process
    files in ``worker_dir/metrics``, where ``PROMETHEUS_MULTIPROC_DIR`` must point), and
    only the worker holding ``worker_dir/scheduler.lock`` runs the evaluation scheduler.
    """
    settings = settings or Settings()
    owns_store = store is None
    the_store = store if store is not None else Store.from_settings(settings)

    scheduler = build_scheduler(settings, the_store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            the_store.upgrade()
        task = None
        lock = None
        if settings.evaluation_interval_seconds > 0:
            lock = None if worker_dir is None else _try_lock(worker_dir / "scheduler.lock")
            if worker_dir is None or lock is not None:
                task = asyncio.create_task(_evaluate_forever(scheduler, settings))
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in scheduler.alerts.channels if scheduler.alerts else []:
            channel.close()
        if scheduler.retrain is not None:
            scheduler.retrain.close()
        if owns_store:
            the_store.close()
        if lock is not None:
            lock.close()

    app = FastAPI(
        title="modelsteward",
        version=_version(),
        description="Monitoring service: predictions, labels, drift, alerts.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.dev = dev
    app.state.metrics = ServiceMetrics(
        store=the_store,
        windows=settings.evaluation_windows,
        multiprocess_dir=None if worker_dir is None else str(worker_dir / "metrics"),
    )
    app.state.scheduler = scheduler
    install_handlers(app)
    app.include_router(_api_models.router)
    app.include_router(_api_ops.router)
    app.include_router(_drift.router)
    app.include_router(_performance.router)
    app.include_router(_api_loop.router)
    _install_ops_routes(app)
    _install_request_metrics(app)
    return app


def _try_lock(path: Path) -> IO[bytes] | None:
    """An exclusive lock on ``path`` held while the returned file stays open, or ``None``
    when another process holds it."""
    import fcntl

    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def build_scheduler(settings: Settings, store: Store) -> Scheduler:
    """The evaluation scheduler with the alert rules and webhooks of ``settings``."""
    import httpx

    client = httpx.Client() if settings.webhooks else None
    dead_letter = Path(settings.home).expanduser() / "dead-letter" / "webhooks.jsonl"
    channels: list[WebhookChannel | EmailChannel] = [
        WebhookChannel(w, client, dead_letter=dead_letter) for w in settings.webhooks
    ]

    channels += [EmailChannel(e, dead_letter=dead_letter) for e in settings.emails]
    engine = AlertEngine(store, settings.alert_rules, channels, public_url=settings.public_url)
    return Scheduler(
        store,
        settings.evaluation_windows,
        alerts=engine,
        backfill=settings.evaluation_backfill,
        retention_days=settings.feature_retention_days,
        retrain=_retrain_dispatcher(settings, store),
    )


def _retrain_dispatcher(settings: Settings, store: Store) -> RetrainDispatcher | None:
    """The retraining dispatcher, built only when the configuration has ``[retrain]`` tables.

    The retraining machinery (scipy.stats, pyarrow.dataset and pandas) takes about a second
    and 100 MB to import; a server that retrains nothing should not pay for it.
    """
    path = _toml_file()
    if not path.is_file():  # no configuration file (the usual case): nothing to retrain
        return None
    with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        if "retrain" not in tomllib.loads(path.read_text(encoding="utf-8")):
            return None
    # A [retrain] table, or a file that cannot be read: the full loader says what is wrong.
    from modelsteward.server._retrain_config import dispatcher_from_settings

    return dispatcher_from_settings(settings, store)


async def _evaluate_forever(scheduler: Scheduler, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.evaluation_interval_seconds)
        try:
            await run_in_threadpool(scheduler.run_once)
        except Exception:
            log.exception("scheduled evaluation failed")


def _install_ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="The database answers and its schema is current",
        responses={503: {"description": "Database unreachable or not migrated"}},
    )
    def readyz(request: Request) -> JSONResponse:
        store: Store = request.app.state.store
        if store.ping():
            return JSONResponse({"status": "ready"})
        return JSONResponse(
            {"status": "unavailable", "detail": "database unreachable or not migrated"},
            status_code=503,
        )

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics(request: Request) -> Response:
        registry = request.app.state.metrics.scrape_registry()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _install_request_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            m: ServiceMetrics = request.app.state.metrics
            m.requests.labels(request.method, template, str(status)).inc()
            m.request_seconds.labels(template).observe(time.perf_counter() - started)
