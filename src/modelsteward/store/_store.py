"""The :class:`Store`: one engine, its repositories and the ingest operations."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from modelsteward.store import _profiling
from modelsteward.store._domain import IngestResult, LabelRecord, PredictionRecord
from modelsteward.store._engine import make_engine, retrying, write_tx
from modelsteward.store._migrate import current_revision, head_revision, upgrade
from modelsteward.store._orm import PredictionRow
from modelsteward.store._repos import (
    AlertRepository,
    EvaluationRepository,
    EventRepository,
    KeyRepository,
    ModelRepository,
    ProfileRepository,
)
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
        self, url: str, *, busy_timeout_ms: int = 30_000, bucket_seconds: int = 3600
    ) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.bucket_seconds = bucket_seconds
        self.models = ModelRepository(self.engine)
        self.events = EventRepository(self.engine)
        self.profiles = ProfileRepository(self.engine)
        self.evaluations = EvaluationRepository(self.engine)
        self.alerts = AlertRepository(self.engine)
        self.keys = KeyRepository(self.engine)
        self._references: dict[str, tuple[float, str | None]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(
            settings.resolved_database_url(),
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            bucket_seconds=settings.profile_bucket_seconds,
        )

    # -- schema ---------------------------------------------------------------------------
    def upgrade(self) -> None:
        """Run the migrations up to the newest revision."""
        upgrade(self.engine)

    def schema_is_current(self) -> bool:
        return current_revision(self.engine) == head_revision()

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
    def ingest_predictions(self, model: str, records: list[PredictionRecord]) -> IngestResult:
        """Store a batch all-or-nothing; ids already stored are reported as duplicates.

        Features of the new rows are merged into the model's per-bucket profiles in the same
        transaction, so a retried batch never counts twice.
        """
        check_predictions(records)
        model_id = self.models.id_of(model)
        if not records:
            return IngestResult(accepted=0)
        with_features = [r for r in records if r.features]
        profiles = None
        reference = self._reference(model) if with_features else None
        if with_features:
            known = self._stored_ids(model_id, [r.id for r in with_features])
            profiles = self._bucket_profiles(_fresh(with_features, known), reference)

        def run() -> IngestResult:
            with write_tx(self.engine) as conn:
                versions = {r.version for r in records if r.version}
                self.models.ensure_versions(conn, model_id, versions)
                result = self.events.insert_predictions(conn, model_id, records)
                if with_features and profiles is not None:
                    dup = set(result.duplicates)
                    fresh = [r for r in with_features if r.id not in dup]
                    expected = sum(rows for rows, _ in profiles.values())
                    # A concurrent writer stored some of our ids meanwhile: profile again.
                    todo = (
                        profiles
                        if expected == len(fresh)
                        else self._bucket_profiles(fresh, reference)
                    )
                    self._merge_profiles(conn, model_id, todo)
                return result

        return retrying(run)

    def ingest_labels(self, model: str, records: list[LabelRecord]) -> IngestResult:
        """Store labels (they may arrive before or long after their predictions)."""
        check_labels(records)
        model_id = self.models.id_of(model)
        if not records:
            return IngestResult(accepted=0)

        def run() -> IngestResult:
            with write_tx(self.engine) as conn:
                return self.events.upsert_labels(conn, model_id, records)

        return retrying(run)

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
    def _stored_ids(self, model_id: int, ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 2000):
                part = ids[i : i + 2000]
                found.update(
                    conn.execute(
                        sa.select(_P.c.prediction_id).where(
                            _P.c.model_id == model_id, _P.c.prediction_id.in_(part)
                        )
                    ).scalars()
                )
        return found

    def _bucket_start(self, ts: datetime) -> datetime:
        epoch = int(ts.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.bucket_seconds, UTC)

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
        self, records: list[PredictionRecord], reference: str | None
    ) -> dict[datetime, tuple[int, str]]:
        groups: dict[datetime, list[dict[str, object]]] = defaultdict(list)
        for r in records:
            if r.features:
                groups[self._bucket_start(r.timestamp)].append(r.features)
        out: dict[datetime, tuple[int, str]] = {}
        for start, rows in groups.items():
            profile = _profiling.profile_rows(rows, reference)
            if profile is not None:
                out[start] = (len(rows), profile)
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


def _fresh(records: list[PredictionRecord], known: set[str]) -> list[PredictionRecord]:
    seen: set[str] = set()
    out = []
    for r in records:
        if r.id not in known and r.id not in seen:
            out.append(r)
        seen.add(r.id)
    return out


def window_bounds(end: datetime, width: timedelta) -> tuple[datetime, datetime]:
    """``[end - width, end)`` as UTC datetimes."""
    end = end.astimezone(UTC)
    return end - width, end
