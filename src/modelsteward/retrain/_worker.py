"""The training worker: runs one ``module:function`` in a process of its own.

The runner starts it by file path (``runpy``), so that the child imports neither
modelsteward nor scipy before the training code; it therefore uses the standard library,
numpy, pyarrow and joblib only. The job directory holds ``job.json`` (entry point, params,
label, input format, sample size, the parent's ``sys.path``) and ``train.parquet``; the
worker writes ``model.joblib`` and, last and atomically, ``result.json``:
``{"status": "ok"}`` or ``{"status": "error", "cause", "type", "message", "traceback"}``.

>>> import pyarrow as pa
>>> usability_problem(object(), pa.table({"a": [1]}), "arrow")
"the training function returned a 'object', which has no predict method; return a fitted model"
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["load_entry_point", "main", "usability_problem"]

TRACEBACK_LINES = 20


def load_entry_point(spec: str) -> Any:
    """The function named by ``module:function`` (dots allowed after the colon).

    >>> load_entry_point("os.path:join")("a", "b") == os.path.join("a", "b")
    True
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{spec!r} is not of the form 'module:function'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec!r} names a {type(obj).__name__}, not a function")
    return obj


def usability_problem(model: Any, sample: Any, input_format: str) -> str | None:
    """Why ``model`` cannot serve (no ``predict``; ``predict`` fails on ``sample`` or gives
    other than one output per row), or None when it can. ``sample`` is an Arrow table of
    feature columns, handed to ``predict`` as pandas unless ``input_format`` is arrow."""
    import numpy as np

    if not callable(getattr(model, "predict", None)):
        return (
            f"the training function returned a {type(model).__name__!r}, which has no "
            f"predict method; return a fitted model"
        )
    features = sample if input_format == "arrow" else sample.to_pandas()
    try:
        out = np.asarray(model.predict(features))
    except Exception as exc:
        return (
            f"the returned model's predict failed on {sample.num_rows} training rows: "
            f"{type(exc).__name__}: {exc}"
        )
    if out.ndim != 1 or out.shape[0] != sample.num_rows:
        return (
            f"the returned model's predict gave an output of shape {out.shape} for "
            f"{sample.num_rows} rows; it must give one value per row"
        )
    return None


def _tail(exc: BaseException) -> str:
    lines = "".join(traceback.format_exception(exc)).rstrip().splitlines()
    return "\n".join(lines[-TRACEBACK_LINES:])


def _write_result(job_dir: Path, result: dict[str, Any]) -> None:
    tmp = job_dir / "result.json.tmp"
    tmp.write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, job_dir / "result.json")


def _error(cause: str, exc: BaseException | None, message: str) -> dict[str, Any]:
    return {
        "status": "error",
        "cause": cause,
        "type": None if exc is None else type(exc).__name__,
        "exc_message": None if exc is None else str(exc),
        "message": message,
        "traceback": None if exc is None else _tail(exc),
    }


def sample_rows(table: Any, n: int) -> Any:
    """About ``n`` rows spread evenly over ``table`` (all of them when it is smaller)."""
    import numpy as np

    if table.num_rows <= n:
        return table
    return table.take(np.linspace(0, table.num_rows - 1, n).astype(np.int64))


def run(job_dir: Path) -> dict[str, Any]:
    """Do the job in ``job_dir`` and return the result (also written to result.json)."""
    import joblib  # type: ignore[import-untyped]
    import pyarrow.parquet as pq

    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    for entry in reversed(job.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        fn = load_entry_point(job["entry_point"])
    except Exception as exc:
        return _error("bad_entry_point", exc, f"cannot load {job['entry_point']!r}: {exc}")
    table = pq.read_table(job_dir / "train.parquet")
    frame = table if job["input_format"] == "arrow" else table.to_pandas()
    try:
        model = fn(frame, dict(job["params"]))
    except Exception as exc:
        return _error("raised", exc, f"{type(exc).__name__}: {exc}")
    sample = sample_rows(table.drop_columns([job["label"]]), int(job["sample_rows"]))
    problem = usability_problem(model, sample, job["input_format"])
    if problem is not None:
        return _error("unusable", None, problem)
    try:
        joblib.dump(model, job_dir / "model.joblib")
    except Exception as exc:
        return _error("unusable", exc, f"the returned model cannot be saved with joblib: {exc}")
    return {"status": "ok"}


def main(argv: list[str]) -> int:
    """Entry point: ``argv[0]`` is the job directory."""
    job_dir = Path(argv[0])
    try:
        result = run(job_dir)
    except BaseException as exc:  # report anything, even SystemExit from the training code
        result = _error("crashed", exc, f"the worker failed: {type(exc).__name__}: {exc}")
    _write_result(job_dir, result)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":  # pragma: no cover - runs in the child process
    sys.exit(main(sys.argv[1:]))
