from __future__ import annotations

import gc

import pytest

import modelsteward.cli as cli


def test_run_sets_up_numpy_first_and_exits_with_mains_status_after_freezing_gc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def main() -> int:
        calls.append("main")
        return 3

    monkeypatch.setattr(cli, "avoid_slow_avx512_sort", lambda: calls.append("cpu"))
    monkeypatch.setattr(cli, "let_idle_blas_threads_sleep", lambda: calls.append("blas"))
    monkeypatch.setattr(cli, "main", main)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exit_:
        cli.run()
    assert exit_.value.code == 3
    assert calls == ["cpu", "blas", "main", "freeze"]
