"""The :class:`Store`: one engine, its repositories and the ingest operations."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from modelsteward.errors import InputError
from modelsteward.profiles import TableProfile
from modelsteward.store import _profiling
from modelsteward.store._batch import PredictionBatch
from modelsteward.store._domain import IngestResult, LabelRecord, PredictionRecord
from modelsteward.store._engine import make_engine, release_writers, retrying, write_tx
from modelsteward.store._errors import NotFoundError
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
from modelsteward.store._validate import (
    check_batch_timestamps,
    check_labels,
    check_predictions,
)

if TYPE_CHECKING:
    from modelsteward.settings import Settings

__all__ = ["Store"]

_P = cast(sa.Table, PredictionRow.__table__)
T = TypeVar("T")
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
        self._references: dict[str, tuple[float, str | None, TableProfile | None]] = {}
        self._buckets = _BucketCache()
        self._known_versions: set[tuple[int, str]] = set()

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
        release_writers(self.engine)
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
        self.models.id_of(model)
        if not records:
            return IngestResult(accepted=0)
        batch = PredictionBatch.from_records(records, features)
        return self.ingest_batch(model, batch)[0]

    def ingest_batch(self, model: str, batch: PredictionBatch) -> tuple[IngestResult, np.ndarray]:
        """Store a batch given as columns (see :meth:`ingest_predictions`); the result and,
        per row, whether it was stored now (``False`` for a duplicate). Times outside the
        storable range (:mod:`modelsteward.timestamps`) fail the whole batch."""
        model_id = self.models.id_of(model)
        check_batch_timestamps(batch.timestamps)
        if len(batch) == 0:
            return IngestResult(accepted=0), np.zeros(0, dtype=bool)
        has_features = batch.features is not None and batch.features.num_columns > 0
        reference = self._reference(model) if has_features else None
        # versions are never deleted: one stored (by this process) need not be sent again
        versions = {
            v
            for v in pc.unique(batch.version).to_pylist()
            if v and (model_id, v) not in self._known_versions
        }

        # Profiled before the write transaction, as if every row were new (the usual
        # case), so writers hold the database's write lock for less time; a batch with
        # duplicates is profiled again, inside, over the rows actually stored.
        every = np.ones(len(batch), dtype=bool)
        guess = self._bucket_profiles(batch, every, reference) if has_features else {}

        def run() -> np.ndarray:
            with write_tx(self.engine) as conn:
                self.events.hold_model(conn, model_id)  # before anything refers to it
                self.models.ensure_versions(conn, model_id, versions)
                stored = self.events.insert_batch(conn, model_id, batch)
                if has_features and stored.any():
                    profiles = (
                        guess if stored.all() else self._bucket_profiles(batch, stored, reference)
                    )
                    self._merge_profiles(conn, model_id, profiles)
                return stored

        try:
            stored = _storable(lambda: retrying(run))
        except NotFoundError:
            # deleted since its id was cached: a model created again under the name
            # gets a new id, which the next batch must look up
            self.models.forget(model)
            self._known_versions = {k for k in self._known_versions if k[0] != model_id}
            raise
        self._known_versions.update((model_id, v) for v in versions)
        if stored.all():
            result = IngestResult(accepted=len(batch))
        else:
            ids = batch.ids.to_pylist()
            result = IngestResult(
                int(stored.sum()), [ids[i] for i in np.flatnonzero(~stored).tolist()]
            )
        if self.features is not None and has_features and result.accepted:
            self._retain(model, batch, stored)
        return result, stored

    def _retain(self, model: str, batch: PredictionBatch, stored: np.ndarray) -> None:
        """Append the stored rows' raw features to the archive (after the commit)."""
        assert self.features is not None
        rows, table = batch.stored_features(stored)
        if table is None or table.num_rows == 0:
            return
        index = pa.array(rows, pa.int64())
        self.features.append(model, batch.ids.take(index), batch.timestamps.take(index), table)

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
    def _reference(self, model: str) -> TableProfile | None:
        """The model's reference profile, parsed, cached for a few seconds."""
        now = time.monotonic()
        cached = self._references.get(model)
        if cached is None or now - cached[0] > _REFERENCE_TTL:
            text = self.models.reference(model)
            if cached is not None and text == cached[1]:
                cached = (now, text, cached[2])
            else:
                cached = (now, text, TableProfile.from_json(text) if text else None)
            self._references[model] = cached
        return cached[2]

    def set_reference(self, model: str, profile_json: str) -> None:
        """Set the reference profile drift is measured against (and profiles binned on)."""
        self.models.set_reference(model, profile_json)
        self._references.pop(model, None)

    def _bucket_profiles(
        self, batch: PredictionBatch, stored: np.ndarray, reference: TableProfile | None
    ) -> dict[datetime, tuple[int, TableProfile]]:
        """One profile per time bucket of the stored rows' features."""
        rows, table = batch.stored_features(stored)
        if table is None or table.num_rows == 0 or table.num_columns == 0:
            return {}
        micros = batch.timestamps.cast(pa.int64()).to_numpy()[rows]
        width = self.bucket_seconds * 1_000_000
        bucket = (micros // width) * self.bucket_seconds
        out: dict[datetime, tuple[int, TableProfile]] = {}
        for start in np.unique(bucket).tolist():
            mask = bucket == start
            part = table if mask.all() else table.filter(pa.array(mask))
            profile = _profiling.profile_batch(part, reference)
            if profile is not None:
                out[datetime.fromtimestamp(int(start), UTC)] = (part.num_rows, profile)
        return out

    def _merge_profiles(
        self, conn: Connection, model_id: int, profiles: dict[datetime, tuple[int, TableProfile]]
    ) -> None:
        for start in sorted(profiles):
            rows, profile = profiles[start]
            self._merge_bucket(conn, model_id, start, rows, profile)

    def _merge_bucket(
        self, conn: Connection, model_id: int, start: datetime, rows: int, profile: TableProfile
    ) -> None:
        """Merge one bucket's batch profile, reusing the parsed stored profile when this
        process wrote it last (see :class:`_BucketCache`)."""
        key = (model_id, start)
        cached = self._buckets.get(key)

        def merge(stored: str) -> str:
            parsed = cached[1] if cached is not None and cached[0] == stored else None
            text, merged = _profiling.merge_parsed(stored, parsed, profile)
            self._buckets.put(key, text, merged)
            return text

        def first() -> str:
            text = str(profile.to_json())
            self._buckets.put(key, text, profile)
            return text

        self.profiles.merge_with(conn, model_id, start, self.bucket_seconds, rows, first, merge)


class _BucketCache:
    """The parsed form of the newest profile text this process wrote per bucket.

    A merge reads the stored text under the row lock and uses the parsed form only when
    the text is the one it was made from; anything else (another process wrote since, a
    transaction rolled back) is parsed afresh. So the cache saves work, never changes it.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, datetime], tuple[str, TableProfile | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[int, datetime]) -> tuple[str, TableProfile | None] | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[int, datetime], text: str, parsed: TableProfile | None) -> None:
        with self._lock:
            self._items[key] = (text, parsed)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _storable(fn: Callable[[], T]) -> T:
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
