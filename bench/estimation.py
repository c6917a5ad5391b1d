"""Label-free estimation: modelsteward CBPE/DLE vs NannyML 0.13.1 on growing covariate shift.

    bench/setup_peers.sh                      # once: bench/.venv-peers with nannyml 0.13.1
    python -m bench.estimation                # all scenarios, 3 seeds
    python -m bench.estimation --seeds 1      # quicker

Scenarios (synthetic, known generating process): five correlated features; a binary
target drawn from a fixed, non-linear ``P(y | x)`` (so only the inputs shift —
covariate shift); a model (logistic regression, or gradient boosting) trained on a
separate training set; a labelled reference of 20,000 rows at no shift; then 10 analysis
chunks of 5,000 rows whose feature means move step by step (up to 1.5 sd on the
informative features). The labels of the chunks are held back and used only to compute
the realised metric. Both tools fit on the same reference and estimate the same chunks
(NannyML with a size-based chunker of the same 5,000 rows), data shared through Parquet;
NannyML runs in its own venv (``bench/_nannyml_cbpe.py``) with telemetry off.
Regression (DLE): the same design with a heteroscedastic target and a boosted regressor.

Reported per scenario: mean absolute error of the estimates against the realised
metric over all chunks (and seeds), and the compute seconds of fit + estimate for
each tool (data in memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from modelsteward.performance import CBPE, DLE

HERE = Path(__file__).resolve().parent
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
RESULTS = HERE / "results"
CHUNK = 5_000
CHUNKS = 10
REFERENCE = 20_000
CLS_METRICS = ["accuracy", "roc_auc", "precision", "recall", "f1"]
REG_METRICS = ["mae", "rmse"]


def _features(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    cov = 0.3 * np.ones((5, 5)) + 0.7 * np.eye(5)
    x = rng.multivariate_normal(np.zeros(5), cov, size=n)
    return x + shift * np.array([1.0, -0.6, 0.8, 0.0, 0.5])


def _p_true(x: np.ndarray) -> np.ndarray:
    logit = 1.2 * x[:, 0] - 0.9 * x[:, 1] + 0.7 * x[:, 2] * x[:, 3] + np.sin(2 * x[:, 4]) - 0.3
    return 1.0 / (1.0 + np.exp(-logit))


def _y_reg(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    mean = 2 * x[:, 0] - x[:, 1] + np.sin(2 * x[:, 2]) + 0.5 * x[:, 3] * x[:, 4]
    return mean + rng.normal(size=x.shape[0]) * (0.3 + 0.6 * np.abs(x[:, 0] + 0.5 * x[:, 2]))


def scenario(kind: str, seed: int) -> dict[str, Any]:
    """Training set → model; labelled reference; 10 chunks of growing shift."""
    rng = np.random.default_rng(seed)
    shifts = np.linspace(0.0, 1.5, CHUNKS)
    x_train, x_ref = _features(rng, 20_000, 0.0), _features(rng, REFERENCE, 0.0)
    x_cur = np.vstack([_features(rng, CHUNK, s) for s in shifts])
    if kind == "regression":
        y_train, y_ref, y_cur = (_y_reg(rng, x) for x in (x_train, x_ref, x_cur))
        model = HistGradientBoostingRegressor(max_iter=150, random_state=seed).fit(x_train, y_train)
        return {
            "x_ref": x_ref,
            "x_cur": x_cur,
            "y_ref": y_ref,
            "y_cur": y_cur,
            "pred_ref": model.predict(x_ref),
            "pred_cur": model.predict(x_cur),
        }
    y_train, y_ref, y_cur = (
        (rng.uniform(size=len(x)) < _p_true(x)).astype(int) for x in (x_train, x_ref, x_cur)
    )
    clf = (
        LogisticRegression(max_iter=1000)
        if kind == "logistic"
        else HistGradientBoostingClassifier(max_iter=150, random_state=seed)
    )
    clf.fit(x_train, y_train)
    return {
        "x_ref": x_ref,
        "x_cur": x_cur,
        "y_ref": y_ref,
        "y_cur": y_cur,
        "p_ref": clf.predict_proba(x_ref)[:, 1],
        "p_cur": clf.predict_proba(x_cur)[:, 1],
    }


def realised(data: dict[str, Any], regression: bool) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for c in range(CHUNKS):
        sl = slice(c * CHUNK, (c + 1) * CHUNK)
        y = data["y_cur"][sl]
        if regression:
            pred = data["pred_cur"][sl]
            values = {"mae": mean_absolute_error(y, pred), "rmse": root_mean_squared_error(y, pred)}
        else:
            p = data["p_cur"][sl]
            pred = (p >= 0.5).astype(int)
            values = {
                "accuracy": accuracy_score(y, pred),
                "roc_auc": roc_auc_score(y, p),
                "precision": precision_score(y, pred),
                "recall": recall_score(y, pred),
                "f1": f1_score(y, pred),
            }
        for k, v in values.items():
            out.setdefault(k, []).append(float(v))
    return out


def ours(data: dict[str, Any], regression: bool) -> tuple[dict[str, list[float]], float]:
    t0 = time.perf_counter()
    out: dict[str, list[float]] = {}
    if regression:
        est = DLE().fit(data["x_ref"], data["pred_ref"], data["y_ref"])
        for c in range(CHUNKS):
            sl = slice(c * CHUNK, (c + 1) * CHUNK)
            for k, v in est.estimate(data["x_cur"][sl], data["pred_cur"][sl]).items():
                out.setdefault(k, []).append(v)
    else:
        cbpe = CBPE(problem="binary", metrics=CLS_METRICS).fit(data["y_ref"], data["p_ref"])
        for c in range(CHUNKS):
            for k, v in cbpe.estimate(data["p_cur"][c * CHUNK : (c + 1) * CHUNK]).items():
                out.setdefault(k, []).append(v)
    return out, time.perf_counter() - t0


def _table(x: np.ndarray, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None) -> pa.Table:
    cols: dict[str, Any] = {f"x{i}": x[:, i] for i in range(x.shape[1])}
    cols["y_true"] = y
    if proba is not None:
        cols["y_pred_proba"] = proba
    cols["y_pred"] = pred
    return pa.table(cols)


def nannyml(data: dict[str, Any], regression: bool) -> tuple[dict[str, list[float]], float, float]:
    """NannyML's estimates, its compute seconds, and the subprocess wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if regression:
            ref = _table(data["x_ref"], data["y_ref"], data["pred_ref"], None)
            cur = _table(data["x_cur"], data["y_cur"], data["pred_cur"], None)
        else:
            ref = _table(
                data["x_ref"], data["y_ref"], (data["p_ref"] >= 0.5).astype(int), data["p_ref"]
            )
            cur = _table(
                data["x_cur"], data["y_cur"], (data["p_cur"] >= 0.5).astype(int), data["p_cur"]
            )
        pq.write_table(ref, root / "reference.parquet")
        pq.write_table(cur, root / "analysis.parquet")
        (root / "config.json").write_text(
            json.dumps(
                {
                    "problem": "regression" if regression else "binary",
                    "chunk_size": CHUNK,
                    "metrics": REG_METRICS if regression else CLS_METRICS,
                    "features": [f"x{i}" for i in range(data["x_ref"].shape[1])],
                }
            )
        )
        env = dict(os.environ, DO_NOT_TRACK="1", NML_DISABLE_USAGE_LOGGING="1")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(PEERS_PYTHON), str(HERE / "_nannyml_cbpe.py"), tmp],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"NannyML failed:\n{proc.stderr[-3000:]}")
        got = json.loads((root / "nannyml.json").read_text())
    return got["estimates"], got["fit_seconds"] + got["estimate_seconds"], wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="CBPE/DLE vs NannyML under covariate shift")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scenarios", default="logistic,gbm,regression")
    args = ap.parse_args(argv)
    if not PEERS_PYTHON.exists():
        print(f"missing {PEERS_PYTHON}; run bench/setup_peers.sh first", file=sys.stderr)
        return 1
    report: dict[str, Any] = {}
    for kind in args.scenarios.split(","):
        regression = kind == "regression"
        names = REG_METRICS if regression else CLS_METRICS
        errs: dict[str, dict[str, list[float]]] = {"ours": {}, "nannyml": {}}
        seconds = {"ours": 0.0, "nannyml": 0.0, "nannyml_process": 0.0}
        per_chunk: list[dict[str, Any]] = []
        for seed in range(args.seeds):
            data = scenario(kind, seed)
            truth = realised(data, regression)
            mine, t_ours = ours(data, regression)
            theirs, t_nml, wall = nannyml(data, regression)
            seconds["ours"] += t_ours
            seconds["nannyml"] += t_nml
            seconds["nannyml_process"] += wall
            for m in names:
                errs["ours"].setdefault(m, []).extend(np.abs(np.array(mine[m]) - truth[m]).tolist())
                errs["nannyml"].setdefault(m, []).extend(
                    np.abs(np.array(theirs[m]) - truth[m]).tolist()
                )
            per_chunk.append({"seed": seed, "realised": truth, "ours": mine, "nannyml": theirs})
        summary = {tool: {m: float(np.mean(v)) for m, v in e.items()} for tool, e in errs.items()}
        report[kind] = {"mae": summary, "seconds": seconds, "chunks": per_chunk}
        print(f"\n{kind}: mean absolute estimation error over {CHUNKS} chunks × {args.seeds} seeds")
        print(f"  {'metric':<10}{'modelsteward':>14}{'NannyML':>10}")
        for m in names:
            print(f"  {m:<10}{summary['ours'][m]:>14.4f}{summary['nannyml'][m]:>10.4f}")
        print(
            f"  seconds (fit+estimate, all seeds): modelsteward {seconds['ours']:.2f}, "
            f"NannyML {seconds['nannyml']:.2f} (its process {seconds['nannyml_process']:.1f})",
            flush=True,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "estimation.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
