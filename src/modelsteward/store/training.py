"""Reading what a retraining run needs from the store: every label of a model, with the id
of the prediction it labels (the features come from the retained Parquet partitions).

>>> from datetime import UTC, datetime
>>> from modelsteward.store import LabelRecord, PredictionRecord, Store
>>> store = Store("sqlite://"); store.upgrade()
>>> _ = store.models.create("churn", "binary")
>>> _ = store.ingest_labels("churn", [LabelRecord(id="a", label=1), LabelRecord(id="b", label=0)])
>>> labels_of(store, "churn")
{'prediction_id': ['a', 'b'], 'label': [1, 0]}
>>> label_count(store, "churn")
2
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from modelsteward.store._engine import read_tx
from modelsteward.store._orm import LabelRow
from modelsteward.store._store import Store

__all__ = ["label_count", "labels_of"]

_L = cast(sa.Table, LabelRow.__table__)


def labels_of(store: Store, model: str) -> dict[str, list[Any]]:
    """Every stored label of ``model`` as ``{"prediction_id": [...], "label": [...]}``, in
    the order they were stored; raises :class:`~modelsteward.store.NotFoundError` for an
    unknown model."""
    model_id = store.models.id_of(model)
    stmt = sa.select(_L.c.prediction_id, _L.c.label).where(_L.c.model_id == model_id)
    with read_tx(store.engine) as conn:
        rows = conn.execute(stmt.order_by(_L.c.id)).all()
    return {"prediction_id": [r[0] for r in rows], "label": [r[1] for r in rows]}


def label_count(store: Store, model: str) -> int:
    """How many labels ``model`` has (one indexed count; the predictions are not read)."""
    model_id = store.models.id_of(model)
    stmt = sa.select(sa.func.count()).select_from(_L).where(_L.c.model_id == model_id)
    with read_tx(store.engine) as conn:
        return int(conn.execute(stmt).scalar_one())
