from __future__ import annotations

import gc
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelsteward.cli._memory import cycle_collector_paused, keep_freed_memory


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_glibc_accepts_the_thresholds() -> None:
    assert keep_freed_memory() is True


def test_cycle_collector_is_paused_in_the_block_and_restored_after() -> None:
    assert gc.isenabled()
    with cycle_collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_steward_drift_runs_without_the_collector_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modelsteward.datadrift
    from modelsteward.cli import main

    real = modelsteward.datadrift.drift
    seen: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(modelsteward.datadrift, "drift", recording)
    rng = np.random.default_rng(0)
    for name in ("ref", "cur"):
        pq.write_table(pa.table({"x": rng.normal(size=200)}), tmp_path / f"{name}.parquet")
    args = [str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"), "--no-multivariate"]
    assert main(["drift", *args, "-q", "-f", "json", "-o", str(tmp_path / "out.json")]) == 0
    assert seen == [False]
    assert gc.isenabled()


def test_steward_profile_runs_without_the_collector_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modelsteward.profiles
    from modelsteward.cli import main

    real = modelsteward.profiles.profile_table
    seen: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(modelsteward.profiles, "profile_table", recording)
    data = tmp_path / "data.parquet"
    pq.write_table(pa.table({"x": np.random.default_rng(0).normal(size=200)}), data)
    assert main(["profile", str(data), "-q", "-o", str(tmp_path / "p.json")]) == 0
    assert seen == [False]
    assert gc.isenabled()
