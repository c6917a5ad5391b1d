"""Feature profiles per model per time bucket, merged at ingest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from modelsteward.store._domain import ProfileBucket
from modelsteward.store._engine import read_tx
from modelsteward.store._orm import FeatureProfileRow
from modelsteward.store._repos._common import upsert_insert, utcnow

_F = cast(sa.Table, FeatureProfileRow.__table__)

#: Merges two serialised profiles into one serialised profile.
Merger = Callable[[str, str], str]


class ProfileRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @staticmethod
    def merge(
        conn: Connection,
        model_id: int,
        bucket_start: datetime,
        bucket_seconds: int,
        rows: int,
        profile: str,
        merger: Merger,
    ) -> None:
        """Merge ``profile`` into the bucket, creating it when it is the first.

        Safe under concurrent writers: SQLite serialises write transactions; on PostgreSQL
        the row is locked (``FOR UPDATE``) and an insert race falls back to the merge.
        """
        ProfileRepository.merge_with(
            conn,
            model_id,
            bucket_start,
            bucket_seconds,
            rows,
            lambda: profile,
            lambda stored: merger(stored, profile),
        )

    @staticmethod
    def merge_with(
        conn: Connection,
        model_id: int,
        bucket_start: datetime,
        bucket_seconds: int,
        rows: int,
        first: Callable[[], str],
        merge: Callable[[str], str],
    ) -> None:
        """Add ``rows`` to the bucket: its profile becomes ``merge(stored profile)``, or
        ``first()`` when the bucket is new (both called under the bucket's lock).

        Safe under concurrent writers: SQLite serialises write transactions; on PostgreSQL
        the row is locked (``FOR UPDATE``) and an insert race falls back to the merge.
        """
        select = (
            sa.select(_F.c.id, _F.c.rows, _F.c.profile)
            .where(_F.c.model_id == model_id, _F.c.bucket_start == bucket_start)
            .with_for_update()
        )
        for _ in range(3):
            existing = conn.execute(select).first()
            if existing is not None:
                conn.execute(
                    _F.update()
                    .where(_F.c.id == existing[0])
                    .values(
                        rows=existing[1] + rows, profile=merge(existing[2]), updated_at=utcnow()
                    )
                )
                return
            stmt = (
                upsert_insert(conn, _F)
                .values(
                    model_id=model_id,
                    bucket_start=bucket_start,
                    bucket_seconds=bucket_seconds,
                    rows=rows,
                    profile=first(),
                    updated_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["model_id", "bucket_start"])
                .returning(_F.c.id)
            )
            if conn.execute(stmt).first() is not None:
                return
        raise RuntimeError("could not merge a feature profile after 3 attempts")  # pragma: no cover

    def buckets(self, model_id: int, start: datetime, end: datetime) -> list[ProfileBucket]:
        """Buckets whose start lies in ``[start, end)``, oldest first."""
        with read_tx(self._engine) as conn:
            rows = conn.execute(
                sa.select(_F.c.bucket_start, _F.c.bucket_seconds, _F.c.rows, _F.c.profile)
                .where(_F.c.model_id == model_id, _F.c.bucket_start >= start)
                .where(_F.c.bucket_start < end)
                .order_by(_F.c.bucket_start)
            ).all()
        return [ProfileBucket(r[0], r[1], r[2], r[3]) for r in rows]
