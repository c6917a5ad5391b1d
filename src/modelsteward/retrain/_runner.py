"""Running a training entry point ``module:function(train, params) -> model``.

:class:`SubprocessRunner` runs it in a fresh Python process with a timeout: the training
table goes in as a Parquet file in a private temporary directory, the model comes back as a
joblib file next to it. Every fault becomes :class:`TrainingFailed` with its ``cause``:
the function raised (its exception type, message and traceback tail), it ran past the
timeout (the process group is killed), it returned something unusable (no ``predict``, or
``predict`` fails or gives the wrong number of outputs on a sample of the training rows, or
it cannot be saved), the entry point cannot be imported, or the worker died.

Trust: a joblib file is a pickle, and loading one runs code. The runner loads only the file
that its own child process wrote into a directory the runner created (``mkdtemp``, mode
0700) and removes afterwards; the code that produced it is the training code the caller
chose to run. That is the whole trust decision, made here once (``_load_own_artifact``).
Artifacts from anywhere else go through the registry, whose loading asks for an explicit
trust flag. :class:`InProcessRunner` calls the function directly (no isolation, no
timeout), for tests and notebooks.

>>> import pyarrow as pa
>>> runner = InProcessRunner()
>>> table = pa.table({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
>>> trained = runner.train("modelsteward.retrain._examples:threshold", table, {"at": 1.5},
...                         label="y")
>>> trained.predict(table.drop_columns(["y"])).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.process_env import users_environment
from modelsteward.retrain import _worker
from modelsteward.retrain._errors import TrainingFailed
from modelsteward.retrain._model import (
    InputFormat,
    TrainedModel,
    check_usable,
    model_predictor,
    table_schema,
)

__all__ = ["InProcessRunner", "SubprocessRunner", "TrainingRunner", "as_arrow"]

_TAIL_CHARS = 2000


class TrainingRunner(Protocol):
    """Something that turns a training table into a :class:`TrainedModel`."""

    def train(
        self, entry_point: str, table: Any, params: Mapping[str, Any], *, label: str
    ) -> TrainedModel: ...


def as_arrow(table: Any) -> pa.Table:
    """``table`` (a pyarrow Table or a pandas DataFrame) as a pyarrow Table."""
    if isinstance(table, pa.Table):
        return table
    if type(table).__module__.split(".")[0] == "pandas":
        return pa.Table.from_pandas(table, preserve_index=False)
    raise ParameterError(
        f"Training data must be a pyarrow Table or a pandas DataFrame. Got a "
        f"{type(table).__name__}."
    )


def _check_job(
    entry_point: str, table: pa.Table, params: Mapping[str, Any], label: str
) -> dict[str, Any]:
    """Validate a job; return the params the function receives (``label`` added)."""
    if label not in table.column_names:
        raise SchemaError(
            f"The training data has no label column {label!r}; it has {table.column_names}."
        )
    if table.num_rows == 0:
        raise ParameterError("The training data is empty; there is nothing to train on.")
    module, sep, attr = entry_point.partition(":")
    if not (sep and module and attr):
        raise ParameterError(
            f"The training entry point must be 'module:function'. Got {entry_point!r}."
        )
    full = {"label": label, **params}
    try:
        json.dumps(full)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"Training params must be JSON data: {exc}") from exc
    return full


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-_TAIL_CHARS:].strip()


def _load_own_artifact(path: Path) -> Any:
    """Unpickle the model our own child wrote into our private directory (see module doc)."""
    import joblib  # type: ignore[import-untyped]

    return joblib.load(path)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:  # pragma: no cover - it ended meanwhile
        pass
    proc.wait()


class SubprocessRunner:
    """Train in a child process with a timeout.

    Parameters
    ----------
    timeout:
        Seconds the child may take, start-up included; then it is killed.
    input_format:
        The training function receives a pandas DataFrame (default) or the Arrow table, and
        the model's ``predict`` receives features the same way.
    sample_rows:
        Rows of the training data the returned model must predict on.
    python:
        The interpreter to run (default: this one).
    extra_path:
        Directories put in front of the child's ``sys.path`` (which otherwise copies this
        process's), where the training module can be found.
    """

    def __init__(
        self,
        *,
        timeout: float = 3600.0,
        input_format: InputFormat = "pandas",
        sample_rows: int = 256,
        python: str = sys.executable,
        extra_path: Sequence[str] = (),
    ) -> None:
        if not timeout > 0:
            raise ParameterError(f"The runner timeout must be > 0 seconds. Got {timeout}.")
        self.timeout = timeout
        self.input_format = input_format
        self.sample_rows = sample_rows
        self.python = python
        self.extra_path = tuple(extra_path)

    def train(
        self, entry_point: str, table: Any, params: Mapping[str, Any], *, label: str
    ) -> TrainedModel:
        """Run ``entry_point`` on ``table`` with ``params``; raise :class:`TrainingFailed`."""
        data = as_arrow(table)
        full_params = _check_job(entry_point, data, params, label)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="steward-train-") as tmp:
            job_dir = Path(tmp)
            pq.write_table(data, job_dir / "train.parquet")
            sys_path = [*self.extra_path, *(p or os.getcwd() for p in sys.path)]
            job = {
                "entry_point": entry_point,
                "params": full_params,
                "label": label,
                "input_format": self.input_format,
                "sample_rows": self.sample_rows,
                "sys_path": sys_path,
            }
            (job_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")
            returncode = self._run_child(job_dir)
            result = self._read_result(job_dir, returncode)
            if result.get("status") != "ok":
                raise TrainingFailed(
                    result.get("cause", "crashed"),
                    f"training {entry_point} failed: {result.get('message')}",
                    exc_type=result.get("type"),
                    exc_message=result.get("exc_message"),
                    traceback_tail=result.get("traceback"),
                )
            artifact = (job_dir / "model.joblib").read_bytes()
            try:
                model = _load_own_artifact(job_dir / "model.joblib")
            except Exception as exc:
                raise TrainingFailed(
                    "unusable",
                    f"the model trained by {entry_point} cannot be loaded in this process: "
                    f"{type(exc).__name__}: {exc}",
                ) from exc
        features = data.drop_columns([label])
        check_usable(model, _worker.sample_rows(features, self.sample_rows), self.input_format)
        return TrainedModel(
            model=model,
            predict=model_predictor(model, self.input_format),
            input_schema=table_schema(features),
            entry_point=entry_point,
            params=full_params,
            artifact=artifact,
            artifact_sha256=hashlib.sha256(artifact).hexdigest(),
            train_rows=data.num_rows,
            duration_s=time.monotonic() - started,
            input_format=self.input_format,
        )

    def _run_child(self, job_dir: Path) -> int:
        code = (
            "import runpy, sys; sys.argv = [sys.argv[0], sys.argv[1]]; "
            f"runpy.run_path({_worker.__file__!r}, run_name='__main__')"
        )
        with (job_dir / "stdout.log").open("wb") as out, (job_dir / "stderr.log").open("wb") as err:
            proc = subprocess.Popen(
                [self.python, "-c", code, str(job_dir)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=os.getcwd(),
                env=users_environment(),  # not the numpy settings steward made for itself
                start_new_session=True,
            )
            try:
                proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise TrainingFailed(
                    "timeout",
                    f"training ran longer than its timeout of {self.timeout:g} s and was killed; "
                    f"raise the timeout or train on less data",
                    traceback_tail=_tail(job_dir / "stderr.log") or None,
                ) from None
            except BaseException:
                _kill_group(proc)
                raise
        return proc.returncode

    def _read_result(self, job_dir: Path, returncode: int) -> dict[str, Any]:
        path = job_dir / "result.json"
        if not path.exists():
            stderr = _tail(job_dir / "stderr.log")
            raise TrainingFailed(
                "crashed",
                f"the training process exited with status {returncode} without a result"
                + (f"; its last output: {stderr[-500:]}" if stderr else ""),
                traceback_tail=stderr or None,
            )
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return result


class InProcessRunner:
    """Call the training function in this process (no isolation, no timeout)."""

    def __init__(self, *, input_format: InputFormat = "pandas", sample_rows: int = 256) -> None:
        self.input_format = input_format
        self.sample_rows = sample_rows

    def train(
        self, entry_point: str, table: Any, params: Mapping[str, Any], *, label: str
    ) -> TrainedModel:
        """Run ``entry_point`` on ``table``; faults raise :class:`TrainingFailed`."""
        data = as_arrow(table)
        full_params = _check_job(entry_point, data, params, label)
        started = time.monotonic()
        try:
            fn = _worker.load_entry_point(entry_point)
        except Exception as exc:
            raise TrainingFailed(
                "bad_entry_point",
                f"cannot load {entry_point!r}: {exc}",
                exc_type=type(exc).__name__,
                exc_message=str(exc),
            ) from exc
        frame = data if self.input_format == "arrow" else data.to_pandas()
        try:
            model = fn(frame, full_params)
        except Exception as exc:
            raise TrainingFailed(
                "raised",
                f"training {entry_point} failed: {type(exc).__name__}: {exc}",
                exc_type=type(exc).__name__,
                exc_message=str(exc),
                traceback_tail=_worker._tail(exc),
            ) from exc
        features = data.drop_columns([label])
        check_usable(model, _worker.sample_rows(features, self.sample_rows), self.input_format)
        return TrainedModel(
            model=model,
            predict=model_predictor(model, self.input_format),
            input_schema=table_schema(features),
            entry_point=entry_point,
            params=full_params,
            train_rows=data.num_rows,
            duration_s=time.monotonic() - started,
            input_format=self.input_format,
        )
