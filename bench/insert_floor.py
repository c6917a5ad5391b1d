"""The database's own floor for storing predictions, with no server and no modelsteward code.

    python -m bench.insert_floor                       # SQLite, and PostgreSQL when
    STEWARD_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python -m bench.insert_floor                   # that variable names a database

Rows of the ``predictions`` table's shape (migration 0001: model, id, time, version,
prediction and score JSON text, latency, error, segment) go in ``--batch``-row
transactions, ``--rows`` in all, by id shape (random ``uuid4().hex`` or time-ordered
``modelsteward.ids.uuid7_hex``):

* SQLite (``sqlite3``, WAL, ``synchronous=NORMAL`` as the store sets it):
  ``executemany`` into the table as the store has it (both indexes, the foreign key to
  ``models`` checked with ``PRAGMA foreign_keys=ON``), without the key, as a
  ``WITHOUT ROWID`` table keyed by model and id, and with no index at all. Reported as
  CPU microseconds per row (the process's own CPU; SQLite runs in it).
* PostgreSQL (psycopg ``COPY`` of CSV built before the clock starts, as the ingest path
  sends it), into the table with both indexes: ``prediction_id`` in the database's
  default collation and in ``COLLATE "C"`` (migration 0005), with the table's foreign
  key to ``models`` (checked row by row) and without it. Reported as rows per second,
  in a schema dropped afterwards.

This is the ceiling the ingest path cannot beat: see the ingest section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from modelsteward.ids import uuid7_hex

COLUMNS = (
    "model_id, prediction_id, timestamp, version, prediction, score, latency_ms, error, segment"
)
INDEXES = (
    "CREATE UNIQUE INDEX uq_ids ON predictions (model_id, prediction_id)",
    "CREATE INDEX ix_time ON predictions (model_id, timestamp)",
)


def _ids(shape: str) -> Callable[[], str]:
    return uuid7_hex if shape == "ordered" else (lambda: uuid.uuid4().hex)


def _rows(make_id: Callable[[], str], n: int, start: int) -> list[tuple[object, ...]]:
    return [
        (
            1,
            make_id(),
            f"2026-11-29 12:{(start + i) // 60_000 % 60:02d}:00.000000",
            "v1",
            "1",
            "0.73",
            1.5,
            0,
            None,
        )
        for i in range(n)
    ]


#: SQLite table layouts: (label, foreign key to models, WITHOUT ROWID, secondary indexes).
SQLITE_LAYOUTS = (
    ("both indexes, foreign key to `models` (the store's table)", True, False, INDEXES),
    ("both indexes, no foreign key", False, False, INDEXES),
    ("`WITHOUT ROWID` keyed by (model, id), time index, foreign key", True, True, INDEXES[1:]),
    ("no index, no foreign key", False, False, ()),
)


def sqlite_us_per_row(
    shape: str,
    rows: int,
    batch: int,
    *,
    foreign_key: bool,
    without_rowid: bool,
    indexes: tuple[str, ...],
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_key else 'OFF'}")  # as the store
        conn.execute("CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.execute("INSERT INTO models (name) VALUES ('m')")
        references = " REFERENCES models (id) ON DELETE CASCADE" if foreign_key else ""
        key, rowid = (
            ("", ", PRIMARY KEY (model_id, prediction_id)) WITHOUT ROWID")
            if without_rowid
            else ("id INTEGER PRIMARY KEY, ", ")")
        )
        conn.execute(
            f"CREATE TABLE predictions ({key}model_id INTEGER NOT NULL{references}, "
            "prediction_id VARCHAR(200) NOT NULL, timestamp TEXT NOT NULL, version TEXT, "
            f"prediction TEXT, score TEXT, latency_ms REAL, error BOOLEAN NOT NULL, segment TEXT"
            f"{rowid}"
        )
        for ddl in indexes:
            conn.execute(ddl)
        sql = f"INSERT INTO predictions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        make_id, cpu = _ids(shape), 0.0
        for start in range(0, rows, batch):
            data = _rows(make_id, batch, start)  # built outside the timed part
            t = time.process_time()
            conn.execute("BEGIN")
            conn.executemany(sql, data)
            conn.execute("COMMIT")
            cpu += time.process_time() - t
        conn.close()
    return cpu / rows * 1e6


def _csv(rows: list[tuple[object, ...]]) -> bytes:
    """The rows as COPY's CSV (what the ingest path sends, written there by Arrow)."""

    def cell(value: object) -> str:
        return (
            ""
            if value is None
            else ("t" if value is True else "f" if value is False else str(value))
        )

    return "".join(",".join(cell(v) for v in row) + "\n" for row in rows).encode()


