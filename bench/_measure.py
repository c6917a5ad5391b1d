"""Run one command in its own process; record its wall time and its own peak memory.

The peak resident set size comes from ``os.wait4`` on that one child, so it is the
child's own peak (with any grandchildren it waited for), never another run's: each
measured tool runs in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Telemetry off for every peer we run (Evidently, NannyML); harmless for the others.
QUIET_ENV = {"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1", "PYTHONUNBUFFERED": "1"}


@dataclass
class Measured:
    cmd: list[str]
    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    user_seconds: float
    system_seconds: float
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("stdout")
        d["stderr_tail"] = "\n".join(self.stderr.strip().splitlines()[-15:])
        d.pop("stderr")
        return d


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``cmd`` to completion; stdout and stderr are captured through files."""
    full_env = dict(os.environ)
    full_env.update(QUIET_ENV)
    if env:
        full_env.update(env)
    args = [str(c) for c in cmd]
    with (
        tempfile.TemporaryFile("w+b") as out,
        tempfile.TemporaryFile("w+b") as err,
    ):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=full_env, cwd=cwd
        )
        timed_out = False
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid == proc.pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                timed_out = True
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # Linux reports ru_maxrss in KiB.
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return Measured(
        cmd=args,
        returncode=proc.returncode,
        wall_seconds=wall,
        peak_rss_mb=peak_mb,
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
    )


def load_average() -> str:
    """``uptime``-style load averages (1, 5, 15 minutes) and the number of CPUs."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def fmt_mb(mb: float | None) -> str:
    if mb is None:
        return "–"
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def file_mb(path: str | os.PathLike[str]) -> float:
    return Path(path).stat().st_size / 2**20
