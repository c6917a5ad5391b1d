from __future__ import annotations

import platform
import sys

import pytest

from modelsteward.cli._memory import keep_freed_memory


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_glibc_accepts_the_thresholds() -> None:
    assert keep_freed_memory() is True
