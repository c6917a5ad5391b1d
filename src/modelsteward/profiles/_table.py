"""The profile of a whole table, its JSON file format, and merging."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelsteward.errors import DataReadError, ParameterError
from modelsteward.profiles._column import ColumnProfile

__all__ = ["PROFILE_FORMAT", "PROFILE_VERSION", "TableProfile"]

#: The ``format`` field that marks a JSON file as a modelsteward profile.
PROFILE_FORMAT = "modelsteward.profile"
#: The profile file version this code writes (and the newest it reads).
PROFILE_VERSION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat()


class TableProfile:
    """Mergeable profiles of every column of a table, savable as JSON.

    ``columns`` maps column name to :class:`ColumnProfile` in table order; ``rows`` is
    the number of rows profiled; ``coerced`` notes columns whose mixed-type values were
    read as text; ``created_at`` is a UTC ISO 8601 time; ``version`` the file format.

    >>> import pyarrow as pa
    >>> from modelsteward.profiles import profile_table
    >>> a = profile_table(pa.table({"x": [1.0, 2.0], "c": ["u", "v"]}), bins=0)
    >>> b = profile_table(pa.table({"x": [3.0], "c": ["u"]}), bins=0)
    >>> both = a.merge(b)
    >>> both.rows, both["x"].moments.mean, both["c"].categories.to_counts()
    (3, 2.0, {'u': 2, 'v': 1})
    >>> TableProfile.from_json(both.to_json()).to_dict() == both.to_dict()
    True
    """

    def __init__(
        self,
        columns: Mapping[str, ColumnProfile] | Iterable[ColumnProfile],
        *,
        rows: int,
        coerced: Mapping[str, str] | None = None,
        created_at: str | None = None,
        version: int = PROFILE_VERSION,
    ) -> None:
        items = columns.values() if isinstance(columns, Mapping) else columns
        self.columns: dict[str, ColumnProfile] = {c.name: c for c in items}
        self.rows = rows
        self.coerced: dict[str, str] = dict(coerced or {})
        self.created_at = created_at or _now()
        self.version = version

    def __getitem__(self, name: str) -> ColumnProfile:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(
                f"no column {name!r} in the profile; it has {', '.join(self.columns) or 'none'}"
            ) from None

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return list(self.columns)

    def merge(self, *others: TableProfile) -> TableProfile:
        """A new profile of all the inputs' rows.

        Columns are matched by name; a column that only some inputs have is kept with
        the counts it has. Kinds must agree (:class:`SchemaError` names the column). A
        column whose parts were binned on different edges (not profiled against one
        reference) keeps no histogram; binned drift is then estimated from its sketch.
        """
        columns = dict(self.columns)
        coerced = dict(self.coerced)
        rows = self.rows
        for other in others:
            if not isinstance(other, TableProfile):
                raise ParameterError(f"can only merge TableProfile objects, not {type(other)}")
            for name, column in other.columns.items():
                columns[name] = columns[name].merge(column) if name in columns else column
            coerced.update(other.coerced)
            rows += other.rows
        return TableProfile(copy.deepcopy(list(columns.values())), rows=rows, coerced=coerced)

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole profile."""
        return {
            "format": PROFILE_FORMAT,
            "version": self.version,
            "created_at": self.created_at,
            "rows": self.rows,
            "coerced": dict(self.coerced),
            "columns": [column.to_dict() for column in self.columns.values()],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The profile as JSON text (strict JSON: no NaN or infinities)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        """Write the profile as JSON to ``path``; returns the path."""
        target = Path(path)
        target.write_text(self.to_json(), encoding="utf-8")
        return target

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "profile") -> TableProfile:
        """Build a profile from parsed JSON; :class:`DataReadError` when it is not one."""
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            raise DataReadError(
                f'{source}: not a modelsteward profile (no "format": {PROFILE_FORMAT!r} '
                "field); write one with `steward profile DATA -o PROFILE.json`"
            )
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DataReadError(
                f"{source}: not a modelsteward profile (bad version field {version!r})"
            )
        if version > PROFILE_VERSION:
            raise DataReadError(
                f"{source}: the profile has format version {version} but this modelsteward "
                f"reads up to version {PROFILE_VERSION}; upgrade modelsteward"
            )
        try:
            profile = cls._parse(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise DataReadError(f"{source}: not a modelsteward profile ({detail})") from None
        return profile

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> TableProfile:
        rows, created_at, coerced = data["rows"], data["created_at"], data["coerced"]
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise ValueError(f"rows must be a non-negative integer, got {rows!r}")
        if not isinstance(created_at, str):
            raise ValueError("created_at must be a string")
        datetime.fromisoformat(created_at)
        if not isinstance(coerced, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in coerced.items()
        ):
            raise ValueError("coerced must map column names to notes")
        raw_columns = data["columns"]
        if not isinstance(raw_columns, list):
            raise ValueError("columns must be a list")
        columns = [ColumnProfile.from_dict(column) for column in raw_columns]
        if len({c.name for c in columns}) != len(columns):
            raise ValueError("column names repeat")
        version = data["version"]
        return cls(columns, rows=rows, coerced=coerced, created_at=created_at, version=version)

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "profile") -> TableProfile:
        """Parse JSON text written by ``to_json``; :class:`DataReadError` when it is not one."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataReadError(
                f"{source}: not a modelsteward profile (not valid JSON, truncated?: {exc})"
            ) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> TableProfile:
        """Read a profile file written by ``save``; :class:`DataReadError` when unreadable."""
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise DataReadError(f"{source}: no such file") from None
        except OSError as exc:
            raise DataReadError(f"{source}: cannot read: {exc.strerror or exc}") from None
        return cls.from_json(raw, source=source)

    def __repr__(self) -> str:
        return (
            f"TableProfile(rows={self.rows}, columns={len(self.columns)}, version={self.version})"
        )
