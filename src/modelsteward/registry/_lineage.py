"""Lineage and input schema: training-data fingerprints, code version, schema checks.

>>> import pyarrow as pa
>>> fp, rows = fingerprint_table(pa.table({"x": [1.0, 2.0], "c": ["a", "b"]}))
>>> fp.startswith("sha256:"), rows
(True, 2)
>>> schema_diff({"x": "numeric", "c": "categorical"}, {"x": "numeric", "y": "numeric"})
{'missing': ['c'], 'extra': ['y'], 'changed': {}}
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from modelsteward.data import ColumnKind, TableSource, infer_kind, open_table
from modelsteward.errors import ParameterError
from modelsteward.registry._errors import SchemaMismatchError

__all__ = [
    "code_version",
    "fingerprint_table",
    "infer_schema",
    "mismatch_error",
    "normalize_schema",
    "schema_diff",
]

_KINDS = {k.value for k in ColumnKind}


def fingerprint_table(data: Any) -> tuple[str, int]:
    """``("sha256:<hex>", rows)`` of a table's content (column names, types and values).

    The same data gives the same fingerprint whatever file format or chunking it came in:
    the table is rechunked and written as uncompressed Arrow IPC without metadata.
    """
    source = data if isinstance(data, TableSource) else open_table(data)
    batches = list(source.iter_batches())
    schema = source.schema.remove_metadata()
    table = pa.Table.from_batches(
        [b.replace_schema_metadata(None) for b in batches], schema=schema
    ).combine_chunks()
    digest = hashlib.sha256(table.schema.serialize())
    for batch in table.to_batches(max_chunksize=65_536):
        digest.update(batch.serialize())
    return f"sha256:{digest.hexdigest()}", int(table.num_rows)


def code_version() -> str | None:
    """The git commit of the working directory (``+dirty`` with uncommitted changes)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}+dirty" if dirty and sha else (sha or None)


def normalize_schema(schema: Mapping[str, str] | Sequence[str] | None) -> dict[str, str] | None:
    """An explicit schema: ``{column: kind}`` or a list of column names (kind ``numeric``)."""
    if schema is None:
        return None
    if isinstance(schema, str):
        raise ParameterError(
            "An input schema is a mapping of column to kind or a list of column names. "
            f"Got the text {schema!r}."
        )
    items = (
        list(schema.items()) if isinstance(schema, Mapping) else [(c, "numeric") for c in schema]
    )
    out: dict[str, str] = {}
    for column, kind in items:
        kind = kind.value if isinstance(kind, ColumnKind) else kind
        if not isinstance(column, str) or not column:
            raise ParameterError(f"Input schema column names must be text. Got {column!r}.")
        if kind not in _KINDS:
            raise ParameterError(
                f"The input schema gives column {column!r} the kind {kind!r}; expected one of "
                f"{', '.join(sorted(_KINDS))}."
            )
        out[column] = str(kind)
    if not out:
        raise ParameterError("An input schema needs at least one column.")
    return out


def infer_schema(
    model: Any, training: TableSource | None, target: str | None
) -> dict[str, str] | None:
    """The input columns from the model (``feature_names_in_``) and/or the training table.

    Kinds come from the training table when it has the column, else ``numeric``. Without
    feature names, the training table's columns minus ``target`` are the inputs (all of them
    when the model takes exactly that many features).
    """
    names: list[str] | None = None
    feature_names = getattr(model, "feature_names_in_", None)
    if feature_names is not None:
        names = [str(n) for n in feature_names]
    elif training is not None:
        columns = training.column_names
        if target is not None:
            if target not in columns:
                raise ParameterError(
                    f"The target column {target!r} is not in the training data "
                    f"(columns: {', '.join(columns)})."
                )
            names = [c for c in columns if c != target]
        elif getattr(model, "n_features_in_", None) == len(columns):
            names = list(columns)
    if names is None:
        return None
    present = set(training.column_names) if training is not None else set()
    assert training is not None or not present
    return {
        n: (
            infer_kind(training.column(n)).value
            if training is not None and n in present
            else ColumnKind.NUMERIC.value
        )
        for n in names
    }


def schema_diff(champion: Mapping[str, str], candidate: Mapping[str, str]) -> dict[str, Any]:
    """Columns the candidate lacks, adds, or reads as another kind (order is ignored)."""
    return {
        "missing": [c for c in champion if c not in candidate],
        "extra": [c for c in candidate if c not in champion],
        "changed": {
            c: [champion[c], candidate[c]]
            for c in champion
            if c in candidate and champion[c] != candidate[c]
        },
    }


def mismatch_error(model: str, champion_version: str, diff: dict[str, Any]) -> SchemaMismatchError:
    parts = []
    if diff["missing"]:
        parts.append(f"missing columns {', '.join(diff['missing'])}")
    if diff["extra"]:
        parts.append(f"extra columns {', '.join(diff['extra'])}")
    if diff["changed"]:
        changes = ", ".join(f"{c} ({a} -> {b})" for c, (a, b) in diff["changed"].items())
        parts.append(f"changed kinds {changes}")
    return SchemaMismatchError(
        f"The candidate's input schema differs from the champion of {model} (version "
        f"{champion_version}): {'; '.join(parts)}. Fix the candidate, or register it with "
        "on_schema_mismatch='allow' (--on-schema-mismatch allow) if the change is intended.",
        diff,
    )
