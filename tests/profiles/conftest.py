from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest


@pytest.fixture
def mixed_table() -> pa.Table:
    """A table with every kind: numbers with nulls and inf, categories, booleans, times, text."""
    rng = np.random.default_rng(42)
    n = 5_000
    x = rng.normal(10.0, 3.0, n)
    x[::97] = np.inf
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(n) % 50 == 0),
            "n": pa.array(rng.integers(0, 100, n)),
            "city": pa.array(rng.choice(["paris", "lima", "oslo", "pune"], n)),
            "flag": pa.array(rng.uniform(size=n) < 0.3),
            "when": pa.array(
                [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 10_000, n)],
                type=pa.timestamp("us", tz="UTC"),
            ),
            "note": pa.array(
                ["x" * int(k) + " long free text padding words" * 2 for k in rng.integers(0, 30, n)]
            ),
            "user": pa.array([f"user-{i}" for i in range(n)]),
            "blank": pa.nulls(n, pa.float64()),
        }
    )
