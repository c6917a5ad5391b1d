"""The monitoring service: a FastAPI app over :mod:`modelsteward.store`.

Everything under ``/api/v1`` with ``Authorization: Bearer KEY`` (scopes ingest, read,
admin); ``/healthz``, ``/readyz``, ``/metrics`` and ``/openapi.json`` outside it.
User input never causes a 5xx: every :class:`~modelsteward.errors.StewardError` maps
to a 4xx JSON answer ``{"detail": ..., "type": ..., "errors": [...]}``.
"""

from __future__ import annotations

from modelsteward.errors import require

require("fastapi", "server", "The modelsteward server")
require("prometheus_client", "server", "The modelsteward server")

from modelsteward.server._app import create_app  # noqa: E402
from modelsteward.server._errors import (  # noqa: E402
    DriftUnavailableError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    status_of,
)
from modelsteward.server._grafana import grafana_dashboard, prometheus_rules  # noqa: E402

__all__ = [
    "DriftUnavailableError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "create_app",
    "grafana_dashboard",
    "prometheus_rules",
    "status_of",
]
