"""One drift computation by one tool on data already in memory; run as its own process.

    python bench/_peer_drift.py --tool evidently|nannyml|scipy|modelsteward \
        --ref reference.parquet --cur current.parquet --out result.json

The Parquet files are read into pandas first (not timed: "data already loaded"); then
only the tool's computation is timed.  The peers run with the python of
``bench/.venv-peers`` (see ``setup_peers.sh``); ``modelsteward`` runs with the project's
own venv.  Telemetry is switched off (``DO_NOT_TRACK``, ``NML_DISABLE_USAGE_LOGGING``).

- evidently: ``Report([DataDriftPreset()])`` with its defaults, a ``DataDefinition``
  naming the numeric and the string columns; a column is flagged when its
  ``ValueDrift`` test fails (``include_tests=True``: drift detected by Evidently's own rule).
- nannyml: ``UnivariateDriftCalculator`` with its defaults (Jensen–Shannon for
  continuous and categorical columns, default chunking, thresholds from the reference
  chunks); a column is flagged when any chunk of the analysis period alerts.
- scipy: a bare loop, ``scipy.stats.ks_2samp`` for numeric columns and a chi-square test
  of the 2 x k contingency table for string columns, flagged at p < 0.05.
- modelsteward: ``modelsteward.drift(reference, current)`` with its defaults, the data
  in memory as pandas DataFrames (``--frame pandas``) or Arrow tables (``--frame arrow``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _kinds(df: Any) -> tuple[list[str], list[str]]:
    import pandas as pd

    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)]
    categorical = [c for c in df.columns if c not in numeric]
    return numeric, categorical


# ------------------------------------------------------------------------------ tools
def run_evidently(ref: Any, cur: Any) -> dict[str, Any]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numeric, categorical = _kinds(ref)
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    t0 = time.perf_counter()
    ref_ds = Dataset.from_pandas(ref, data_definition=definition)
    cur_ds = Dataset.from_pandas(cur, data_definition=definition)
    snapshot = Report([DataDriftPreset()], include_tests=True).run(cur_ds, ref_ds)
    result = snapshot.dict()
    seconds = time.perf_counter() - t0

    flags: dict[str, bool] = {}
    prefix = "Value Drift for column "
    for test in result["tests"]:
        name = str(test.get("name", ""))
        if name.startswith(prefix):
            status = str(test.get("status", "")).upper()
            flags[name[len(prefix) :]] = status.endswith("FAIL")
    methods: dict[str, Any] = {}
    scores: dict[str, Any] = {}
    for metric in result["metrics"]:
        config = metric.get("config", {})
        if str(config.get("type", "")).endswith("ValueDrift"):
            col = config.get("column")
            methods[col] = {"method": config.get("method"), "threshold": config.get("threshold")}
            scores[col] = metric.get("value")
    return {"compute_seconds": seconds, "flags": flags, "scores": scores, "methods": methods}


def run_nannyml(ref: Any, cur: Any) -> dict[str, Any]:
    import nannyml as nml

    _, categorical = _kinds(ref)
    t0 = time.perf_counter()
    calc = nml.UnivariateDriftCalculator(
        column_names=list(ref.columns),
        treat_as_categorical=categorical or None,
    )
    calc.fit(ref)
    results = calc.calculate(cur)
    table = results.filter(period="analysis").to_df()
    seconds = time.perf_counter() - t0

    flags: dict[str, bool] = {}
    scores: dict[str, Any] = {}
    chunks = 0
    for col in ref.columns:
        sub = table[col]
        method = sub.columns.get_level_values(0)[0]
        alerts = sub[(method, "alert")]
        flags[col] = bool(alerts.any())
        scores[col] = {
            "method": method,
            "max_value": float(sub[(method, "value")].max()),
            "upper_threshold": float(sub[(method, "upper_threshold")].max()),
            "alerting_chunks": int(alerts.sum()),
        }
        chunks = len(alerts)
    return {
        "compute_seconds": seconds,
        "flags": flags,
        "scores": scores,
        "analysis_chunks": chunks,
    }


def run_scipy(ref: Any, cur: Any) -> dict[str, Any]:
    import numpy as np
    from scipy import stats

    numeric, _ = _kinds(ref)
    t0 = time.perf_counter()
    flags: dict[str, bool] = {}
    scores: dict[str, Any] = {}
    for col in ref.columns:
        if col in numeric:
            a = ref[col].dropna().to_numpy()
            b = cur[col].dropna().to_numpy()
            res = stats.ks_2samp(a, b)
            p = float(res.pvalue)
        else:
            ca = ref[col].value_counts()
            cb = cur[col].value_counts()
            levels = ca.index.union(cb.index)
            table = np.vstack(
                [ca.reindex(levels, fill_value=0).to_numpy(), cb.reindex(levels, fill_value=0)]
            )
            p = float(stats.chi2_contingency(table).pvalue) if len(levels) > 1 else 1.0
        flags[col] = p < 0.05
        scores[col] = p
    seconds = time.perf_counter() - t0
    return {"compute_seconds": seconds, "flags": flags, "scores": scores}


def run_modelsteward(ref: Any, cur: Any) -> dict[str, Any]:
    import modelsteward

    t0 = time.perf_counter()
    report = modelsteward.drift(ref, cur)
    result = report.to_dict()
    seconds = time.perf_counter() - t0
    flags = {c["name"]: bool(c["drifted"]) for c in result["columns"]}
    scores = {
        c["name"]: {k: c.get(k) for k in ("method", "score", "p_value", "threshold", "status")}
        for c in result["columns"]
    }
    return {
        "compute_seconds": seconds,
        "flags": flags,
        "scores": scores,
        "dataset_drift": result.get("dataset_drift"),
    }


TOOLS = {
    "evidently": run_evidently,
    "nannyml": run_nannyml,
    "scipy": run_scipy,
    "modelsteward": run_modelsteward,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="one drift computation, data in memory")
    ap.add_argument("--tool", required=True, choices=sorted(TOOLS))
    ap.add_argument("--ref", required=True)
    ap.add_argument("--cur", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--frame", choices=["pandas", "arrow"], default="pandas")
    args = ap.parse_args(argv)

    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    if args.frame == "arrow":
        ref: Any = pq.read_table(args.ref)
        cur: Any = pq.read_table(args.cur)
    else:
        ref = pq.read_table(args.ref).to_pandas()
        cur = pq.read_table(args.cur).to_pandas()
    load_seconds = time.perf_counter() - t0
    peak_before = _peak_mb()
    rss_loaded = _rss_mb()

    out = TOOLS[args.tool](ref, cur)

    out.update(
        tool=args.tool,
        frame=args.frame,
        ref=args.ref,
        cur=args.cur,
        rows_ref=len(ref) if args.frame == "pandas" else ref.num_rows,
        rows_cur=len(cur) if args.frame == "pandas" else cur.num_rows,
        load_seconds=load_seconds,
        rss_after_load_mb=rss_loaded,
        peak_rss_before_compute_mb=peak_before,
        peak_rss_mb=_peak_mb(),
        python=sys.version.split()[0],
    )
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
