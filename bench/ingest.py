"""Ingest throughput of the monitoring service, and the SDK's cost on the caller's thread.

Starts ``steward serve`` in a subprocess on a free loopback port (SQLite in a temporary
home, and PostgreSQL when ``STEWARD_TEST_POSTGRES_URL`` is set, in a fresh schema), then
sends pre-built bodies back to back from ``--clients`` threads for ``--seconds``:

- JSON batches of ``--json-rows`` predictions (with 5 features each, so profiles are
  merged at ingest as in production),
- Arrow IPC stream bodies of ``--arrow-rows`` predictions.

Reports predictions/s, the p50/p99 request latency, and the CPU the server (all its
worker processes) and the client spent per 1,000 predictions, with the load average: on
a shared machine the rate moves with the other load, the CPU per 1,000 much less. Every
id is fresh, so every row is stored; ``--ids`` picks their shape: ``random`` (UUIDv4
hex, each on a random page of the unique index), ``ordered`` (UUIDv7 hex as the SDK and
the server make them, at the end of the index) or ``both`` (each on a fresh database).
``--seconds 0`` skips the throughput phases (for a ``--stream`` run alone). Run:
``python -m bench.ingest [--seconds 10] [--dialect sqlite|postgresql] [--workers N]
[--ids random|ordered|both] [--stream N]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from modelsteward.ids import uuid7_hex


def _new_ids(shape: str, n: int) -> list[str]:
    """``n`` fresh ids: ``random`` (UUIDv4 hex) or ``ordered`` (UUIDv7 hex, increasing)."""
    if shape == "ordered":
        return [uuid7_hex() for _ in range(n)]
    return [uuid.uuid4().hex for _ in range(n)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(home: Path, database: str, workers: int = 1) -> tuple[Any, str, str]:
    import subprocess

    from modelsteward.store import Store

    store = Store(database)
    store.upgrade()
    store.models.create("bench", "binary")
    _, token = store.keys.create("bench", "admin")
    store.close()
    port = _free_port()
    entry = "from modelsteward.cli import run; run()"
    env = {**os.environ, "STEWARD_HOME": str(home)}
    log = open(home / "server.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            *(sys.executable, "-c", entry, "serve", "--port", str(port)),
            *("--database", database),
            *(("--workers", str(workers)) if workers > 1 else ()),
        ],
        env=env,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url, token
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError((home / "server.log").read_text())


def _json_bodies(rows: int, count: int, rng: np.random.Generator, ids: str) -> list[bytes]:
    now = time.time()
    bodies = []
    for _ in range(count):
        x = rng.normal(size=(rows, 3))
        pids = _new_ids(ids, rows)
        batch = [
            {
                "id": pids[i],
                "timestamp": now,
                "prediction": int(x[i, 0] > 0),
                "score": float(abs(x[i, 1]) % 1),
                "latency_ms": float(abs(x[i, 2]) * 10),
                "version": "v1",
                "features": {
                    "a": float(x[i, 0]),
                    "b": float(x[i, 1]),
                    "c": float(x[i, 2]),
                    "plan": "pro" if i % 3 else "basic",
                    "n": i % 17,
                },
            }
            for i in range(rows)
        ]
        bodies.append(json.dumps(batch).encode())
    return bodies


def _arrow_bodies(rows: int, count: int, rng: np.random.Generator, ids: str) -> list[bytes]:
    bodies = []
    ts = pa.array(np.full(rows, int(time.time() * 1e6)), pa.timestamp("us", tz="UTC"))
    for _ in range(count):
        x = rng.normal(size=(rows, 3))
        table = pa.table(
            {
                "id": _new_ids(ids, rows),
                "timestamp": ts,
                "prediction": (x[:, 0] > 0).astype(np.int64),
                "score": np.abs(x[:, 1]) % 1,
                "latency_ms": np.abs(x[:, 2]) * 10,
                "version": pa.array(["v1"] * rows),
                "a": x[:, 0],
                "b": x[:, 1],
                "c": x[:, 2],
                "plan": pa.array(np.where(np.arange(rows) % 3 == 0, "basic", "pro")),
                "n": np.arange(rows) % 17,
            }
        )
        sink = io.BytesIO()
        with ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
        bodies.append(sink.getvalue())
    return bodies


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes ``pids`` (Linux)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _server_pids(proc: Any) -> list[int]:
    """The server process and its children (uvicorn workers)."""
    pids = [proc.pid]
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    return pids


def _drive(
    url: str,
    token: str,
    bodies: list[bytes],
    ctype: str,
    rows: int,
    seconds: float,
    clients: int,
    server_pids: list[int] | None = None,
) -> dict[str, float]:
    latencies: list[float] = []
    sent = [0]
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    it = iter(range(len(bodies)))

    def worker() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": ctype}
        with httpx.Client(base_url=url, timeout=120) as client:
            while time.monotonic() < stop:
                with lock:
                    i = next(it, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                r = client.post(
                    "/api/v1/models/bench/predictions", content=bodies[i], headers=headers
                )
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if r.status_code == 200 and r.json()["accepted"] == rows:
                        sent[0] += rows
                    else:
                        errors[0] += 1

    pids = server_pids or []
    server_cpu = _cpu_seconds(pids)
    client_cpu = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = np.array(latencies) * 1000
    return {
        "predictions_per_s": sent[0] / elapsed,
        "requests": float(len(latencies)),
        "errors": float(errors[0]),
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        # CPU seconds per 1,000 stored predictions: comparable across loads, unlike /s
        "server_cpu_ms_per_1k": 1e6 * (_cpu_seconds(pids) - server_cpu) / max(sent[0], 1),
        "client_cpu_ms_per_1k": 1e6 * (time.process_time() - client_cpu) / max(sent[0], 1),
        "load_average_1m": os.getloadavg()[0],
    }


def sdk_overhead(n: int = 200_000) -> dict[str, float]:
    """Median and p99 ns per ``log_prediction`` on the caller's thread (blocks of 1,000)."""
    from modelsteward.sdk import Monitor

    class Sink:
        def send(self, kind: str, rows: list[dict[str, Any]]) -> None:
            pass

        def close(self) -> None:
            pass

    with tempfile.TemporaryDirectory() as spool:
        mon = Monitor("bench", transport=Sink(), spool_dir=spool, max_queue=10 * n)
        features = {"age": 31, "plan": "pro", "income": 52_000.0, "tenure": 4, "region": "eu"}
        per_call = []
        for _ in range(n // 1000):
            t0 = time.perf_counter_ns()
            for _ in range(1000):
                mon.log_prediction(features, 1, score=0.91, latency_ms=3.2, version="v1")
            per_call.append((time.perf_counter_ns() - t0) / 1000)
        mon.close()
    return {
        "median_ns": statistics.median(per_call),
        "p99_ns": float(np.percentile(per_call, 99)),
    }


def stream_memory(
    url: str, token: str, proc: Any, total: int, rows: int, ids: str
) -> dict[str, float]:
    """Send ``total`` fresh predictions (ids of shape ``ids``) in Arrow bodies; sample the
    server's RSS (all its processes) as it goes."""
    rng = np.random.default_rng(1)
    body_pool = _arrow_bodies(rows, 4, rng, ids)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/vnd.apache.arrow.stream",
    }
    samples: list[tuple[int, float]] = []
    sent = 0
    pids = _server_pids(proc)
    server_cpu = _cpu_seconds(pids)
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as client:
        while sent < total:
            # fresh ids for every body: rewrite the id column of a pooled table
            table = ipc.open_stream(pa.BufferReader(body_pool[(sent // rows) % 4])).read_all()
            fresh = pa.array(_new_ids(ids, rows), pa.string())
            table = table.set_column(table.schema.get_field_index("id"), "id", fresh)
            sink = io.BytesIO()
            with ipc.new_stream(sink, table.schema) as w:
                w.write_table(table)
            r = client.post(
                "/api/v1/models/bench/predictions", content=sink.getvalue(), headers=headers
            )
            r.raise_for_status()
            sent += rows
            samples.append((sent, sum(_rss_mb(p) for p in pids)))
    elapsed = time.perf_counter() - started
    at = {
        f"rss_mb_at_{int(100 * f)}pct": samples[max(0, int(len(samples) * f) - 1)][1]
        for f in (0.1, 0.5, 1.0)
    }
    return {
        "predictions": float(sent),
        "predictions_per_s": sent / elapsed,
        "server_cpu_ms_per_1k": 1e6 * (_cpu_seconds(pids) - server_cpu) / max(sent, 1),
        "load_average_1m": os.getloadavg()[0],
        **at,
    }


def _pg_database() -> tuple[str, Any] | None:
    base = os.environ.get("STEWARD_TEST_POSTGRES_URL")
    if not base:
        return None
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="per phase; 0: no phases")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--json-rows", type=int, default=1000)
    ap.add_argument("--arrow-rows", type=int, default=20_000)
    ap.add_argument("--dialect", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--workers", type=int, default=1, help="steward serve --workers (server processes)"
    )
    ap.add_argument(
        "--ids",
        choices=["random", "ordered", "both"],
        default="both",
        help="id shape: random (UUIDv4), ordered (UUIDv7), or both, each on a fresh database",
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    ap.add_argument(
        "--stream",
        type=int,
        default=0,
        help="also stream this many predictions (Arrow) and sample the server's memory",
    )
    args = ap.parse_args(argv)
    results: dict[str, Any] = {
        "server_workers": args.workers,
        "clients": args.clients,
        "sdk_log_prediction": sdk_overhead(),
    }
    print(f"SDK log_prediction: {results['sdk_log_prediction']}", file=sys.stderr)
    dialects = ["sqlite", "postgresql"] if args.dialect == "both" else [args.dialect]
    shapes = ["random", "ordered"] if args.ids == "both" else [args.ids]
    n_json = max(4, int(args.seconds * 80))
    n_arrow = max(4, int(args.seconds * 25))
    for dialect in dialects:
        for shape in shapes:
            rng = np.random.default_rng(0)
            phases = []
            if args.seconds > 0:
                phases = [
                    ("json", _json_bodies(args.json_rows, n_json, rng, shape), args.json_rows),
                    ("arrow", _arrow_bodies(args.arrow_rows, n_arrow, rng, shape), args.arrow_rows),
                ]
            key = f"{dialect}_{shape}"
            if not _run_server(dialect, key, phases, args, shape, results):
                break
    for line in _summary(results):
        print(line, file=sys.stderr)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


_CTYPE = {"json": "application/json", "arrow": "application/vnd.apache.arrow.stream"}


def _run_server(
    dialect: str,
    key: str,
    phases: list[tuple[str, list[bytes], int]],
    args: argparse.Namespace,
    shape: str,
    results: dict[str, Any],
) -> bool:
    """One fresh database and server: the throughput phases, then the stream, into
    ``results[f"{key}_..."]``; ``False`` when the dialect is not available."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cleanup = None
        if dialect == "sqlite":
            database = f"sqlite:///{home / 'bench.db'}"
        else:
            pg = _pg_database()
            if pg is None:
                print("skip postgresql: STEWARD_TEST_POSTGRES_URL unset", file=sys.stderr)
                return False
            database, cleanup = pg
        proc, url, token = _start_server(home, database, args.workers)
        print(f"{key}: steward serve --workers {args.workers}", file=sys.stderr)
        try:
            for name, bodies, rows in phases:
                r = _drive(
                    url,
                    token,
                    bodies,
                    _CTYPE[name],
                    rows,
                    args.seconds,
                    args.clients,
                    _server_pids(proc),
                )
                results[f"{key}_{name}"] = r
                print(f"{key} {name}: {r}", file=sys.stderr)
            results[f"{key}_server_rss_mb"] = sum(_rss_mb(pid) for pid in _server_pids(proc))
            if args.stream:
                r = stream_memory(url, token, proc, args.stream, args.arrow_rows, shape)
                results[f"{key}_stream"] = r
                print(f"{key} stream: {r}", file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(10)
            if cleanup:
                cleanup()
    return True


def _summary(results: dict[str, Any]) -> list[str]:
    """The throughput phases as Markdown table rows."""
    lines = [
        "| database | ids | body | workers | predictions/s | p50 / p99 request "
        "| server CPU / 1k | load |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        parts = key.split("_")
        if len(parts) != 3 or parts[2] not in _CTYPE:
            continue
        lines.append(
            f"| {parts[0]} | {parts[1]} | {parts[2]} | {results['server_workers']} "
            f"| {r['predictions_per_s']:,.0f} | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms "
            f"| {r['server_cpu_ms_per_1k']:.1f} ms | {r['load_average_1m']:.1f} |"
        )
    return lines


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
