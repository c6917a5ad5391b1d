"""Data drift, side by side: modelsteward vs Evidently vs NannyML vs a bare scipy loop.

    python -m bench.drift                      # all sizes: 10k x 20, 200k x 20, 1M x 50
    python -m bench.drift --sizes 10k,200k     # a quick run
    python -m bench.drift --tools steward-cli,scipy --sizes 10k

For every size the tables of ``bench.datagen`` are used (generated on first use): the
drifted pair (reference vs current, ``truth.json`` says which columns moved) and the
no-drift pair (reference vs a fresh sample of the same distributions).  Every tool runs
in a process of its own (wall time and that process's peak RSS, see ``_measure.py``):

- ``steward-cli``: the whole ``steward drift REF CUR --format json`` command, timed end
  to end: Python start-up, imports, reading both Parquet files and computing;
- ``steward-api`` / ``steward-api-arrow``: ``modelsteward.drift(ref, cur)`` on tables
  already in memory (pandas DataFrames / Arrow tables), compute only;
- ``scipy``, ``nannyml``, ``evidently``: see ``_peer_drift.py``; data loaded into pandas
  first (not timed), compute only, in the peers' venv (``setup_peers.sh``).

Each of our CLI variants runs ``--repeats`` times per pair (3 by default) and its median
is reported with every run's time; the peers run once each (their runs take 10-300 s and
move by about 1 % run to run). At 1M x 50 it also times
``steward drift ... --format html -o report.html``.
Writes ``bench/results/drift.json`` (merged with earlier sizes) and ``drift.md``, and
prints the Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import datagen
from bench._measure import Measured, file_mb, fmt_mb, load_average, run

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS_PY = HERE / ".venv-peers" / "bin" / "python"
PEER_SCRIPT = HERE / "_peer_drift.py"

TOOLS = [
    "steward-cli",
    "steward-cli-univariate",
    "steward-cli-pca",
    "steward-api",
    "steward-api-arrow",
    "scipy",
    "nannyml",
    "evidently",
]
LABELS = {
    "steward-cli": "modelsteward, `steward drift --format json` (whole CLI run, defaults)",
    "steward-cli-univariate": "modelsteward, the same with `--no-multivariate`",
    "steward-cli-pca": "modelsteward, the same with `--no-domain-classifier` (PCA view only)",
    "steward-api": "modelsteward, `modelsteward.drift()` on pandas in memory",
    "steward-api-arrow": "modelsteward, `modelsteward.drift()` on Arrow in memory",
    "scipy": "bare scipy loop: `ks_2samp` / chi², p < 0.05",
    "nannyml": "NannyML 0.13.1 `UnivariateDriftCalculator`, defaults",
    "evidently": "Evidently 0.7.23 `DataDriftPreset`, defaults",
}
TIMED = {
    "steward-cli": "start-up + read + compute",
    "steward-cli-univariate": "start-up + read + compute",
    "steward-cli-pca": "start-up + read + compute",
    "steward-api": "compute",
    "steward-api-arrow": "compute",
    "scipy": "compute",
    "nannyml": "compute",
    "evidently": "compute",
}
PEERS = {"scipy", "nannyml", "evidently"}
#: Our CLI variants: the flags each adds to `steward drift ... --format json`.
CLI_FLAGS = {
    "steward-cli": [],
    "steward-cli-univariate": ["--no-multivariate"],
    "steward-cli-pca": ["--no-domain-classifier"],
}


def steward_exe() -> str:
    local = Path(sys.executable).parent / "steward"
    if local.exists():
        return str(local)
    found = shutil.which("steward")
    if not found:
        raise SystemExit("error: no `steward` command next to this python nor on PATH")
    return found


def ensure_peers(setup: bool) -> None:
    if PEERS_PY.exists():
        return
    if not setup:
        raise SystemExit(f"error: {PEERS_PY} is missing; run bash bench/setup_peers.sh")
    subprocess.run(["bash", str(HERE / "setup_peers.sh")], check=True)


def short(col: dict[str, Any]) -> str:
    drift, mag = col.get("drift"), col.get("magnitude")
    if drift == "shift":
        return f"shift {mag} sd"
    if drift == "scale":
        return f"sd x{mag}"
    if drift == "shape":
        return f"{mag} shape"
    if drift == "freq":
        return f"{round(float(mag) * 100)} pts freq"
    if drift == "new-category":
        return f"new category {float(mag):.0%}"
    return "none"


# ------------------------------------------------------------------------- one run
def _command(tool: str, ref: Path, cur: Path, out: Path) -> list[str]:
    if tool in CLI_FLAGS:
        return [steward_exe(), "drift", str(ref), str(cur), "--format", "json", *CLI_FLAGS[tool]]
    py = str(PEERS_PY) if tool in PEERS else sys.executable
    base = [py, str(PEER_SCRIPT), "--ref", str(ref), "--cur", str(cur), "--out", str(out)]
    if tool == "steward-api":
        return [*base, "--tool", "modelsteward", "--frame", "pandas"]
    if tool == "steward-api-arrow":
        return [*base, "--tool", "modelsteward", "--frame", "arrow"]
    return [*base, "--tool", tool]


def run_tool(tool: str, ref: Path, cur: Path, timeout: float) -> dict[str, Any]:
    out = RESULTS / "tmp" / f"{tool}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = _command(tool, ref, cur, out)
    m: Measured = run(cmd, timeout=timeout)
    rec: dict[str, Any] = {
        "command": " ".join(_display(c) for c in cmd),
        "wall_seconds": round(m.wall_seconds, 3),
        "peak_rss_mb": round(m.peak_rss_mb, 1),
        "cpu_seconds": round(m.user_seconds + m.system_seconds, 2),
        "returncode": m.returncode,
        "timed_out": m.timed_out,
    }
    if not m.ok:
        rec["error"] = m.stderr.strip().splitlines()[-1:] or [f"exit {m.returncode}"]
        rec["stderr_tail"] = m.summary()["stderr_tail"]
        return rec
    try:
        if tool.startswith("steward-cli"):
            payload = json.loads(m.stdout)
            flags = {c["name"]: bool(c["drifted"]) for c in payload["columns"]}
            rec["seconds"] = rec["wall_seconds"]
            rec["dataset_drift"] = payload.get("dataset_drift")
            rec["details"] = {
                c["name"]: {
                    k: c.get(k) for k in ("kind", "method", "score", "p_value", "threshold")
                }
                | {"status": c.get("status"), "reason": c.get("reason")}
                for c in payload["columns"]
            }
        else:
            payload = json.loads(out.read_text())
            flags = payload["flags"]
            rec["seconds"] = round(payload["compute_seconds"], 3)
            rec["load_seconds"] = round(payload["load_seconds"], 3)
            rec["rss_after_load_mb"] = round(payload["rss_after_load_mb"], 1)
            rec["details"] = payload.get("scores")
            if "analysis_chunks" in payload:
                rec["analysis_chunks"] = payload["analysis_chunks"]
    except (ValueError, KeyError, OSError) as exc:
        rec["error"] = [f"could not read the result: {exc!r}"]
        rec["stdout_head"] = m.stdout[:500]
        return rec
    rec["flagged"] = sorted(c for c, v in flags.items() if v)
    rec["n_columns_reported"] = len(flags)
    return rec


def _display(part: str) -> str:
    try:
        return str(Path(part).resolve().relative_to(HERE.parent))
    except ValueError:
        return part


def score(rec: dict[str, Any], truth: set[str], n_cols: int, nodrift: bool) -> None:
    if "flagged" not in rec:
        return
    flagged = set(rec["flagged"])
    if nodrift:
        rec["false_columns"] = len(flagged)
        rec["false_names"] = sorted(flagged)
        return
    tp = len(flagged & truth)
    rec["true_positives"] = tp
    rec["false_positives"] = sorted(flagged - truth)
    rec["missed"] = sorted(truth - flagged)
    rec["precision"] = round(tp / len(flagged), 3) if flagged else None
    rec["recall"] = round(tp / len(truth), 3) if truth else None
    rec["of_columns"] = n_cols


# ------------------------------------------------------------------------- a size
def _timeout(tool: str, timeout: float) -> float:
    """Ours runs in seconds: a run of ours taking 3 minutes is a hang, not a figure."""
    return min(timeout, 180.0) if tool.startswith("steward") else timeout


def _run_retrying(
    tool: str, ref: Path, cur: Path, timeout: float, retries: int, size: str, pair: str
) -> dict[str, Any]:
    """One run; a crash or hang of ours is recorded (and reported), then retried so that
    the figures of a working run are there too."""
    rec = run_tool(tool, ref, cur, _timeout(tool, timeout))
    failures: list[Any] = []
    while "error" in rec and tool.startswith("steward") and len(failures) < retries:
        failures.append({k: rec.get(k) for k in ("error", "returncode", "timed_out")})
        _progress(size, tool, pair, rec)
        rec = run_tool(tool, ref, cur, _timeout(tool, timeout))
    if failures:
        rec["failed_attempts"] = failures
    return rec


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time (the first run when there is one, or a failure), with
    every run's seconds under ``repeats``. Our runs take seconds on a shared 2-core
    machine, where one run moves by ±10 %; a peer's takes 10-300 s and moves far less."""
    if len(runs) == 1 or any("error" in r for r in runs):
        return next((r for r in runs if "error" in r), runs[0])
    flagged = {tuple(r["flagged"]) for r in runs}
    if len(flagged) != 1:
        raise SystemExit(f"error: repeated runs flagged different columns: {sorted(flagged)}")
    ordered = sorted(runs, key=lambda r: float(r["seconds"]))
    rec = dict(ordered[(len(ordered) - 1) // 2])
    rec["repeats"] = [r["seconds"] for r in runs]
    rec["failed_attempts"] = [f for r in runs for f in r.get("failed_attempts", [])]
    if not rec["failed_attempts"]:
        del rec["failed_attempts"]
    return rec


def bench_size(
    size: str, tools: list[str], timeout: float, html: bool, retries: int = 2, repeats: int = 1
) -> dict[str, Any]:
    paths = datagen.generate(size)
    truth_doc = datagen.load_truth(size)
    truth = set(truth_doc["drifted"])  # type: ignore[arg-type]
    cols = {c["name"]: c for c in truth_doc["columns"]}  # type: ignore[union-attr]
    rows, n_cols = datagen.SIZES[size]
    out: dict[str, Any] = {
        "rows": rows,
        "columns": n_cols,
        "drifted": sorted(truth),
        "drift_kinds": {name: short(cols[name]) for name in sorted(truth)},
        "load_before": load_average(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files_mb": {k: round(file_mb(v), 1) for k, v in paths.items() if k != "truth"},
        "tools": {},
    }
    print(
        f"\n== {size}: {rows} rows x {n_cols} columns, {len(truth)} drifted; {out['load_before']}",
        flush=True,
    )
    for tool in tools:
        entry: dict[str, Any] = {}
        for pair, cur in (("drift", paths["current"]), ("nodrift", paths["nodrift"])):
            runs = [
                _run_retrying(tool, paths["reference"], cur, timeout, retries, size, pair)
                for _ in range(repeats if tool in CLI_FLAGS else 1)
            ]
            rec = _median_run(runs)
            score(rec, truth, n_cols, nodrift=(pair == "nodrift"))
            entry[pair] = rec
            _progress(size, tool, pair, rec)
        out["tools"][tool] = entry
    if html and "steward-cli" in tools:
        report = RESULTS / f"report_{size}.html"
        report.unlink(missing_ok=True)
        cmd = [
            steward_exe(),
            "drift",
            str(paths["reference"]),
            str(paths["current"]),
            "--format",
            "html",
            "-o",
            str(report),
        ]
        m = run(cmd, timeout=_timeout("steward-cli", timeout))
        html_failures = []
        while not m.ok and len(html_failures) < retries:
            html_failures.append({"returncode": m.returncode, "timed_out": m.timed_out})
            report.unlink(missing_ok=True)
            m = run(cmd, timeout=_timeout("steward-cli", timeout))
        out["html"] = {
            "failed_attempts": html_failures,
            "command": " ".join(_display(c) for c in cmd),
            "wall_seconds": round(m.wall_seconds, 3),
            "peak_rss_mb": round(m.peak_rss_mb, 1),
            "returncode": m.returncode,
            "report_mb": round(file_mb(report), 2) if report.exists() else None,
        }
        if not m.ok:
            out["html"]["error"] = m.summary()["stderr_tail"]
        print(
            f"  {size} steward-cli html: {m.wall_seconds:.2f} s, {fmt_mb(m.peak_rss_mb)}, "
            f"exit {m.returncode}",
            flush=True,
        )
    out["load_after"] = load_average()
    out["ratios"] = ratios(out)
    return out


def _progress(size: str, tool: str, pair: str, rec: dict[str, Any]) -> None:
    if "error" in rec:
        print(f"  {size} {tool} {pair}: FAILED ({rec['error']})", flush=True)
        return
    extra = (
        f"false {rec.get('false_columns')}"
        if pair == "nodrift"
        else f"P {rec.get('precision')} R {rec.get('recall')} missed {rec.get('missed')}"
        f" false+ {rec.get('false_positives')}"
    )
    print(
        f"  {size} {tool} {pair}: {rec.get('seconds')} s ({rec['wall_seconds']} s wall), "
        f"{fmt_mb(rec['peak_rss_mb'])}; {extra}",
        flush=True,
    )


def ratios(size_out: dict[str, Any]) -> dict[str, Any]:
    """Peer compute seconds / our whole CLI run, for each of our CLI variants."""
    tools = size_out["tools"]
    targets = {"nannyml": 10.0, "evidently": 50.0, "scipy": 1.0}
    res: dict[str, Any] = {}
    for ours in CLI_FLAGS:
        ours_s = tools.get(ours, {}).get("drift", {}).get("seconds")
        if not ours_s:
            continue
        mine: dict[str, Any] = {}
        for peer, target in targets.items():
            peer_s = tools.get(peer, {}).get("drift", {}).get("seconds")
            if peer_s:
                r = peer_s / ours_s
                mine[peer] = {"ratio": round(r, 2), "target": target, "met": r >= target}
        peak = max((tools[ours][p].get("peak_rss_mb") or 0.0) for p in ("drift", "nodrift"))
        mine["memory"] = {"peak_rss_mb": peak, "target_mb": 1024, "met": peak < 1024}
        res[ours] = mine
    return res


# ------------------------------------------------------------------------- output
def _pr(rec: dict[str, Any], kinds: dict[str, str]) -> str:
    if "error" in rec:
        return "failed"
    p, r = rec.get("precision"), rec.get("recall")
    text = f"{'–' if p is None else f'{p:.2f}'} / {'–' if r is None else f'{r:.2f}'}"
    notes = []
    if rec.get("missed"):
        notes.append("misses " + ", ".join(f"{c} ({kinds.get(c, '?')})" for c in rec["missed"]))
    if rec.get("false_positives"):
        notes.append("wrongly flags " + ", ".join(rec["false_positives"]))
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _failure(rec: dict[str, Any]) -> str:
    if rec.get("timed_out"):
        return "HUNG (killed at the timeout)"
    code = rec.get("returncode")
    if code == -11:
        return "CRASHED (segfault)"
    if isinstance(code, int) and code < 0:
        return f"ended by signal {-code} (hung, killed)"
    return f"FAILED (exit {code})"


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    for out in results["sizes"].values():
        rows, n_cols = out["rows"], out["columns"]
        lines.append(
            f"#### {rows:,} rows × {n_cols} columns, {len(out['drifted'])} drifted "
            f"({out['load_before']} before the run)"
        )
        lines.append("")
        lines.append(
            "| tool | timed | seconds | peak memory | precision / recall | "
            "false columns on no-drift |"
        )
        lines.append("|---|---|---:|---:|---|---:|")
        for tool, entry in out["tools"].items():
            d, n = entry["drift"], entry["nodrift"]
            secs = _failure(d) if "error" in d else f"{d['seconds']:.2f}"
            if "repeats" in d:
                secs += f" (median of {', '.join(f'{x:.2f}' for x in d['repeats'])})"
            false = (
                _failure(n)
                if "error" in n
                else f"{n['false_columns']} of {n_cols}"
                + (f" ({', '.join(n['false_names'])})" if 0 < n["false_columns"] <= 4 else "")
            )
            label = LABELS[tool]
            crashes = [f for p in (d, n) for f in p.get("failed_attempts", [])]
            if crashes:
                label += " — " + "; ".join(_failure(f) for f in crashes) + ", then re-run"
            lines.append(
                f"| {label} | {TIMED[tool]} | {secs} | {fmt_mb(d['peak_rss_mb'])} | "
                f"{_pr(d, out['drift_kinds'])} | {false} |"
            )
        if "html" in out:
            h = out["html"]
            tries = [_failure(f) for f in h.get("failed_attempts", [])]
            label = "modelsteward, `steward drift --format html -o report.html`"
            if tries:
                label += " — " + "; ".join(tries) + ", then re-run"
            ok = h["returncode"] == 0
            secs = f"{h['wall_seconds']:.2f}" if ok else _failure(h)
            lines.append(
                f"| {label} | start-up + read + compute + render | {secs} | "
                f"{fmt_mb(h['peak_rss_mb'])} | "
                + (f"(same decisions; report {h['report_mb']} MB)" if ok else "no report")
                + " | |"
            )
        lines.append("")
        for ours, rs in out.get("ratios", {}).items():
            parts = []
            for peer, name in (
                ("nannyml", "NannyML"),
                ("evidently", "Evidently"),
                ("scipy", "scipy loop"),
            ):
                if peer in rs:
                    r = rs[peer]
                    parts.append(
                        f"{name} / ours = {r['ratio']:.1f}× (target ≥ {r['target']:g}×: "
                        f"{'met' if r['met'] else 'MISSED'})"
                    )
            m = rs["memory"]
            parts.append(
                f"our peak {fmt_mb(m['peak_rss_mb'])} (target < 1 GB: "
                f"{'met' if m['met'] else 'MISSED'})"
            )
            variant = " ".join(f"`{f}`" for f in CLI_FLAGS[ours]) or "defaults"
            lines.append(
                f"Ratios vs our whole CLI run ({variant}; peers compute only): " + "; ".join(parts)
            )
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="data drift: modelsteward vs the peers")
    ap.add_argument("--sizes", default="all", help="10k,200k,1m (default: all)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--no-html", action="store_true", help="skip the 1M HTML report run")
    ap.add_argument("--no-setup", action="store_true", help="do not create the peers' venv")
    ap.add_argument("--out", default=str(RESULTS / "drift.json"))
    ap.add_argument("--retries", type=int, default=2, help="re-runs of ours after a crash or hang")
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each of our CLI variants per pair; the median is reported (peers run once)",
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other tools' earlier figures for these sizes (re-run a subset)",
    )
    args = ap.parse_args(argv)

    sizes = datagen.parse_sizes(args.sizes)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise SystemExit(f"error: unknown tools {sorted(unknown)}; choose from {TOOLS}")
    if PEERS & set(tools):
        ensure_peers(setup=not args.no_setup)
    RESULTS.mkdir(parents=True, exist_ok=True)

    out_path = Path(args.out)
    results: dict[str, Any] = {"sizes": {}}
    if out_path.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(out_path.read_text())
    results.setdefault("sizes", {})
    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    results["note"] = (
        "seconds: steward-cli = wall time of the whole process (Python start-up, imports, "
        "reading both Parquet files, compute, JSON out); every other tool = compute only "
        "with the data already in memory. peak memory = the process's own peak RSS."
    )
    for size in sizes:
        res = bench_size(
            size,
            tools,
            args.timeout,
            html=(size == "1m" and not args.no_html),
            retries=args.retries,
            repeats=max(1, args.repeats),
        )
        res["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        old = results["sizes"].get(size)
        if args.merge and old:
            # Replace only the tools run now; the others keep their earlier figures.
            old["tools"].update(res["tools"])
            if "html" in res:
                old["html"] = res["html"]
            old.setdefault("reruns", []).append(
                {"tools": tools, "load_before": res["load_before"], "started": res["started"]}
            )
            old["ratios"] = ratios(old)
            res = old
        results["sizes"][size] = res
        # Keep the sizes in the canonical order.
        results["sizes"] = {k: results["sizes"][k] for k in datagen.SIZES if k in results["sizes"]}
        out_path.write_text(json.dumps(results, indent=1) + "\n")
    md = markdown(results)
    (out_path.with_suffix(".md")).write_text(md + "\n")
    print()
    print(md)
    print(f"results: {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
