"""Gateway overhead over calling a small scikit-learn model directly.

A logistic regression on 8 features (trained here, seeded) is served one request (one
row) at a time:

- latency (every variant timed on every row, interleaved, so all see the same load):
  the direct predict call (array from the row, ``model.predict``); the fallback chain on
  the healthy path (champion → previous → constant), inline, synchronous with a timeout
  (thread pool) and async (what the app uses), next to a plain ``run_in_executor`` (what
  any sync route pays anyway); ``Gateway.predict``/``apredict`` (validation, routing,
  chain, rollout bookkeeping, metrics, in-memory sink) with the champion alone, with
  shadow on, and with a 10 % canary. Added latency = p50/p99 minus the direct call's.
- throughput of the FastAPI app in-process with ``--concurrency`` requests in flight,
  driven straight through its ASGI interface (the app's own capacity) and through
  ``httpx.ASGITransport`` (which adds the httpx client's cost to each request);
- throughput of ``steward gateway`` (uvicorn) in a subprocess on 127.0.0.1, ``--requests``
  requests over ``--concurrency`` keep-alive connections from a minimal asyncio client.

Run: ``.venv/bin/python -m bench.gateway [--requests 4000] [--concurrency 16]
[--no-uvicorn]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = [f"f{i}" for i in range(8)]
MODES = ("champion", "shadow", "canary")
_MODELS: dict[int, Any] = {}


def _model(seed: int) -> Any:
    if seed not in _MODELS:
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(seed)
        X = rng.normal(size=(2000, len(FEATURES)))
        y = (X @ rng.normal(size=len(FEATURES)) + rng.normal(size=2000) > 0).astype(int)
        _MODELS[seed] = LogisticRegression().fit(X, y)
    return _MODELS[seed]


def _predictor(seed: int) -> Callable[[list[Mapping[str, Any]]], list[Any]]:
    model = _model(seed)

    def predict(rows: list[Mapping[str, Any]]) -> list[Any]:
        X = np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64)
        return model.predict(X).tolist()  # type: ignore[no-any-return]

    return predict


predict_v1 = _predictor(1)
predict_v2 = _predictor(1)  # the same model: a healthy candidate


def _rows(n: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(0)
    return [dict(zip(FEATURES, map(float, x), strict=True)) for x in rng.normal(size=(n, 8))]


def _bodies(rows: list[dict[str, float]], n: int) -> list[bytes]:
    return [json.dumps({"features": rows[i % len(rows)], "key": str(i)}).encode() for i in range(n)]


def _pcts(ms: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def mode_label(mode: str) -> str:
    return {"champion": "champion only", "shadow": "shadow on", "canary": "10 % canary"}[mode]


def _gateway(mode: str) -> Any:
    from modelsteward.rollout import (
        Gateway,
        InMemoryModelProvider,
        InMemorySink,
        ModelSpec,
        RolloutPolicy,
    )

    provider = InMemoryModelProvider({"v1": predict_v1, "v2": predict_v2})
    policy = RolloutPolicy(
        shadow=mode == "shadow", steps=(10, 100), min_hold_s=1e9, check_interval_s=1e9
    )
    spec = ModelSpec(
        "bench",
        FEATURES,
        provider,
        "v1",
        previous="v2",
        default=0,
        candidate=None if mode == "champion" else "v2",
        policy=policy,
    )
    return Gateway([spec], sink=InMemorySink(), shadow_queue=4096)


def _gw_call(gw: Any) -> Callable[[dict[str, float], int], Any]:
    return lambda r, i: gw.predict("bench", r, key=str(i))


async def _latencies(rows: list[dict[str, float]]) -> dict[str, list[float]]:
    from modelsteward.rollout import FallbackChain, Link, constant_link

    loop = asyncio.get_running_loop()
    chain = FallbackChain(
        [Link("champion", "v1", predict_v1), Link("previous", "v2", predict_v2), constant_link(0)]
    )
    inline = FallbackChain([Link("champion", "v1", predict_v1, timeout_s=None), constant_link(0)])
    gws = {mode: _gateway(mode) for mode in MODES}
    sync: dict[str, Callable[[dict[str, float], int], Any]] = {
        "direct": lambda r, i: predict_v1([r]),
        "chain_inline": lambda r, i: inline.call([r]),
        "chain_sync": lambda r, i: chain.call([r]),
        **{f"gw_{m}": _gw_call(g) for m, g in gws.items()},
    }
    drain = gws["shadow"].shadow.drain
    keys = [*sync, "executor", "chain_async", *(f"agw_{m}" for m in MODES)]
    out: dict[str, list[float]] = {k: [] for k in keys}
    for i, r in enumerate(rows):
        keep = i >= 200  # the first 200 rows warm up
        for name, fn in sync.items():
            t0 = time.perf_counter()
            fn(r, i)
            if keep:
                out[name].append((time.perf_counter() - t0) * 1e3)
            if name == "gw_shadow":
                drain(5)
        t0 = time.perf_counter()
        await loop.run_in_executor(None, predict_v1, [r])
        t1 = time.perf_counter()
        await chain.acall([r])
        t2 = time.perf_counter()
        if keep:
            out["executor"].append((t1 - t0) * 1e3)
            out["chain_async"].append((t2 - t1) * 1e3)
        for m, g in gws.items():
            t0 = time.perf_counter()
            await g.apredict("bench", r, key=str(i))
            if keep:
                out[f"agw_{m}"].append((time.perf_counter() - t0) * 1e3)
            # one request at a time, the mirrored call runs after the response: let it
            # finish before timing the next variant (its cost under load shows in the
            # throughput table)
            drain(5)
    for g in gws.values():
        g.shadow.drain(30)
        g.close()
    chain.close()
    return out


def bench_latency(rows: list[dict[str, float]]) -> list[dict[str, Any]]:
    lat = asyncio.run(_latencies(rows))
    d50, d99 = _pcts(lat["direct"])
    names = {
        "direct": "direct predict (1 row)",
        "chain_inline": "fallback chain, inline link (no timeout)",
        "chain_sync": "fallback chain, sync, 1 s timeout (thread pool)",
        "executor": "plain run_in_executor from an event loop (any sync route pays it)",
        "chain_async": "fallback chain, async, 1 s timeout (the app's path)",
        **{f"gw_{m}": f"Gateway.predict (sync), {mode_label(m)}" for m in MODES},
        **{f"agw_{m}": f"Gateway.apredict (async, the app's path), {mode_label(m)}" for m in MODES},
    }
    out = []
    for key, what in names.items():
        p50, p99 = _pcts(lat[key])
        row: dict[str, Any] = {"what": what, "p50_ms": p50, "p99_ms": p99}
        if key != "direct":
            row.update(added_p50_ms=p50 - d50, added_p99_ms=p99 - d99)
        out.append(row)
    return out


async def _raw_call(app: Any, body: bytes) -> int:
    """One request straight into the ASGI app (no HTTP client at all)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict/bench",
        "raw_path": b"/predict/bench",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("gw", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _drive_asgi(
    app: Any, bodies: list[bytes], concurrency: int, use_httpx: bool
) -> tuple[float, list[float]]:
    import httpx

    lat: list[float] = []
    counter = iter(range(len(bodies)))
    headers = {"content-type": "application/json"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:

        async def worker() -> None:
            for i in counter:
                t0 = time.perf_counter()
                if use_httpx:
                    r = await client.post("/predict/bench", content=bodies[i], headers=headers)
                    status = r.status_code
                else:
                    status = await _raw_call(app, bodies[i])
                lat.append((time.perf_counter() - t0) * 1e3)
                assert status == 200

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0, lat


def bench_asgi(rows: list[dict[str, float]], n: int, concurrency: int) -> list[dict[str, Any]]:
    from modelsteward.rollout import create_gateway_app

    out = []
    bodies = _bodies(rows, n)
    for use_httpx in (False, True):
        for mode in MODES:
            gw = _gateway(mode)
            app = create_gateway_app(gw, run_checks=False)
            asyncio.run(_drive_asgi(app, bodies[: n // 4], concurrency, use_httpx))  # warm-up
            wall, lat = asyncio.run(_drive_asgi(app, bodies, concurrency, use_httpx))
            p50, p99 = _pcts(lat)
            gw.shadow.drain(30)
            what = "httpx ASGITransport" if use_httpx else "ASGI in-process, no client"
            out.append(
                {
                    "what": f"{what}, {mode_label(mode)}",
                    "requests": n,
                    "rps": n / wall,
                    "p50_ms": p50,
                    "p99_ms": p99,
                    "shadow_dropped": gw.shadow.dropped,
                }
            )
            gw.close()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _drive_socket(
    port: int, bodies: list[bytes], concurrency: int
) -> tuple[float, list[float]]:
    """A minimal keep-alive HTTP/1.1 client, cheap so that the server is what is measured."""
    lat: list[float] = []
    counter = iter(range(len(bodies)))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in counter:
            body = bodies[i]
            head = (
                "POST /predict/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            t0 = time.perf_counter()
            writer.write(head.encode() + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            lat.append((time.perf_counter() - t0) * 1e3)
            assert status_line.split()[1] == b"200", status_line
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, lat


def _serve(tmp: str, mode: str) -> tuple[subprocess.Popen[bytes], int]:
    import httpx

    root = Path(__file__).resolve().parent.parent
    cfg = Path(tmp) / "gateway.toml"
    candidate = "" if mode == "champion" else 'candidate = "v2"'
    shadow = "true" if mode == "shadow" else "false"
    cfg.write_text(
        textwrap.dedent(f"""
        [gateway]
        log = "none"
        [models.bench]
        features = {json.dumps(FEATURES)}
        champion = "v1"
        previous = "v2"
        {candidate}
        default = 0
        [models.bench.versions]
        v1 = "bench.gateway:predict_v1"
        v2 = "bench.gateway:predict_v2"
        [models.bench.policy]
        shadow = {shadow}
        steps = [10, 100]
        min_hold_s = 1e9
    """)
    )
    port = _free_port()
    env = {**os.environ, "STEWARD_HOME": tmp, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from modelsteward.cli import run; run()",
            "gateway",
            "--config",
            str(cfg),
            "--port",
            str(port),
        ],
        env=env,
        cwd=root,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, port


def bench_uvicorn(rows: list[dict[str, float]], n: int, concurrency: int) -> list[dict[str, Any]]:
    out = []
    bodies = _bodies(rows, n)
    for mode in MODES:
        with tempfile.TemporaryDirectory() as tmp:
            proc, port = _serve(tmp, mode)
            try:
                asyncio.run(_drive_socket(port, bodies[: n // 4], concurrency))  # warm-up
                wall, lat = asyncio.run(_drive_socket(port, bodies, concurrency))
            finally:
                proc.terminate()
                proc.wait(10)
        p50, p99 = _pcts(lat)
        out.append(
            {
                "what": f"uvicorn 127.0.0.1, {mode_label(mode)}",
                "requests": n,
                "rps": n / wall,
                "p50_ms": p50,
                "p99_ms": p99,
            }
        )
    return out


def _print(rows: list[dict[str, Any]]) -> None:
    cols = [
        "what",
        "requests",
        "rps",
        "p50_ms",
        "p99_ms",
        "added_p50_ms",
        "added_p99_ms",
        "shadow_dropped",
    ]
    used = [c for c in cols if any(c in r for r in rows)]
    print("| " + " | ".join(used) + " |")
    print("|" + "|".join("---" if c == "what" else "---:" for c in used) + "|")
    for r in rows:
        cells = []
        for c in used:
            v = r.get(c, "")
            if isinstance(v, float):
                cells.append(f"{v:,.0f}" if c == "rps" else f"{v:.3f}")
            else:
                cells.append(str(v))
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-uvicorn", action="store_true")
    args = ap.parse_args(argv)
    rows = _rows(args.requests)
    _print(bench_latency(rows))
    print()
    results = bench_asgi(rows, args.requests, args.concurrency)
    if not args.no_uvicorn:
        results += bench_uvicorn(rows, args.requests, args.concurrency)
    _print(results)


if __name__ == "__main__":
    main()
