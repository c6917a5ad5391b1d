"""Storage for the monitoring service: SQLite by default, PostgreSQL in production.

SQLAlchemy 2 tables (private, one module per aggregate), Alembic migrations shipped inside
the package, and repositories that return the domain objects below. Nothing outside this
package touches the ORM.
"""

from __future__ import annotations

from modelsteward.errors import require

require("sqlalchemy", "server", "The modelsteward store")
require("alembic", "server", "The modelsteward store")

from modelsteward.store._batch import PredictionBatch  # noqa: E402
from modelsteward.store._domain import (  # noqa: E402
    TASKS,
    Alert,
    AlertRule,
    ApiKey,
    Evaluation,
    IngestResult,
    LabelRecord,
    Model,
    ModelStats,
    PredictionRecord,
    ProfileBucket,
    Scope,
)
from modelsteward.store._errors import (  # noqa: E402
    AuthError,
    BatchError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from modelsteward.store._store import Store  # noqa: E402

__all__ = [
    "TASKS",
    "Alert",
    "AlertRule",
    "ApiKey",
    "AuthError",
    "BatchError",
    "ConflictError",
    "Evaluation",
    "ForbiddenError",
    "IngestResult",
    "LabelRecord",
    "Model",
    "ModelStats",
    "NotFoundError",
    "PredictionBatch",
    "PredictionRecord",
    "ProfileBucket",
    "Scope",
    "Store",
]
