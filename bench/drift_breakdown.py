"""Where a 1M x 50 drift run spends its CPU: the imports, and each part of the compute.

    python -m bench.drift_breakdown              # after `python -m bench.datagen --sizes 1m`

1. Each heavy import, in a fresh interpreter that has numpy and pyarrow loaded already:
   CPU seconds of ``scipy.special``, then ``scipy.stats``, then ``sklearn.ensemble``
   (which imports scipy.stats and pandas itself).
2. ``modelsteward.drift()`` on the tables already in memory as Arrow, with the imports
   already paid, three ways: univariate only, with the PCA view only
   (``domain_classifier=False``), and with both multivariate views (the defaults).
   Wall and CPU seconds, ``--repeats`` times each; the difference between the last two
   is the domain classifier's compute.
   This part runs in the bench's own interpreter, with numpy's CPU dispatch as it
   finds it; the table says which (run under ``NPY_DISABLE_CPU_FEATURES=...`` to
   compare).
3. Page faults and system time of a whole run, from ``os.wait4``, and the cyclic
   garbage collections it ran before interpreter exit (all, and full ones): through the CLI,
   which sets glibc's allocator thresholds (:mod:`modelsteward.cli._memory`) and, on
   AMD Zen 4, keeps numpy off its AVX-512 sort (:mod:`modelsteward.cli._cpu`) and pauses
   the collector, and through a plain interpreter calling ``drift()``, which does none
   of that.
4. ``np.sort`` of 1M float64 in fresh interpreters: numpy's default dispatch, and the
   setting the CLI applies on Zen 4 (on other CPUs the two rows are the same).

Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import datagen

IMPORT_CODE = (
    "import time, numpy, pyarrow\n"
    "out = []\n"
    "for name in ('scipy.special', 'scipy.stats', 'sklearn.ensemble'):\n"
    "    t = time.process_time(); __import__(name); out.append(time.process_time() - t)\n"
    "print(*out)\n"
)

CLI_CODE = (  # exactly what the `steward` console script runs
    "import sys\n"
    "from modelsteward.cli import run\n"
    "sys.argv = ['steward', 'drift', sys.argv[1], sys.argv[2], '-f', 'json', '-o', os.devnull]\n"
    "run()\n"
)
PLAIN_CODE = (
    "import sys\nfrom modelsteward import drift\ndrift(sys.argv[1], sys.argv[2]).to_json()\n"
)


SORT_CODE = (
    "import time\n"
    "from modelsteward.cli._cpu import avoid_slow_avx512_sort\n"
    "import sys; sys.argv[1] == 'cli' and avoid_slow_avx512_sort()\n"
    "import numpy as np\n"
    "a = np.random.default_rng(0).normal(size=1_000_000)\n"
    "best = float('inf')\n"
    "for _ in range(7):\n"
    "    b = a.copy(); t = time.perf_counter(); b.sort()\n"
    "    best = min(best, time.perf_counter() - t)\n"
    "print(best)\n"
)


def _sort_ms(how: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", SORT_CODE, how], capture_output=True, text=True, check=True
    )
    return 1e3 * float(out.stdout)


def _dispatch() -> str:
    from numpy._core._multiarray_umath import __cpu_features__ as features

    # numpy 2.4 names the AVX-512 group X86_V4; earlier releases AVX512_SKX.
    on = features.get("X86_V4", features.get("AVX512_SKX", False))
    return "AVX-512 kernels" if on else "no AVX-512 kernels"


def _imports() -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_CODE], capture_output=True, text=True, check=True
    )
    return [float(x) for x in out.stdout.split()]


def _in_memory(folder: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    import pyarrow.parquet as pq
    import scipy.stats  # noqa: F401  (imports paid up front)
    import sklearn.ensemble  # noqa: F401

    from modelsteward import drift

    ref = pq.read_table(folder / "reference.parquet")
    cur = pq.read_table(folder / "current.parquet")
    ways = {
        "univariate": {"multivariate": False},
        "PCA view only": {"domain_classifier": False},
        "both views (defaults)": {},
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, options in ways.items():
            wall, cpu = time.perf_counter(), time.process_time()
            drift(ref, cur, **options)  # type: ignore[arg-type]
            results[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return results


#: Counts the cyclic collections (all, full) and writes them to stderr at exit.
GC_COUNT_CODE = (
    "import atexit, gc, os, sys\n"
    "_runs = [0, 0]\n"
    "def _count(phase, info):\n"
    "    if phase == 'start':\n"
    "        _runs[0] += 1\n"
    "        _runs[1] += info['generation'] == 2\n"
    "gc.callbacks.append(_count)\n"
    "atexit.register(lambda: print('gc', *_runs, file=sys.stderr))\n"
)


def _whole_run(code: str, folder: Path) -> tuple[float, int, float, str]:
    """Wall seconds, page faults, system CPU seconds and ``"collections (full)"``."""
    args = [str(folder / "reference.parquet"), str(folder / "current.parquet")]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", GC_COUNT_CODE + code, *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        err.seek(0)
        lines = [line.split() for line in err if line.startswith("gc ")]
    if status != 0 or not lines:
        raise SystemExit(f"error: the drift run exited with status {status}")
    collections, full = lines[-1][1:]
    wall = time.perf_counter() - start
    return wall, usage.ru_minflt, usage.ru_stime, f"{collections} ({full})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m", help="a bench.datagen size (default 1m)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    folder = datagen.DATA_DIR / "drift" / args.size
    if not (folder / "reference.parquet").exists():
        raise SystemExit(f"error: no {folder}; run python -m bench.datagen --sizes {args.size}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    special, stats, sklearn = _imports()
    print("| import (fresh interpreter, numpy and pyarrow loaded) | CPU seconds |")
    print("|---|---:|")
    print(f"| scipy.special | {special:.2f} |")
    print(f"| scipy.stats, after it | {stats:.2f} |")
    print(f"| sklearn.ensemble, after both | {sklearn:.2f} |\n")
    print(
        f"| `drift()` on Arrow in memory, imports paid (numpy: {_dispatch()}) "
        "| wall seconds | CPU seconds |"
    )
    print("|---|---:|---:|")
    for name, runs in _in_memory(folder, args.repeats).items():
        walls = ", ".join(f"{w:.2f}" for w, _ in runs)
        cpus = ", ".join(f"{c:.2f}" for _, c in runs)
        print(f"| {name} | {walls} | {cpus} |")
    print(
        "\n| whole run | wall seconds | page faults | system CPU seconds "
        "| cyclic collections (full ones) |"
    )
    print("|---|---:|---:|---:|---:|")
    runs = (("`steward drift` (the console script)", CLI_CODE), ("`drift()`, plain", PLAIN_CODE))
    for name, code in runs:
        wall, faults, system, collections = _whole_run(code, folder)
        print(f"| {name} | {wall:.2f} | {faults:,} | {system:.2f} | {collections} |")
    print("\n| `np.sort`, 1M float64, best of 7 | milliseconds |")
    print("|---|---:|")
    print(f"| numpy's default dispatch | {_sort_ms('default'):.1f} |")
    print(f"| as the `steward` command sets it up | {_sort_ms('cli'):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
