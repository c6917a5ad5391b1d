"""Concept-drift detectors: River's update loop vs modelsteward's update_many, side by side.

    .venv/bin/python -m bench.detectors            # full run (about 3 minutes on 2 cores)
    .venv/bin/python -m bench.detectors --quick    # smaller streams, a smoke test

Prints three Markdown tables:

1. speed: updates/s of River 0.26's ``update`` loop and of our ``update_many`` on 1M
   Bernoulli errors (p 0.1 -> 0.3 at the middle) and on 1M real values (N(0,1) ->
   N(1,1)); KSWIN on 50k values (River runs scipy per element). "same" says whether
   both reported identical detection indices.
2. false alarms per 1M stable Bernoulli(0.1) errors: River's own detectors with their
   defaults on the first stable stream; ours with the same defaults and ours
   calibrated on a separate 20k reference with ``calibrate(false_alarm_rate=1e-6)``,
   each as the mean over ``--stable-reps`` stable streams.
3. detection delay after an abrupt change 0.1 -> 0.3 in the middle of a 1M stream
   (median over ``--delay-reps`` streams; the first detection at or after the change;
   "missed" when none before the end of the stream).

River comes from the project's dev extra, so it runs in the same process.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from modelsteward import detectors as ms

F64 = np.ndarray


def bernoulli_change(n: int, seed: int, p0: float = 0.1, p1: float = 0.3) -> F64:
    rng = np.random.default_rng(seed)
    half = n // 2
    return np.r_[rng.random(half) < p0, rng.random(n - half) < p1].astype(np.float64)


def normal_change(n: int, seed: int) -> F64:
    rng = np.random.default_rng(seed)
    half = n // 2
    return np.r_[rng.normal(0.0, 1.0, half), rng.normal(1.0, 1.0, n - half)]


def river_run(det: Any, values: F64) -> tuple[list[int], float]:
    out = []
    xs = values.tolist()
    t = time.perf_counter()
    for i, v in enumerate(xs):
        det.update(v)
        if det.drift_detected:
            out.append(i)
    return out, time.perf_counter() - t


def ours_run(det: ms.DriftDetector, values: F64) -> tuple[list[int], float]:
    det.clone().update_many(values[:1000])  # compile / load the cached kernel first
    t = time.perf_counter()
    found = det.update_many(values)
    return found.tolist(), time.perf_counter() - t


def river_factories() -> dict[str, Callable[[], Any]]:
    from river import drift
    from river.drift import binary

    return {
        "ADWIN": drift.ADWIN,
        "PageHinkley": drift.PageHinkley,
        "DDM": binary.DDM,
        "EDDM": binary.EDDM,
        "HDDM_A": binary.HDDMA,
        "HDDM_W": binary.HDDMW,
        "KSWIN": lambda: drift.KSWIN(seed=1),
    }


def ours(name: str) -> ms.DriftDetector:
    if name == "KSWIN":
        return ms.KSWIN(seed=1)
    if name == "CUSUM":
        return ms.CUSUM(mode="up")
    return ms.detector_classes()[name]()


def rate(n: int, seconds: float) -> str:
    r = n / seconds
    return f"{r / 1e6:.2f} M/s" if r >= 1e6 else f"{r / 1e3:.1f} k/s"


def speed_table(n: int, kswin_n: int) -> list[str]:
    rows = [
        "| detector | stream | n | River update loop | ours update_many | speed-up | same |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    factories = river_factories()
    cases = [(name, "Bernoulli", bernoulli_change(n, 0)) for name in factories if name != "KSWIN"]
    cases += [(name, "normal", normal_change(n, 1)) for name in ("ADWIN", "PageHinkley")]
    cases += [("KSWIN", "normal", normal_change(kswin_n, 2))]
    for name, stream, values in cases:
        theirs, t_river = river_run(factories[name](), values)
        mine, t_ours = ours_run(ours(name), values)
        rows.append(
            f"| {name} | {stream} | {values.size:,} | {rate(values.size, t_river)} | "
            f"{rate(values.size, t_ours)} | {t_river / t_ours:,.0f}x | "
            f"{'yes' if mine == theirs else 'NO'} ({len(mine)} detections) |"
        )
        print(rows[-1], flush=True)
    cusum = bernoulli_change(n, 0)
    _, t = ours_run(ours("CUSUM"), cusum)
    rows.append(f"| CUSUM | Bernoulli | {n:,} | - | {rate(n, t)} | - | (no River counterpart) |")
    return rows


def calibrated(names: list[str], fa_rate: float) -> dict[str, ms.DriftDetector]:
    rng = np.random.default_rng(12345)
    reference = (rng.random(20_000) < 0.1).astype(np.float64)
    out = {}
    for name in names:
        t = time.perf_counter()
        det = ms.calibrate(ours(name), reference, false_alarm_rate=fa_rate, seed=0)
        info = det.calibration_
        print(
            f"  calibrated {name}: {info['parameter']}={info['value']:.4g} "
            f"({info['evaluations']} runs over {info['elements']:,} values, "
            f"{time.perf_counter() - t:.1f}s)",
            flush=True,
        )
        out[name] = det
    return out


def first_after(found: F64, change: int, horizon: int) -> int | None:
    after = found[(found >= change) & (found < change + horizon)]
    return int(after[0] - change) if after.size else None


def quality_tables(n: int, stable_reps: int, delay_reps: int, fa_rate: float) -> list[str]:
    names = ["ADWIN", "PageHinkley", "DDM", "EDDM", "HDDM_A", "HDDM_W", "CUSUM"]
    tuned = calibrated(names, fa_rate)
    stable = [
        (np.random.default_rng(100 + r).random(n) < 0.1).astype(np.float64)
        for r in range(stable_reps)
    ]
    rows = [
        "| detector | false alarms / 1M: River defaults | ours, defaults | ours, calibrated | "
        "calibrated parameter | median delay, defaults | median delay, calibrated |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    factories = river_factories()
    horizon = n - n // 2
    for name in names:
        fa_river = "-"
        if name in factories:
            fa_river = f"{len(river_run(factories[name](), stable[0])[0]) * 1e6 / n:.1f}"
        fa_default = np.mean([ours(name).update_many(s).size for s in stable]) * 1e6 / n
        fa_tuned = np.mean([tuned[name].clone().update_many(s).size for s in stable]) * 1e6 / n
        delays: dict[str, list[int | None]] = {"d": [], "c": []}
        for r in range(delay_reps):
            values = bernoulli_change(n, 1000 + r)
            delays["d"].append(first_after(ours(name).update_many(values), n // 2, horizon))
            delays["c"].append(
                first_after(tuned[name].clone().update_many(values), n // 2, horizon)
            )

        def summary(ds: list[int | None]) -> str:
            hit = [d for d in ds if d is not None]
            missed = len(ds) - len(hit)
            text = f"{int(np.median(hit)):,}" if hit else "-"
            return text + (f" ({missed}/{len(ds)} missed)" if missed else "")

        info = tuned[name].calibration_
        rows.append(
            f"| {name} | {fa_river} | {fa_default:.1f} | {fa_tuned:.1f} | {info['parameter']}="
            f"{info['value']:.3g} | {summary(delays['d'])} | {summary(delays['c'])} |"
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--kswin-n", type=int, default=50_000)
    parser.add_argument("--stable-reps", type=int, default=3)
    parser.add_argument("--delay-reps", type=int, default=20)
    parser.add_argument("--false-alarm-rate", type=float, default=1e-6)
    parser.add_argument("--quick", action="store_true", help="small streams, for a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.kswin_n, args.stable_reps, args.delay_reps = 100_000, 3_000, 1, 3
    from modelsteward.detectors._compile import numba_enabled

    print(f"numba kernels: {'on' if numba_enabled() else 'off'}\n")
    speed = speed_table(args.n, args.kswin_n)
    print()
    quality = quality_tables(args.n, args.stable_reps, args.delay_reps, args.false_alarm_rate)
    print("\n" + "\n".join(speed) + "\n\n" + "\n".join(quality))


if __name__ == "__main__":
    main()
