"""Tables we can pull columns from: in-memory Arrow, pandas/polars at the boundary, files.

A :class:`TableSource` hands out one column at a time so that callers never hold two
whole tables in memory: a Parquet file is read column by column (or batch by batch for
streaming profiles); CSV and JSON Lines are read once into Arrow, which is columnar.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from modelsteward.data._kinds import is_text_type
from modelsteward.errors import DataReadError

__all__ = ["TABLE_EXTENSIONS", "TableSource", "open_table"]

#: File extensions read as tables, by format.
TABLE_EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


class TableSource:
    """A table whose columns can be read one at a time.

    ``coerced`` maps a column name to a note when its values had mixed types and were
    read as text instead; data-quality checks report it.

    >>> src = open_table(pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}), name="ref")
    >>> src.num_rows, src.column_names
    (2, ['x', 'c'])
    >>> src.column("x").to_pylist()
    [1.0, 2.0]
    """

    def __init__(
        self,
        name: str,
        table: pa.Table | None = None,
        parquet: Path | None = None,
        coerced: dict[str, str] | None = None,
    ) -> None:
        if (table is None) == (parquet is None):
            raise ValueError("give exactly one of table= or parquet=")
        self.name = name
        self._table = table
        self._parquet_path = parquet
        self._parquet = pq.ParquetFile(parquet) if parquet is not None else None
        self.coerced: dict[str, str] = coerced or {}
        self.schema: pa.Schema = table.schema if table is not None else self._parquet.schema_arrow  # type: ignore[union-attr]

    @property
    def num_rows(self) -> int:
        if self._table is not None:
            return int(self._table.num_rows)
        assert self._parquet is not None
        return int(self._parquet.metadata.num_rows)

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    def column(self, name: str, *, dictionary: bool = False) -> pa.ChunkedArray:
        """Read one column (from disk for Parquet).

        With ``dictionary=True`` a Parquet text column is read dictionary-encoded,
        as Parquet stores it: several times faster than decoding a string per row,
        and what counting categories needs. Other sources return the column as is.
        """
        if self._table is not None:
            return self._table.column(name)
        assert self._parquet is not None
        as_dictionary = dictionary and is_text_type(self.schema.field(name).type)
        try:
            # A ParquetFile is not safe to read from several threads at once (seen: a
            # hang inside ParquetFile.read), and the drift engine reads columns on a
            # thread pool, so each read opens the file afresh (it re-reads the footer).
            # Memory-mapped and single-threaded: the callers parallelise over columns,
            # and this costs a quarter less CPU per column than pyarrow's defaults.
            reader = pq.ParquetFile(
                self._parquet_path,
                read_dictionary=[name] if as_dictionary else None,
                memory_map=True,
            )
            return reader.read(columns=[name], use_threads=False).column(0)
        except (OSError, pa.ArrowException) as exc:
            raise DataReadError(f"{self.name}: cannot read column {name!r}: {exc}") from exc

    def iter_batches(
        self, columns: Sequence[str] | None = None, batch_size: int = 262_144
    ) -> Generator[pa.RecordBatch, None, None]:
        """Yield the table in record batches; Parquet is read one row group at a time.

        pyarrow's ``ParquetFile.iter_batches`` over a whole file pre-buffers the row
        groups it reads and keeps them until the iterator ends (a 286 MB file held
        291 MB of Arrow memory); one row group at a time bounds memory by a row group.
        """
        if self._table is not None:
            table = self._table if columns is None else self._table.select(list(columns))
            yield from table.to_batches(max_chunksize=batch_size)
            return
        assert self._parquet is not None
        selected = None if columns is None else list(columns)
        try:
            for group in range(self._parquet.num_row_groups):
                yield from self._parquet.iter_batches(
                    batch_size=batch_size, row_groups=[group], columns=selected
                )
        except (OSError, pa.ArrowException) as exc:
            raise DataReadError(f"{self.name}: cannot read: {exc}") from exc

    def __repr__(self) -> str:
        return f"TableSource({self.name!r}, rows={self.num_rows}, columns={len(self.schema)})"


def open_table(obj: Any, *, name: str | None = None) -> TableSource:
    """Open a path, pandas or polars DataFrame, or Arrow table as a :class:`TableSource`.

    Files are recognised by extension (``.csv``, ``.parquet``/``.pq``, ``.jsonl``/``.ndjson``).

    >>> open_table("missing.csv")
    Traceback (most recent call last):
    ...
    modelsteward.errors.DataReadError: missing.csv: no such file
    """
    if isinstance(obj, TableSource):
        return obj
    if isinstance(obj, (str, Path)):
        return _open_path(Path(obj), name or str(obj))
    label = name or type(obj).__name__
    if isinstance(obj, pa.Table):
        return TableSource(label, table=obj)
    if isinstance(obj, pa.RecordBatch):
        return TableSource(label, table=pa.Table.from_batches([obj]))
    module = type(obj).__module__.split(".")[0]
    if module == "polars":
        return TableSource(label, table=_from_polars(obj, label))
    if module == "pandas":
        table, coerced = _from_pandas(obj)
        return TableSource(label, table=table, coerced=coerced)
    raise DataReadError(
        f"{label}: cannot read an object of type {type(obj).__name__}; pass a pandas or "
        "polars DataFrame, a pyarrow Table, or a path to a .csv, .parquet or .jsonl file"
    )


def _open_path(path: Path, label: str) -> TableSource:
    if not path.exists():
        raise DataReadError(f"{label}: no such file")
    if path.is_dir():
        raise DataReadError(f"{label}: is a directory, expected a file")
    kind = TABLE_EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(TABLE_EXTENSIONS))
        raise DataReadError(
            f"{label}: cannot tell the format from the extension {path.suffix or '(none)'!r}; "
            f"use one of {known}"
        )
    if path.stat().st_size == 0:
        raise DataReadError(f"{label}: the file is empty")
    if kind == "parquet":
        try:
            return TableSource(label, parquet=path)
        except (OSError, pa.ArrowException) as exc:
            raise DataReadError(
                f"{label}: not a readable Parquet file (truncated or corrupt?): {exc}"
            ) from exc
    if kind == "csv":
        return TableSource(label, table=_read_csv(path, label))
    table, coerced = _read_jsonl(path, label)
    return TableSource(label, table=table, coerced=coerced)


def _read_csv(path: Path, label: str) -> pa.Table:
    try:
        table = pacsv.read_csv(path)
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message or "UTF-8" in message:
            raise DataReadError(
                f"{label}: not UTF-8 encoded text ({message}); re-save the file as UTF-8"
            ) from exc
        if "Empty CSV file" in message:
            raise DataReadError(f"{label}: the file is empty") from exc
        raise DataReadError(f"{label}: cannot parse as CSV: {message}") from exc
    # Arrow reads text that is not valid UTF-8 as binary rather than failing.
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise DataReadError(
                f"{label}: column {field.name!r} is not UTF-8 encoded text; "
                "re-save the file as UTF-8"
            )
    return table


def _read_jsonl(path: Path, label: str) -> tuple[pa.Table, dict[str, str]]:
    try:
        return pajson.read_json(path), {}
    except pa.ArrowInvalid as exc:
        if "changed from" not in str(exc):
            raise DataReadError(f"{label}: cannot parse as JSON Lines: {exc}") from exc
    # Arrow refuses columns whose type changes between rows; re-read them as text.
    return _read_jsonl_mixed(path, label)


def _read_jsonl_mixed(path: Path, label: str) -> tuple[pa.Table, dict[str, str]]:
    columns: dict[str, list[Any]] = {}
    rows = 0
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataReadError(f"{label}: line {line_number} is not JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise DataReadError(f"{label}: line {line_number} is not a JSON object")
            for key in record.keys() - columns.keys():
                columns[key] = [None] * rows
            for key, values in columns.items():
                values.append(record.get(key))
            rows += 1
    return _arrays_with_coercion(columns)


def _arrays_with_coercion(columns: dict[str, Any]) -> tuple[pa.Table, dict[str, str]]:
    arrays: dict[str, pa.Array] = {}
    coerced: dict[str, str] = {}
    for key, values in columns.items():
        try:
            arrays[key] = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = [None if _is_missing(v) else str(v) for v in values]
            arrays[key] = pa.array(text, type=pa.string())
            coerced[key] = "values of mixed types were read as text"
    return pa.table(arrays), coerced


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _from_pandas(frame: Any) -> tuple[pa.Table, dict[str, str]]:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False), {}
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _arrays_with_coercion({str(c): frame[c] for c in frame.columns})


def _from_polars(frame: Any, label: str) -> pa.Table:
    try:
        return frame.to_arrow()
    except Exception as exc:  # polars raises its own exception types
        raise DataReadError(f"{label}: cannot convert the polars DataFrame: {exc}") from exc
