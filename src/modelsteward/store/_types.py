"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["IdText", "JSONType", "PKType", "UTCDateTime"]

#: Auto-incrementing 64-bit primary key (plain INTEGER on SQLite, where only that aliases rowid).
PKType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: An opaque identifier (a prediction id), compared byte by byte: ``COLLATE "C"`` on
#: PostgreSQL, where the database's locale collation makes every index comparison slow;
#: SQLite compares text with ``memcmp`` already (and knows no collation named "C").
IdText = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")

#: JSON document (``json`` on PostgreSQL, text on SQLite).
JSONType = sa.JSON(none_as_null=True)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect.

    Naive values are taken to be UTC; values come back aware, in UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        ts: datetime = value
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        return ts.replace(tzinfo=None) if dialect.name == "sqlite" else ts

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        ts = cast(datetime, value)
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
