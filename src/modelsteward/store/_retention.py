"""Optional raw-feature retention: Parquet partitions per model and UTC day, for retraining.

Off by default (profiles are enough for drift). When on, the features of every stored
prediction are appended as one Parquet file per ingested batch and day under
``<root>/<model>/date=YYYY-MM-DD/``, with ``prediction_id`` and ``timestamp`` columns;
:meth:`FeatureArchive.prune` drops whole days past the retention period.
"""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["FeatureArchive"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_DAY = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


class FeatureArchive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _model_dir(self, model: str) -> Path:
        return self.root / _SAFE.sub("_", model)

    def append(
        self,
        model: str,
        ids: list[str] | pa.Array,
        timestamps: list[datetime] | pa.Array,
        features: pa.Table,
    ) -> None:
        """Write the rows (aligned ids, timestamps and table) into their days' partitions."""
        if features.num_rows == 0:
            return
        utc = pa.timestamp("us", tz="UTC")
        ts = timestamps.cast(utc) if isinstance(timestamps, pa.Array) else pa.array(timestamps, utc)
        pids = ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string())
        table = features.append_column("prediction_id", pids)
        table = table.append_column("timestamp", ts)
        # the UTC date: the first 10 characters of the zone-less text (fast, unlike strftime)
        text = ts.cast(pa.timestamp("us")).cast(pa.string())
        days = np.asarray(pc.utf8_slice_codeunits(text, 0, 10).to_pylist(), dtype=object)
        for day in np.unique(days):
            part = (
                table if len(days) and (days == day).all() else table.filter(pa.array(days == day))
            )
            folder = self._model_dir(model) / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{uuid.uuid4().hex}.parquet.tmp"
            pq.write_table(part, tmp)
            tmp.rename(folder / f"{uuid.uuid4().hex}.parquet")

    def days(self, model: str) -> list[date]:
        folder = self._model_dir(model)
        if not folder.is_dir():
            return []
        found = (_DAY.match(p.name) for p in folder.iterdir())
        return sorted(date.fromisoformat(m.group(1)) for m in found if m)

    def read(self, model: str, start: datetime, end: datetime) -> pa.Table | None:
        """Retained rows with ``start <= timestamp < end`` (``None`` when there are none)."""
        parts = []
        for day in self.days(model):
            if not (start.date() <= day <= end.date()):
                continue
            for f in sorted((self._model_dir(model) / f"date={day}").glob("*.parquet")):
                parts.append(pq.read_table(f))
        if not parts:
            return None
        table = pa.concat_tables(parts, promote_options="permissive")
        ts = table.column("timestamp")
        lo = pa.scalar(start.astimezone(UTC), pa.timestamp("us", tz="UTC"))
        hi = pa.scalar(end.astimezone(UTC), pa.timestamp("us", tz="UTC"))
        return table.filter(pc.and_(pc.greater_equal(ts, lo), pc.less(ts, hi)))

    def prune(self, now: datetime, keep_days: int) -> int:
        """Delete the days older than ``keep_days`` before ``now``; returns how many."""
        cutoff = (now.astimezone(UTC) - timedelta(days=keep_days)).date()
        removed = 0
        if not self.root.is_dir():
            return 0
        for model_dir in self.root.iterdir():
            for day_dir in model_dir.iterdir() if model_dir.is_dir() else []:
                m = _DAY.match(day_dir.name)
                if m and date.fromisoformat(m.group(1)) < cutoff:
                    shutil.rmtree(day_dir, ignore_errors=True)
                    removed += 1
        return removed
