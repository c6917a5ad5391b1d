from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError
from modelsteward.profiles import MisraGries

streams = st.lists(st.integers(0, 30).map(lambda i: f"c{i}"), max_size=200)
CAP = 5


def summary(values: list[str], cap: int = CAP) -> MisraGries:
    counted = Counter(values)
    return MisraGries(cap).update(list(counted), list(counted.values()))


def within_bound(mg: MisraGries, values: list[str]) -> None:
    truth = Counter(values)
    assert mg.n == len(values)
    assert mg.other == len(values) - sum(mg.to_counts().values())
    assert len(mg.to_counts()) <= mg.max_categories
    assert mg.error_bound == mg.other / (mg.max_categories + 1)
    for category in set(truth) | set(mg.to_counts()):
        kept = mg.to_counts().get(category, 0)
        assert kept <= truth[category] <= kept + mg.error_bound


def test_exact_while_under_the_cap() -> None:
    mg = MisraGries(3).update(["a", "b", "a", "c"])
    assert mg.is_exact and mg.to_counts() == {"a": 2, "b": 1, "c": 1} and mg.error_bound == 0.0


@settings(max_examples=150, deadline=None)
@given(streams, streams, streams)
def test_merge_within_bound_associative_commutative(
    x: list[str], y: list[str], z: list[str]
) -> None:
    a, b, c = summary(x), summary(y), summary(z)
    data = x + y + z
    for merged in (a.merge(b).merge(c), a.merge(b.merge(c)), c.merge(a).merge(b)):
        within_bound(merged, data)
    assert a.merge(b).to_dict() == b.merge(a).to_dict()


@settings(max_examples=80, deadline=None)
@given(st.lists(streams, max_size=8))
def test_batched_updates_within_bound(batches: list[list[str]]) -> None:
    mg = MisraGries(CAP)
    for batch in batches:
        counted = Counter(batch)
        mg.update(np.asarray(list(counted), dtype=object), np.asarray(list(counted.values())))
    within_bound(mg, [v for batch in batches for v in batch])


def test_heavy_hitters_survive_a_long_tail() -> None:
    rng = np.random.default_rng(0)
    values = np.where(
        rng.uniform(size=100_000) < 0.3, "hot", rng.integers(0, 50_000, 100_000).astype(str)
    )
    mg = MisraGries(100)
    for part in np.array_split(values, 10):
        cats, counts = np.unique(part, return_counts=True)
        mg.update(cats, counts)
    truth = int((values == "hot").sum())
    assert truth - mg.error_bound <= mg.to_counts()["hot"] <= truth
    assert mg.error_bound < 0.01 * values.size


def test_round_trip_and_validation() -> None:
    mg = summary(["a", "b", "b", "c", "d", "e", "f", "g"], cap=3)
    assert MisraGries.from_dict(mg.to_dict()).to_dict() == mg.to_dict()
    with pytest.raises(ParameterError, match="max_categories"):
        MisraGries(0)
    with pytest.raises(ParameterError, match="one non-negative count"):
        MisraGries().update(["a"], [1, 2])
    bad = mg.to_dict()
    bad["counts"][0] = -1
    with pytest.raises(ValueError):
        MisraGries.from_dict(bad)
