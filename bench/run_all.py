"""Every benchmark in ``bench/``, one after the other, each in a subprocess (``make bench``).

    python -m bench.run_all                  # everything, all sizes
    python -m bench.run_all --quick          # drift at 10k and 200k, a 5M-row stream file
    python -m bench.run_all --only drift,detectors

Runs ``bench.drift`` and ``bench.profile_stream``, then the benches that other parts of
the project add (``bench/detectors.py``, ``bench/performance.py``, ``bench/estimation.py``,
``bench/ingest.py``) when they exist, by calling their ``main()``.  One failing bench
does not stop the others; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench._measure import load_average

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

OWN = ["drift", "profile_stream"]
OTHERS = ["detectors", "performance", "estimation", "ingest"]


def _cmd(name: str, quick: bool) -> list[str]:
    if name == "drift":
        return [sys.executable, "-m", "bench.drift", *(["--sizes", "10k,200k"] if quick else [])]
    if name == "profile_stream":
        return [
            sys.executable,
            "-m",
            "bench.profile_stream",
            *(["--rows", "5000000"] if quick else []),
        ]
    # Other benches: call their main() (it may or may not take argv; it may return a code).
    code = (
        f"import sys, bench.{name} as m; rc = m.main(); sys.exit(rc if isinstance(rc, int) else 0)"
    )
    return [sys.executable, "-c", code]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="run every benchmark")
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {OWN + OTHERS}")
    args = ap.parse_args(argv)

    names = OWN + [n for n in OTHERS if (HERE / f"{n}.py").exists()]
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        names = [n for n in names if n in wanted]
    status: dict[str, str] = {}
    for name in names:
        print(f"\n=== bench.{name} ({load_average()}) ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(_cmd(name, args.quick), cwd=ROOT)
        status[name] = (
            f"{'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.perf_counter() - t0:.0f} s"
        )
    print("\n=== summary ===")
    for name, text in status.items():
        print(f"  bench.{name}: {text}")
    return 0 if all(s.startswith("ok") for s in status.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
