"""Delayed labels: join rules, accounting, and the incremental accumulator."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import InputError
from modelsteward.performance import LabelAccumulator, join_labels


def test_join_out_of_order_missing_and_unknown() -> None:
    j = join_labels(
        pa.array(["a", "b", "c", "d"]), pa.array(["d", "zz", "b", "yy"]), pa.array([1, 0, 0, 1])
    )
    assert j.labels.to_pylist() == [None, 0, None, 1]
    assert (j.matched, j.unknown, j.received) == (2, 2, 4)
    assert sorted(j.unknown_examples) == ["yy", "zz"]
    assert j.coverage == 0.5
    assert j.to_dict()["unknown_ids"] == 2


def test_duplicate_prediction_ids_are_rejected_with_an_example() -> None:
    with pytest.raises(InputError, match=r"prediction id 7 appears 2 times"):
        join_labels(pa.array([1, 7, 3, 7]), pa.array([1]), pa.array([0]))


def test_missing_prediction_id_is_rejected() -> None:
    with pytest.raises(InputError, match="missing in row 1"):
        join_labels(pa.array([1, None, 3]), pa.array([1]), pa.array([0]))


def test_last_label_wins_and_is_counted() -> None:
    j = join_labels(pa.array([1, 2]), pa.array([1, 2, 1, 1]), pa.array([0, 1, 1, 0]))
    assert j.labels.to_pylist() == [0, 1]
    assert j.superseded == 2


def test_null_labels_are_ignored_and_types_are_reconciled() -> None:
    j = join_labels(pa.array([1, 2, 3]), pa.array(["1", "2", None]), pa.array([1, None, 0]))
    assert j.labels.to_pylist() == [1, None, None]


def test_join_is_vectorised_at_scale() -> None:
    n = 200_000
    rng = np.random.default_rng(0)
    ids = pa.array(rng.permutation(n))
    lab_ids = rng.choice(n, int(0.7 * n), replace=False)
    j = join_labels(ids, pa.array(lab_ids), pa.array(lab_ids % 2))
    assert j.matched == lab_ids.size
    got = np.asarray(j.labels.to_numpy(zero_copy_only=False))
    idx = np.asarray(ids)
    has = ~np.isnan(got)
    np.testing.assert_array_equal(got[has], idx[has] % 2)


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), max_size=60),
    st.integers(1, 5),
)
@settings(max_examples=60, deadline=None)
def test_accumulator_equals_one_shot_join(labels: list[tuple[int, int]], batches: int) -> None:
    preds = pa.array(list(range(20)))
    ids = pa.array([i for i, _ in labels], type=pa.int64())
    vals = pa.array([v for _, v in labels], type=pa.int64())
    once = join_labels(preds, ids, vals)
    acc = LabelAccumulator(preds)
    for chunk in np.array_split(np.arange(len(labels)), batches):
        acc.add(
            ids.take(pa.array(chunk, type=pa.int64())), vals.take(pa.array(chunk, type=pa.int64()))
        )
    inc = acc.result()
    assert inc.labels.to_pylist() == once.labels.to_pylist()
    assert (inc.matched, inc.unknown, inc.received, inc.superseded) == (
        once.matched,
        once.unknown,
        once.received,
        once.superseded,
    )
