"""``steward detect VALUES_FILE --column C --detector NAME``: streaming change detection."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelsteward.cli._app import app
from modelsteward.errors import InputError, ParameterError, SchemaError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from modelsteward.data import TableSource
    from modelsteward.detectors import DriftDetector

__all__ = ["detect_command", "parse_params", "resolve_detector"]


class Format(StrEnum):
    text = "text"
    json = "json"


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def resolve_detector(name: str) -> type[DriftDetector]:
    """The detector class called ``name`` (case, ``_`` and ``-`` ignored)."""
    from modelsteward.detectors import detector_classes

    classes = detector_classes()
    by_key = {_key(n): cls for n, cls in classes.items()}
    try:
        return by_key[_key(name)]
    except KeyError:
        raise ParameterError(
            f"unknown detector {name!r}; choose one of {', '.join(sorted(classes))}"
        ) from None


def _parse_value(text: str) -> Any:
    literals = {"true": True, "false": False, "none": None, "null": None}
    if text.lower() in literals:
        return literals[text.lower()]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_params(cls: type[DriftDetector], items: list[str] | None) -> dict[str, Any]:
    """``["delta=0.01", "mode=up"]`` → keyword arguments, checked against ``cls``."""
    params: dict[str, Any] = {}
    known = cls._param_names()
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"--param takes NAME=VALUE, got {item!r}")
        if key not in known:
            raise ParameterError(
                f"{cls.__name__} has no parameter {key!r}; its parameters are {', '.join(known)}"
            )
        params[key] = _parse_value(raw.strip())
    return params


def _values(src: TableSource, column: str) -> npt.NDArray[np.float64]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from modelsteward.detectors._base import as_stream

    if column not in src.column_names:
        raise SchemaError(f"{src.name}: no column {column!r}; the columns are {src.column_names}")
    col = src.column(column)
    if col.null_count:
        first = int(pc.index(pc.is_null(col), True).as_py())
        raise InputError(
            f"{src.name}, column {column!r}: value at index {first} is missing "
            "(empty, null or NaN); detectors need finite numbers"
        )
    if (
        pa.types.is_boolean(col.type)
        or pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
    ):
        data: Any = col.to_numpy()
    else:
        data = col.to_pylist()
    try:
        return as_stream(data)
    except InputError as exc:
        raise InputError(f"{src.name}, column {column!r}: {exc}") from exc


def _times(src: TableSource, column: str | None, index: list[int]) -> list[str | None]:
    if column is None:
        return [None] * len(index)
    import pyarrow as pa

    if column not in src.column_names:
        raise SchemaError(
            f"{src.name}: no time column {column!r}; the columns are {src.column_names}"
        )
    picked = src.column(column).take(pa.array(index, type=pa.int64())).to_pylist()
    out: list[str | None] = []
    for value in picked:
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            out.append(aware.astimezone(UTC).isoformat())
        elif isinstance(value, date):
            out.append(value.isoformat())
        else:
            out.append(None if value is None else str(value))
    return out


@app.command("detect")
def detect_command(
    values_file: Annotated[
        Path, typer.Argument(help="Values to watch: .csv, .parquet or .jsonl.", show_default=False)
    ],
    column: Annotated[str, typer.Option("--column", "-c", help="Column holding the stream.")],
    detector: Annotated[
        str,
        typer.Option(
            "--detector",
            "-d",
            help="ADWIN, PageHinkley, DDM, EDDM, HDDM_A, HDDM_W, KSWIN or CUSUM.",
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Detector parameter NAME=VALUE (repeatable)."),
    ] = None,
    time_column: Annotated[
        str | None, typer.Option("--time-column", "-t", help="Column of timestamps to report.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Run a change detector over a column, in file order; print where it fired.

    Detections are the row indices (0-based) where the detector signalled a change;
    "warnings" are the rows where a detector with a warning zone (DDM, EDDM, HDDM_A,
    HDDM_W) entered it.
    """
    from modelsteward.data import open_table
    from modelsteward.detectors._base import _json_value

    cls = resolve_detector(detector)
    params = parse_params(cls, param)
    try:
        det = cls(**params)
    except TypeError as exc:
        raise ParameterError(f"{cls.__name__}: {exc}") from exc
    src = open_table(values_file)
    values = _values(src, column)
    if time_column is not None and time_column not in src.column_names:
        raise SchemaError(
            f"{src.name}: no time column {time_column!r}; the columns are {src.column_names}"
        )
    drifts, warnings = det.scan(values)
    d_idx, w_idx = drifts.tolist(), warnings.tolist()
    d_times, w_times = _times(src, time_column, d_idx), _times(src, time_column, w_idx)
    if fmt is Format.json:
        doc = {
            "detector": cls.__name__,
            "params": {k: _json_value(v) for k, v in det.get_params().items()},
            "n": int(values.shape[0]),
            "detections": [{"index": i, "time": t} for i, t in zip(d_idx, d_times, strict=True)],
            "warnings": [{"index": i, "time": t} for i, t in zip(w_idx, w_times, strict=True)],
        }
        sys.stdout.write(json.dumps(doc, allow_nan=False) + "\n")
        return
    lines = [f"{det!r} over {src.name} column {column!r}: {values.shape[0]:,} values"]
    noun = "change" if len(d_idx) == 1 else "changes"
    lines.append(f"{len(d_idx)} {noun} detected" + (":" if d_idx else ""))
    lines += _listing(d_idx, d_times)
    if w_idx:
        lines.append(f"warning zone entered {len(w_idx)} times:")
        lines += _listing(w_idx, w_times)
    sys.stdout.write("\n".join(lines) + "\n")


def _listing(index: list[int], times: list[str | None], limit: int = 20) -> list[str]:
    out = [
        f"  index {i}" + (f"  time {t}" if t else "")
        for i, t in zip(index[:limit], times[:limit], strict=True)
    ]
    if len(index) > limit:
        out.append(f"  ... and {len(index) - limit:,} more (--format json lists all)")
    return out
