"""Performance with delayed labels at scale: 10M predictions, 30 % of labels late or missing.

    python -m bench.performance                      # 10M rows, 30 days, window 1d
    python -m bench.performance --rows 1000000       # smaller

Data (deterministic, written once to ``bench/data/performance/``): predictions with an
int64 id, a timestamp spread over 30 days, p(positive), the predicted label and a
5-valued segment; a label table in shuffled (out-of-order) arrival order holding 70 % of
the ids (the other 30 % are late or never arrive), plus 1 % corrections (the same id
labelled again — last wins) and 0.5 % labels for ids that were never predicted.

Each step runs in a fresh process (``bench._measure.run``: wall time and that process's
own peak RSS), reading the Parquet files itself:

- ``join``: read ids and labels, join them (``join_labels``);
- ``evaluate``: read, join, and compute every default binary metric with its interval
  per 1-day window and overall (``evaluate(..., window="1d")``);
- ``accumulate``: the labels arriving in 10 batches through ``LabelAccumulator``, then
  one ``evaluate`` — seconds per batch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench._measure import load_average, run

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "performance"
RESULTS = HERE / "results"


def generate(rows: int, late_share: float, days: int, seed: int = 0) -> tuple[Path, Path]:
    """Write predictions and labels Parquet files (skipped when they already exist)."""
    out = DATA / f"{rows}"
    preds, labels = out / "predictions.parquet", out / "labels.parquet"
    if preds.exists() and labels.exists():
        return preds, labels
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = rng.permutation(rows).astype(np.int64) + 1_000_000_000
    start = np.datetime64("2026-01-01T00:00:00", "us")
    offsets = np.sort(rng.integers(0, days * 86_400_000_000, rows))
    drift = offsets / offsets.max()  # the model degrades over the month
    x = rng.normal(size=rows)
    p_true = 1 / (1 + np.exp(-(2.0 * x - 0.5)))
    y = (rng.uniform(size=rows) < p_true).astype(np.int8)
    noise = rng.normal(size=rows) * (0.5 + 1.5 * drift)
    score = 1 / (1 + np.exp(-(2.0 * x - 0.5 + noise)))
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "ts": pa.array(start + offsets.astype("timedelta64[us]")),
                "score": score,
                "prediction": (score >= 0.5).astype(np.int8),
                "segment": pa.array(rng.integers(0, 5, rows)).cast(pa.string()),
            }
        ),
        preds,
        row_group_size=1_000_000,
    )
    arrived = rng.permutation(rows)[: int(rows * (1 - late_share))]
    corrections = rng.choice(arrived, int(rows * 0.01), replace=False)
    unknown = rng.integers(0, 1_000_000, int(rows * 0.005)).astype(np.int64)
    first_label = y[arrived].copy()
    first_label[np.isin(arrived, corrections)] ^= 1  # wrong at first, corrected later
    lab_ids = np.concatenate([ids[arrived], unknown, ids[corrections]])
    lab_y = np.concatenate(
        [first_label, rng.integers(0, 2, unknown.size).astype(np.int8), y[corrections]]
    )
    # Out of order: arrivals and unknown ids shuffled; corrections after all first labels.
    head = arrived.size + unknown.size
    order = np.concatenate([rng.permutation(head), np.arange(head, lab_ids.size)])
    pq.write_table(
        pa.table({"id": lab_ids[order], "label": lab_y[order]}), labels, row_group_size=1_000_000
    )
    return preds, labels


def child(step: str, preds: str, labels: str, window: str) -> None:
    """One measured step, in its own process; prints a JSON line."""
    from modelsteward.performance import LabelAccumulator, evaluate, join_labels

    t0 = time.perf_counter()
    out: dict[str, object] = {}
    if step == "join":
        pred_ids = pq.read_table(preds, columns=["id"])["id"]
        lab = pq.read_table(labels)
        t1 = time.perf_counter()
        j = join_labels(pred_ids, lab["id"], lab["label"])
        out = {"read_s": t1 - t0, "join_s": time.perf_counter() - t1, **j.to_dict()}
        out.pop("unknown_id_examples")
    elif step == "evaluate":
        r = evaluate(preds, labels, task="binary", score="score", time="ts", window=window)
        d = r.to_dict()
        out = {
            "windows": len(d["windows"]),
            "metrics": d["metrics"],
            "coverage": d["labels"]["coverage"],
            "first_window_auc": d["windows"][0]["metrics"]["roc_auc"]["value"],
            "last_window_auc": d["windows"][-1]["metrics"]["roc_auc"]["value"],
            "windows_with_auc": sum(
                w["metrics"]["roc_auc"]["value"] is not None for w in d["windows"]
            ),
        }
    elif step == "accumulate":
        table = pq.read_table(preds)
        lab = pq.read_table(labels)
        acc = LabelAccumulator(table["id"])
        times = []
        for part in np.array_split(np.arange(lab.num_rows), 10):
            t1 = time.perf_counter()
            sl = lab.slice(int(part[0]), part.size)
            acc.add(sl["id"], sl["label"])
            times.append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        r = evaluate(
            table,
            acc,
            task="binary",
            score="score",
            time="ts",
            window=window,
            metrics=["accuracy", "roc_auc"],
        )
        out = {
            "add_batch_s": [round(t, 3) for t in times],
            "evaluate_s": time.perf_counter() - t1,
            "coverage": r.labels["coverage"],
        }
    out["step_s"] = time.perf_counter() - t0
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--late-share", type=float, default=0.3)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--window", default="1d")
    ap.add_argument("--steps", default="join,evaluate,accumulate")
    ap.add_argument("--child", nargs=3, metavar=("STEP", "PREDS", "LABELS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child, args.window)
        return 0
    t0 = time.perf_counter()
    preds, labels = generate(args.rows, args.late_share, args.days)
    print(
        f"data: {args.rows:,} predictions ({time.perf_counter() - t0:.1f}s to generate or "
        f"find), {pq.ParquetFile(labels).metadata.num_rows:,} label rows; {load_average()}",
        flush=True,
    )
    rows = []
    for step in args.steps.split(","):
        m = run(
            [
                sys.executable,
                "-m",
                "bench.performance",
                "--window",
                args.window,
                "--child",
                step,
                str(preds),
                str(labels),
            ],
            cwd=HERE.parent,
            timeout=3600,
        )
        detail = (
            json.loads(m.stdout.strip().splitlines()[-1]) if m.ok else {"error": m.stderr[-2000:]}
        )
        rows.append(
            {
                "step": step,
                "wall_s": round(m.wall_seconds, 2),
                "peak_rss_mb": round(m.peak_rss_mb),
                **detail,
            }
        )
        print(
            f"{step:<11} wall {m.wall_seconds:7.2f} s  peak RSS {m.peak_rss_mb:7.0f} MB  "
            f"{json.dumps(detail)[:400]}",
            flush=True,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "performance.json").write_text(
        json.dumps(
            {
                "rows": args.rows,
                "late_share": args.late_share,
                "window": args.window,
                "load": load_average(),
                "steps": rows,
            },
            indent=2,
        )
    )
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
