"""The registry/audit revision downgrades and upgrades again on both dialects."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from modelsteward.store import Store
from modelsteward.store._migrate import _config
from modelsteward.store.audit import GENESIS_HASH, AuditRepository

TABLES = {
    "audit_log",
    "audit_head",
    "registry_versions",
    "registry_aliases",
    "registry_alias_events",
}


def test_downgrade_and_upgrade_again(store: Store) -> None:
    assert set(sa.inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not TABLES & set(sa.inspect(store.engine).get_table_names())
    store.upgrade()
    assert AuditRepository(store.engine).head() == (0, GENESIS_HASH)
    assert store.schema_is_current()
