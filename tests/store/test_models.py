from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelsteward.errors import ParameterError, StewardError
from modelsteward.store import ConflictError, NotFoundError, PredictionRecord, Store


def test_create_get_list(store: Store) -> None:
    m = store.models.create("churn", "binary", owner="ds-team", schema={"age": "numeric"})
    assert m.name == "churn" and m.task == "binary" and m.owner == "ds-team"
    assert m.created_at.tzinfo is not None
    assert store.models.get("churn") == m
    store.models.create("price", "regression")
    assert [x.name for x in store.models.list()] == ["churn", "price"]


def test_duplicate_name_conflicts(store: Store) -> None:
    store.models.create("churn", "binary")
    with pytest.raises(ConflictError, match="exists already"):
        store.models.create("churn", "multiclass")


def test_unknown_model_and_bad_task(store: Store) -> None:
    with pytest.raises(NotFoundError, match="No model named 'nope'"):
        store.models.get("nope")
    with pytest.raises(ParameterError, match="Got 'clustering'"):
        store.models.create("x", "clustering")
    assert issubclass(NotFoundError, StewardError)


def test_versions_are_recorded_at_ingest(store: Store) -> None:
    store.models.create("churn", "binary")
    now = datetime.now(UTC)
    store.ingest_predictions(
        "churn",
        [
            PredictionRecord(id="1", timestamp=now, version="v1"),
            PredictionRecord(id="2", timestamp=now, version="v2"),
            PredictionRecord(id="3", timestamp=now, version="v1"),
        ],
    )
    assert store.models.get("churn").versions == ("v1", "v2")


def test_reference_profile_round_trip(store: Store) -> None:
    store.models.create("churn", "binary")
    assert store.models.reference("churn") is None
    store.models.set_reference("churn", '{"columns": {}}')
    assert store.models.reference("churn") == '{"columns": {}}'
    assert store.models.get("churn").has_reference
