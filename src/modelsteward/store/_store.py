"""The :class:`Store`: one engine, its repositories and the ingest operations."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from modelsteward.errors import InputError
from modelsteward.store import _profiling
from modelsteward.store._domain import IngestResult, LabelRecord, PredictionRecord
from modelsteward.store._engine import make_engine, retrying, write_tx
from modelsteward.store._migrate import current_revisions, head_revisions, upgrade
from modelsteward.store._orm import PredictionRow
from modelsteward.store._repos import (
    AlertRepository,
    AlertRuleRepository,
    EvaluationRepository,
    EventRepository,
    KeyRepository,
    ModelRepository,
    ProfileRepository,
)
from modelsteward.store._retention import FeatureArchive
from modelsteward.store._validate import check_labels, check_predictions

if TYPE_CHECKING:
    from modelsteward.settings import Settings

__all__ = ["Store"]

_P = cast(sa.Table, PredictionRow.__table__)
_REFERENCE_TTL = 10.0  # seconds a cached reference profile is trusted


class Store:
    """Everything modelsteward keeps, behind repositories that return domain objects.

    >>> store = Store("sqlite://")
    >>> store.upgrade()
    >>> store.models.create("churn", "binary").name
    'churn'
    >>> store.ingest_predictions("churn", [PredictionRecord(id="a", timestamp=datetime.now(UTC))])
    IngestResult(accepted=1, duplicates=[])
    >>> store.ingest_predictions("churn", [PredictionRecord(id="a", timestamp=datetime.now(UTC))])
    IngestResult(accepted=0, duplicates=['a'])
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 30_000,
        bucket_seconds: int = 3600,
        feature_dir: Path | None = None,
    ) -> None:
        self.url = url
        self.features = FeatureArchive(feature_dir) if feature_dir is not None else None
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.bucket_seconds = bucket_seconds
        self.models = ModelRepository(self.engine)
        self.events = EventRepository(self.engine)
        self.profiles = ProfileRepository(self.engine)
        self.evaluations = EvaluationRepository(self.engine)
        self.alerts = AlertRepository(self.engine)
        self.alert_rules = AlertRuleRepository(self.engine)
        self.keys = KeyRepository(self.engine)
        self._references: dict[str, tuple[float, str | None]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        retain = settings.feature_retention_days > 0
        return cls(
            settings.resolved_database_url(),
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            bucket_seconds=settings.profile_bucket_seconds,
            feature_dir=Path(settings.home).expanduser() / "features" if retain else None,
        )

    # -- schema ---------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Run the migrations up to the newest revision."""
        upgrade(self.engine)

    def schema_is_current(self) -> bool:
        return current_revisions(self.engine) == head_revisions()

    def ping(self) -> bool:
        """``True`` when the database answers and the schema is current."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return self.schema_is_current()
        except Exception:
            return False

    def close(self) -> None:
        self.engine.dispose()

    # -- ingest ---------------------------------------------------------------------------
    def ingest_predictions(
        self,
        model: str,
        records: list[PredictionRecord],
        *,
        features: pa.Table | None = None,
        validated: bool = False,
    ) -> IngestResult:
        """Store a batch all-or-nothing; ids already stored are reported as duplicates.

        The features of the rows actually stored are merged into the model's per-bucket
        profiles in the same transaction, so a retried batch never counts twice.
        ``features`` may give them as one Arrow table aligned with ``records`` (bulk
        bodies); otherwise each record's ``features`` mapping is used. ``validated``
        skips the per-row checks for callers that made them already.
        """
        if not validated:
            check_predictions(records)
        model_id = self.models.id_of(model)
        if not records:
            return IngestResult(accepted=0)
        has_features = features is not None or any(r.features for r in records)
        reference = self._reference(model) if has_features else None
        kept: list[list[bool]] = []

        def run() -> IngestResult:
            with write_tx(self.engine) as conn:
                versions = {r.version for r in records if r.version}
                self.models.ensure_versions(conn, model_id, versions)
                result, stored = self.events.insert_predictions(conn, model_id, records)
                if has_features and result.accepted:
                    profiles = self._bucket_profiles(records, stored, features, reference)
                    self._merge_profiles(conn, model_id, profiles)
                kept[:] = [stored]
                return result

        result = _storable(lambda: retrying(run))
        if self.features is not None and has_features and result.accepted:
            self._retain(model, records, kept[0], features)
        return result

    def _retain(
        self,
        model: str,
        records: list[PredictionRecord],
        stored: list[bool],
        features: pa.Table | None,
    ) -> None:
        """Append the stored rows' raw features to the archive (after the commit)."""
        assert self.features is not None
        keep, table = self._stored_features(records, stored, features)
        if table is None:
            return
        self.features.append(
            model, [records[i].id for i in keep], [records[i].timestamp for i in keep], table
        )

    @staticmethod
    def _stored_features(
        records: list[PredictionRecord], stored: list[bool], features: pa.Table | None
    ) -> tuple[list[int], pa.Table | None]:
        if features is None:
            keep = [i for i, r in enumerate(records) if stored[i] and r.features]
            rows = [records[i].features or {} for i in keep]
            return keep, (_profiling.rows_to_table(rows) if rows else None)
        keep = [i for i, ok in enumerate(stored) if ok]
        return keep, features if len(keep) == len(records) else features.take(keep)

    def ingest_labels(self, model: str, records: list[LabelRecord]) -> IngestResult:
        """Store labels (they may arrive before or long after their predictions)."""
        check_labels(records)
        model_id = self.models.id_of(model)
        if not records:
            return IngestResult(accepted=0)

        def run() -> IngestResult:
            with write_tx(self.engine) as conn:
                return self.events.upsert_labels(conn, model_id, records)

        return _storable(lambda: retrying(run))

    def merged_profile(self, model: str, start: datetime, end: datetime) -> tuple[str | None, int]:
        """The merge of the model's feature-profile buckets in ``[start, end)`` and its rows."""
        buckets = self.profiles.buckets(self.models.id_of(model), start, end)
        if not buckets:
            return None, 0
        merged = buckets[0].profile
        for b in buckets[1:]:
            merged = _profiling.merge_profiles(merged, b.profile)
        return merged, sum(b.rows for b in buckets)

    # -- helpers --------------------------------------------------------------------------
    def _reference(self, model: str) -> str | None:
        """The model's reference profile, cached for a few seconds."""
        now = time.monotonic()
        cached = self._references.get(model)
        if cached is None or now - cached[0] > _REFERENCE_TTL:
            cached = (now, self.models.reference(model))
            self._references[model] = cached
        return cached[1]

    def set_reference(self, model: str, profile_json: str) -> None:
        """Set the reference profile drift is measured against (and profiles binned on)."""
        self.models.set_reference(model, profile_json)
        self._references.pop(model, None)

    def _bucket_profiles(
        self,
        records: list[PredictionRecord],
        stored: list[bool],
        features: pa.Table | None,
        reference: str | None,
    ) -> dict[datetime, tuple[int, str]]:
        """One profile per time bucket of the stored rows' features."""
        keep, table = self._stored_features(records, stored, features)
        if table is None or table.num_rows == 0 or table.num_columns == 0:
            return {}
        epoch = np.fromiter(
            (records[i].timestamp.timestamp() for i in keep), dtype=np.float64, count=len(keep)
        )
        bucket = (np.floor(epoch / self.bucket_seconds) * self.bucket_seconds).astype(np.int64)
        out: dict[datetime, tuple[int, str]] = {}
        for start in np.unique(bucket):
            mask = bucket == start
            part = table if mask.all() else table.filter(pa.array(mask))
            profile = _profiling.profile_arrow(part, reference)
            if profile is not None:
                out[datetime.fromtimestamp(int(start), UTC)] = (part.num_rows, profile)
        return out

    def _merge_profiles(
        self, conn: Connection, model_id: int, profiles: dict[datetime, tuple[int, str]]
    ) -> None:
        for start in sorted(profiles):
            rows, profile = profiles[start]
            self.profiles.merge(
                conn,
                model_id,
                start,
                self.bucket_seconds,
                rows,
                profile,
                _profiling.merge_profiles,
            )


def _storable(fn: Callable[[], IngestResult]) -> IngestResult:
    """Run an ingest; a value the database refuses (NUL in text, JSON it cannot hold) is a
    user error, not a server error."""
    try:
        return fn()
    except (sa.exc.DataError, sa.exc.StatementError) as exc:
        if isinstance(exc, sa.exc.OperationalError):
            raise
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise InputError(
            f"A value in the batch cannot be stored: {detail}. Nothing was stored."
        ) from exc


def window_bounds(end: datetime, width: timedelta) -> tuple[datetime, datetime]:
    """``[end - width, end)`` as UTC datetimes."""
    end = end.astimezone(UTC)
    return end - width, end
