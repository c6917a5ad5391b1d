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


@pytest.mark.parametrize(
    ("module", "function", "command"),
    [
        ("modelsteward.datadrift", "drift", ["drift", "{ref}", "{cur}", "--no-multivariate"]),
        ("modelsteward.profiles", "profile_table", ["profile", "{ref}"]),
    ],
    ids=["drift", "profile"],
)
def test_data_commands_run_without_the_collector_and_give_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, function: str, command: list[str]
) -> None:
    import importlib

    from modelsteward.cli import main

    target = importlib.import_module(module)
    real = getattr(target, function)
    seen: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(target, function, recording)
    rng = np.random.default_rng(0)
    paths = {name: str(tmp_path / f"{name}.parquet") for name in ("ref", "cur")}
    for path in paths.values():
        pq.write_table(pa.table({"x": rng.normal(size=200)}), path)
    argv = [part.format(**paths) for part in command]
    assert main([*argv, "-q", "-o", str(tmp_path / "out.json")]) == 0
    assert seen == [False]
    assert gc.isenabled()