def postgres_rows_per_s(
    url: str, shape: str, rows: int, batch: int, *, collate_c: bool, foreign_key: bool
) -> float:
    """``COPY`` of pre-built CSV: only the database's work is timed, not the client's."""
    import psycopg

    schema = f"floor_{uuid.uuid4().hex[:8]}"
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"SET search_path TO {schema}")
            conn.execute("CREATE TABLE models (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)")
            conn.execute("INSERT INTO models (name) VALUES ('m')")
            collation = ' COLLATE "C"' if collate_c else ""
            references = " REFERENCES models (id) ON DELETE CASCADE" if foreign_key else ""
            conn.execute(
                "CREATE TABLE predictions (id BIGSERIAL PRIMARY KEY, "
                f"model_id BIGINT NOT NULL{references}, "
                f"prediction_id VARCHAR(200){collation} NOT NULL, "
                "timestamp TIMESTAMPTZ NOT NULL, version VARCHAR(200), prediction JSON, "
                "score JSON, latency_ms DOUBLE PRECISION, error BOOLEAN NOT NULL, "
                "segment VARCHAR(200))"
            )
            for ddl in INDEXES:
                conn.execute(ddl)
            make_id, elapsed = _ids(shape), 0.0
            sql = f"COPY predictions ({COLUMNS}) FROM STDIN (FORMAT csv)"
            for start in range(0, rows, batch):
                data = [(*r[:7], bool(r[7]), r[8]) for r in _rows(make_id, batch, start)]
                payload = _csv(data)  # built outside the timed part
                t = time.perf_counter()
                with conn.transaction(), conn.cursor().copy(sql) as copy:
                    copy.write(payload)
                elapsed += time.perf_counter() - t
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return rows / elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--batch", type=int, default=20_000)
    args = ap.parse_args(argv)
    print(
        f"load average {os.getloadavg()[0]:.2f}; {args.rows:,} rows in {args.batch:,}-row "
        "transactions\n"
    )
    print("| SQLite `executemany` | random ids: µs CPU / row | ordered ids: µs CPU / row |")
    print("|---|---:|---:|")
    for label, foreign_key, without_rowid, indexes in SQLITE_LAYOUTS:
        cells = [
            "{:.2f}".format(
                sqlite_us_per_row(
                    s,
                    args.rows,
                    args.batch,
                    foreign_key=foreign_key,
                    without_rowid=without_rowid,
                    indexes=indexes,
                )
            )
            for s in ("random", "ordered")
        ]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    url = os.environ.get("STEWARD_TEST_POSTGRES_URL")
    if not url:
        print("\n(PostgreSQL skipped: STEWARD_TEST_POSTGRES_URL is not set)")
        return 0
    print("\n| PostgreSQL `COPY` of CSV, both indexes | random ids: rows/s | ordered ids: rows/s |")
    print("|---|---:|---:|")
    for collate_c, foreign_key in ((False, True), (True, True), (True, False)):
        options = {"collate_c": collate_c, "foreign_key": foreign_key}
        cells = [
            f"{postgres_rows_per_s(url, s, args.rows, args.batch, **options):,.0f}"
            for s in ("random", "ordered")
        ]
        label = '`COLLATE "C"` (migration 0005)' if collate_c else "database default collation"
        label += ", foreign key to `models`" if foreign_key else ", no foreign key"
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
