"""Alembic environment: runs on the connection handed over by :func:`upgrade`."""

from __future__ import annotations

from alembic import context

from modelsteward.store._orm import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through modelsteward.store
    raise RuntimeError("run migrations with `steward db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
