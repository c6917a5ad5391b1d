"""NannyML CBPE/DLE on data written by ``bench.estimation``; run by the peers' python.

    DO_NOT_TRACK=1 NML_DISABLE_USAGE_LOGGING=1 bench/.venv-peers/bin/python \\
        bench/_nannyml_cbpe.py DIR

``DIR`` holds ``config.json`` (``problem``: binary|regression, ``chunk_size``,
``metrics``, ``features``), ``reference.parquet`` and ``analysis.parquet``; the analysis
rows are the scenario's chunks back to back, each ``chunk_size`` rows. Writes
``DIR/nannyml.json``: the estimate of every metric per chunk and the seconds spent in
``fit`` and ``estimate`` (data already in memory).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nannyml as nml
import pandas as pd


def main(directory: str) -> None:
    root = Path(directory)
    config = json.loads((root / "config.json").read_text())
    reference = pd.read_parquet(root / "reference.parquet")
    analysis = pd.read_parquet(root / "analysis.parquet")
    chunker = nml.chunk.SizeBasedChunker(chunk_size=config["chunk_size"], incomplete="drop")
    if config["problem"] == "binary":
        estimator = nml.CBPE(
            y_pred_proba="y_pred_proba",
            y_pred="y_pred",
            y_true="y_true",
            metrics=config["metrics"],
            chunker=chunker,
            problem_type="classification_binary",
        )
    else:
        estimator = nml.DLE(
            feature_column_names=config["features"],
            y_pred="y_pred",
            y_true="y_true",
            metrics=config["metrics"],
            chunker=chunker,
        )
    t0 = time.perf_counter()
    estimator.fit(reference)
    t1 = time.perf_counter()
    results = estimator.estimate(analysis.drop(columns=["y_true"]))
    t2 = time.perf_counter()
    frame = results.filter(period="analysis").to_df()
    out = {
        "fit_seconds": t1 - t0,
        "estimate_seconds": t2 - t1,
        "estimates": {m: [float(v) for v in frame[(m, "value")]] for m in config["metrics"]},
        "sampling_error": {
            m: [float(v) for v in frame[(m, "sampling_error")]] for m in config["metrics"]
        },
    }
    (root / "nannyml.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
