"""Streaming profiles: ``steward profile`` on a Parquet file of several GB, in bounded memory.

    python -m bench.profile_stream                    # 75M rows x 20 columns (~10 GB Parquet)
    python -m bench.profile_stream --rows 5000000     # a quicker run

1. Writes ``bench/data/stream/big_<rows>.parquet`` (kept, git-ignored) row group by row
   group with ``bench.datagen``'s 20-column layout (14 numeric, 6 string categorical),
   never holding more than one batch in memory; skipped when the file is already there.
   Before writing it checks the free disk space and uses fewer rows if disk is short.
2. Computes from the Parquet metadata (not by loading the table) how much memory the
   table takes as Arrow columns, the least pandas would need to hold it.
3. Runs ``steward profile big.parquet -o big.json`` in its own process and records its
   wall time and peak RSS (``_measure.py``).

Writes ``bench/results/profile_stream.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench import datagen
from bench._measure import fmt_mb, load_average, run

HERE = Path(__file__).resolve().parent
STREAM_DIR = datagen.DATA_DIR / "stream"
RESULTS = HERE / "results"
BATCH_ROWS = 8 * datagen.ROW_GROUP  # generated at once; written as 8 row groups
N_COLUMNS = 20
DISK_MARGIN = 5 * 2**30  # leave this much free for everyone else


def _steward() -> str:
    local = Path(sys.executable).parent / "steward"
    if local.exists():
        return str(local)
    found = shutil.which("steward")
    if not found:
        raise SystemExit("error: no `steward` command next to this python nor on PATH")
    return found


def bytes_per_row(specs: list[datagen.ColumnSpec]) -> float:
    """Parquet bytes per row, measured on one batch written to memory."""
    batch = next(datagen.iter_stream_batches(datagen.ROW_GROUP, specs))
    sink = pa.BufferOutputStream()
    pq.write_table(batch, sink, compression="snappy")
    return float(sink.getvalue().size / batch.num_rows)


def fit_rows(rows: int, specs: list[datagen.ColumnSpec], where: Path) -> tuple[int, dict[str, Any]]:
    """``rows``, or fewer if the disk cannot hold the file with a margin to spare."""
    where.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(where).free
    per_row = bytes_per_row(specs)
    need = per_row * rows
    info = {"free_disk_gb": round(free / 2**30, 1), "estimated_file_gb": round(need / 2**30, 2)}
    if need > free - DISK_MARGIN:
        fitted = int(max(free - DISK_MARGIN, 0) / per_row) // BATCH_ROWS * BATCH_ROWS
        info["reduced_from_rows"] = rows
        print(
            f"profile_stream: only {free / 2**30:.1f} GB free; {fitted} rows instead of {rows}",
            flush=True,
        )
        return fitted, info
    return rows, info


def write_big(path: Path, rows: int, specs: list[datagen.ColumnSpec]) -> float:
    """Stream ``rows`` rows to ``path``; returns the seconds it took."""
    tmp = path.with_suffix(".parquet.tmp")
    t0 = time.perf_counter()
    schema = None
    writer = None
    written = 0
    try:
        for batch in datagen.iter_stream_batches(rows, specs, batch_rows=BATCH_ROWS):
            if writer is None:
                schema = batch.schema
                writer = pq.ParquetWriter(tmp, schema, compression="snappy")
            writer.write_table(batch, row_group_size=datagen.ROW_GROUP)
            written += batch.num_rows
            if written % (10 * BATCH_ROWS) == 0 or written == rows:
                print(f"  wrote {written:,} / {rows:,} rows", flush=True)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return time.perf_counter() - t0


def arrow_size(path: Path) -> dict[str, Any]:
    """In-memory Arrow size of the whole table, from the metadata plus one row group.

    Fixed-width columns: byte width x rows (+ a validity bitmap where there are nulls).
    String columns: 4-byte offsets x rows plus the character bytes, the latter scaled from
    the first row group (the only data read).
    """
    pf = pq.ParquetFile(path)
    md = pf.metadata
    rows = md.num_rows
    schema = pf.schema_arrow
    first = pf.read_row_group(0)
    total = 0
    per_column: dict[str, int] = {}
    for i, field in enumerate(schema):
        nulls = sum(
            (md.row_group(g).column(i).statistics.null_count or 0)
            if md.row_group(g).column(i).statistics is not None
            else 0
            for g in range(md.num_row_groups)
        )
        bitmap = (rows + 7) // 8 if nulls else 0
        if pa.types.is_string(field.type) or pa.types.is_binary(field.type):
            col = first.column(i).combine_chunks()
            chars = col.buffers()[2].size if col.buffers()[2] is not None else 0
            size = 4 * (rows + 1) + int(chars / first.num_rows * rows) + bitmap
        else:
            size = field.type.bit_width // 8 * rows + bitmap
        per_column[field.name] = size
        total += size
    return {
        "rows": rows,
        "columns": len(schema),
        "row_groups": md.num_row_groups,
        "arrow_bytes": total,
        "arrow_gb": round(total / 2**30, 2),
        "per_column_mb": {k: round(v / 2**20, 1) for k, v in per_column.items()},
    }


def mem_total_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="steward profile on a multi-GB Parquet file")
    ap.add_argument("--rows", type=int, default=75_000_000)
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument("--out", default=str(RESULTS / "profile_stream.json"))
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args(argv)

    specs = datagen.column_plan(N_COLUMNS)
    rows, disk = fit_rows(args.rows, specs, STREAM_DIR)
    if rows <= 0:
        raise SystemExit("error: not enough free disk for the streaming benchmark")
    big = STREAM_DIR / f"big_{rows}.parquet"
    gen_seconds = None
    if not big.exists():
        print(f"profile_stream: writing {big} ({rows:,} rows x {N_COLUMNS} columns)", flush=True)
        gen_seconds = round(write_big(big, rows, specs), 1)
    if args.generate_only:
        return 0

    size = arrow_size(big)
    file_gb = big.stat().st_size / 2**30
    RESULTS.mkdir(parents=True, exist_ok=True)
    profile_out = RESULTS / f"big_{rows}.profile.json"
    profile_out.unlink(missing_ok=True)
    cmd = [_steward(), "profile", str(big), "-o", str(profile_out)]
    load = load_average()
    print(f"profile_stream: {' '.join(cmd)}  ({load})", flush=True)
    m = run(cmd, timeout=args.timeout)
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": f"steward profile {big.relative_to(HERE.parent)} -o "
        f"{profile_out.relative_to(HERE.parent)}",
        "load_before": load,
        "load_after": load_average(),
        "machine_ram_gb": mem_total_gb(),
        "file_gb": round(file_gb, 2),
        "generate_seconds": gen_seconds,
        "disk": disk,
        **size,
        "wall_seconds": round(m.wall_seconds, 2),
        "peak_rss_mb": round(m.peak_rss_mb, 1),
        "cpu_seconds": round(m.user_seconds + m.system_seconds, 1),
        "returncode": m.returncode,
        "timed_out": m.timed_out,
        "rows_per_second": round(rows / m.wall_seconds) if m.wall_seconds else None,
        "peak_over_arrow": round(m.peak_rss_mb * 2**20 / size["arrow_bytes"], 4),
    }
    if m.ok and profile_out.exists():
        result["profile_mb"] = round(profile_out.stat().st_size / 2**20, 2)
        try:
            profiled = json.loads(profile_out.read_text()).get("rows")
        except ValueError:
            profiled = None
        result["profile_rows"] = profiled
        result["profile_rows_match"] = profiled == rows
    else:
        result["error"] = m.summary()["stderr_tail"]
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0 if m.ok else 1


def markdown(r: dict[str, Any]) -> str:
    status = "failed" if "error" in r else f"{r['wall_seconds']:.1f}"
    return "\n".join(
        [
            "| file | rows × columns | Parquet on disk | Arrow in memory (pandas needs ≥) | "
            "`steward profile` seconds | peak memory | peak / Arrow size |",
            "|---|---|---:|---:|---:|---:|---:|",
            f"| big_{r['rows']}.parquet | {r['rows']:,} × {r['columns']} | {r['file_gb']:.2f} GB | "
            f"{r['arrow_gb']:.2f} GB | {status} | {fmt_mb(r['peak_rss_mb'])} | "
            f"{r['peak_over_arrow']:.1%} |",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
