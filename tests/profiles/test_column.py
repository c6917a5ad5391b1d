from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.profiles import ColumnProfile


def test_numeric_counts_and_round_trip() -> None:
    column = pa.array(np.array([1.0, 0.0, np.inf, -np.inf, 4.0, np.nan]), mask=np.arange(6) == 1)
    profile = ColumnProfile.new("v", "numeric", edges=[2.0]).update(column)
    assert (profile.count, profile.nulls, profile.non_finite) == (6, 2, 2)  # NaN is a null
    assert profile.histogram is not None and profile.histogram.counts.tolist() == [1, 1]
    assert ColumnProfile.from_dict(profile.to_dict()).to_dict() == profile.to_dict()


def test_kinds_get_their_summaries() -> None:
    assert ColumnProfile.new("c", "boolean").categories is not None
    text = ColumnProfile.new("t", "text").update(pa.array(["ab", "abcd", None]))
    assert text.moments is not None and text.moments.mean == 3.0 and text.nulls == 1
    ident = ColumnProfile.new("i", "id").update(pa.array(["a", None]))
    assert ident.moments is None and ident.categories is None and ident.nulls == 1
    nested = ColumnProfile.new("l", "text").update(pa.array([[1, 2], None]))
    assert nested.moments is not None and nested.moments.count == 1


def test_merge_rules() -> None:
    a = ColumnProfile.new("v", "numeric", edges=[0.0]).update(pa.array([-1.0, 1.0]))
    b = ColumnProfile.new("v", "numeric", edges=[0.0]).update(pa.array([2.0]))
    merged = a.merge(b)
    assert merged.histogram is not None and merged.histogram.counts.tolist() == [1, 2]
    assert a.histogram is not None and a.histogram.counts.tolist() == [1, 1]  # unchanged
    with pytest.raises(SchemaError, match="'v' is numeric in one profile and categorical"):
        a.merge(ColumnProfile.new("v", "categorical"))
    unbinned = ColumnProfile.new("v", "numeric").update(pa.array([3.0]))
    assert a.merge(unbinned).histogram is None and unbinned.merge(a).histogram is None
    other_edges = ColumnProfile.new("v", "numeric", edges=[5.0]).update(pa.array([3.0]))
    assert a.merge(other_edges).histogram is None
    assert a.merge(other_edges).sketch is not None
    no_values = ColumnProfile.new("v", "numeric").update(pa.array([None], pa.float64()))
    assert a.merge(no_values).histogram is not None
    with pytest.raises(ParameterError, match="cannot merge"):
        a.merge(ColumnProfile.new("w", "numeric"))


def test_inconsistent_dicts_are_refused() -> None:
    good = ColumnProfile.new("v", "numeric").update(pa.array([1.0, 2.0])).to_dict()
    for key, value in (("count", 1), ("kind", "categorical"), ("nulls", -1)):
        bad = dict(good, **{key: value})
        with pytest.raises(ValueError):
            ColumnProfile.from_dict(bad)
