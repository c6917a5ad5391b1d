from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelsteward.registry import Registry


@pytest.fixture
def registry(store: object, tmp_path: Path) -> Iterator[Registry]:
    yield Registry(store, artifacts=tmp_path / "artifacts")  # type: ignore[arg-type]


@pytest.fixture
def training() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "temperature": rng.normal(60, 5, 200),
            "vibration": rng.normal(1.0, 0.2, 200),
        }
    )
    frame["failure"] = (frame["temperature"] + 20 * frame["vibration"] > 81).astype(int)
    return frame


@pytest.fixture
def fitted(training: pd.DataFrame) -> object:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(training[["temperature", "vibration"]], training["failure"])
