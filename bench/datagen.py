"""Deterministic reference/current table pairs with known drifted columns.

For every size there are three Parquet files, all drawn column by column with numpy
(seeded from the size, the side and the column, so a re-run writes the same bytes):

- ``reference.parquet``: the reference table;
- ``current.parquet``: about a third of the columns drifted, with varied magnitudes
  (mean shifts of 0.05, 0.1, ... sd, variance changes, a change of shape at the same
  mean and variance, categorical frequency shifts of a few points, a new category), the
  other columns drawn from the reference distribution with another seed;
- ``nodrift.parquet``: every column drawn from the reference distribution with a third
  seed (the false-alarm check: nothing should be flagged against the reference).

``truth.json`` beside them lists the drifted columns and how each one moved. The 10k size
is also written as CSV. About 70 % of the columns are numeric (normal, log-normal,
exponential, uniform, gamma, Student t, bimodal, beta, Poisson counts) and 30 % are
string categories (3 to 50 levels, Zipf-like frequencies).

    python -m bench.datagen --sizes 10k,200k,1m      # writes bench/data/drift/<size>/
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

GENERATOR_VERSION = 1
SEED = 20_261_129
ROW_GROUP = 131_072
DATA_DIR = Path(__file__).resolve().parent / "data"
DRIFT_DIR = DATA_DIR / "drift"

SIZES: dict[str, tuple[int, int]] = {
    "10k": (10_000, 20),
    "200k": (200_000, 20),
    "1m": (1_000_000, 50),
}
SIDES = {"reference": 0, "current": 1, "nodrift": 2}


def parse_sizes(text: str) -> list[str]:
    """``"10k,200k"`` -> ``["10k", "200k"]``; ``"all"`` -> every size."""
    if text.strip().lower() == "all":
        return list(SIZES)
    out = []
    for part in text.split(","):
        key = part.strip().lower()
        if key not in SIZES:
            raise SystemExit(f"error: unknown size {part!r}; choose from {', '.join(SIZES)}")
        out.append(key)
    return out


# --------------------------------------------------------------------------------------
# Numeric base distributions: a sampler plus the exact mean and standard deviation, so
# a shift of "0.05 sd" or a change of shape "at the same mean and variance" is exact.
# --------------------------------------------------------------------------------------
Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class NumericBase:
    name: str
    sample: Sampler
    mean: float
    sd: float
    integer: bool = False


def _bimodal(rng: np.random.Generator, n: int) -> np.ndarray:
    sign = np.where(rng.random(n) < 0.5, -2.0, 2.0)
    return sign + rng.standard_normal(n)


_LN_MU, _LN_SIGMA = 3.0, 0.5
_LN_MEAN = math.exp(_LN_MU + _LN_SIGMA**2 / 2)

NUMERIC_BASES: dict[str, NumericBase] = {
    b.name: b
    for b in [
        NumericBase("normal(50,10)", lambda r, n: r.normal(50.0, 10.0, n), 50.0, 10.0),
        NumericBase(
            "lognormal(3,0.5)",
            lambda r, n: r.lognormal(_LN_MU, _LN_SIGMA, n),
            _LN_MEAN,
            _LN_MEAN * math.sqrt(math.exp(_LN_SIGMA**2) - 1.0),
        ),
        NumericBase("exponential(2)", lambda r, n: r.exponential(2.0, n), 2.0, 2.0),
        NumericBase("uniform(0,100)", lambda r, n: r.uniform(0.0, 100.0, n), 50.0, 100 / 12**0.5),
        NumericBase("gamma(2,3)", lambda r, n: r.gamma(2.0, 3.0, n), 6.0, 3.0 * 2**0.5),
        NumericBase(
            "10+2*t(5)", lambda r, n: 10.0 + 2.0 * r.standard_t(5, n), 10.0, 2.0 * (5 / 3) ** 0.5
        ),
        NumericBase("normal(0,1)", lambda r, n: r.standard_normal(n), 0.0, 1.0),
        NumericBase("bimodal(-2,2)", _bimodal, 0.0, 5**0.5),
        NumericBase("beta(2,5)", lambda r, n: r.beta(2.0, 5.0, n), 2 / 7, (10 / (49 * 8)) ** 0.5),
        NumericBase("poisson(4)", lambda r, n: r.poisson(4.0, n), 4.0, 2.0, integer=True),
    ]
}


def _standard_shape(shape: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Mean 0, variance 1, but another shape than a normal."""
    if shape == "bimodal":  # two humps at +-0.8, each with sd 0.6
        sign = np.where(rng.random(n) < 0.5, -0.8, 0.8)
        return sign + 0.6 * rng.standard_normal(n)
    if shape == "skewed":  # gamma(2), standardised
        return (rng.gamma(2.0, 1.0, n) - 2.0) / 2**0.5
    if shape == "heavy-tailed":  # Student t(3), standardised
        return rng.standard_t(3, n) / 3**0.5
    raise ValueError(shape)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # "numeric" | "categorical"
    base: str  # a NUMERIC_BASES key, or "zipf(k=..)" for categories
    drift: str | None = None  # None | shift | scale | shape | freq | new-category
    magnitude: float | str | None = None
    levels: int = 0

    @property
    def drifted(self) -> bool:
        return self.drift is not None

    def describe(self) -> str:
        if self.drift is None:
            return "no drift"
        if self.drift == "shift":
            return f"mean shift of {self.magnitude} sd"
        if self.drift == "scale":
            return f"sd multiplied by {self.magnitude} (same mean)"
        if self.drift == "shape":
            return f"shape changed to {self.magnitude} (same mean and sd)"
        if self.drift == "freq":
            points = round(float(self.magnitude or 0) * 100)
            return f"{points} points of frequency moved from the top level to the third"
        if self.drift == "new-category":
            return f"a new category with a {float(self.magnitude or 0):.0%} share"
        return str(self.drift)


# Drifts per table width: numeric then categorical.  Subtle ones on purpose.
_NUMERIC_DRIFTS: dict[int, list[tuple[str, float | str, str]]] = {
    20: [
        ("shift", 0.05, "normal(50,10)"),
        ("shift", 0.1, "gamma(2,3)"),
        ("shift", 0.5, "uniform(0,100)"),
        ("scale", 1.25, "lognormal(3,0.5)"),
        ("shape", "bimodal", "normal(0,1)"),
    ],
    50: [
        ("shift", 0.05, "normal(50,10)"),
        ("shift", 0.05, "lognormal(3,0.5)"),
        ("shift", 0.1, "gamma(2,3)"),
        ("shift", 0.1, "10+2*t(5)"),
        ("shift", 0.2, "exponential(2)"),
        ("shift", 0.5, "uniform(0,100)"),
        ("shift", 1.0, "beta(2,5)"),
        ("scale", 1.1, "normal(0,1)"),
        ("scale", 1.25, "lognormal(3,0.5)"),
        ("scale", 0.8, "bimodal(-2,2)"),
        ("shape", "bimodal", "normal(50,10)"),
        ("shape", "skewed", "normal(0,1)"),
        ("shape", "heavy-tailed", "normal(0,1)"),
    ],
}
_CATEGORICAL_DRIFTS: dict[int, list[tuple[str, float, int]]] = {
    20: [("freq", 0.03, 5), ("new-category", 0.03, 12)],
    50: [
        ("freq", 0.02, 8),
        ("freq", 0.03, 3),
        ("freq", 0.10, 20),
        ("new-category", 0.01, 30),
        ("new-category", 0.05, 6),
    ],
}
_LEVELS_CYCLE = [3, 5, 8, 12, 20, 50, 4, 30, 6, 10, 15, 40, 7, 25, 9]


def column_plan(n_cols: int) -> list[ColumnSpec]:
    """The columns of a table of this width, in table order (deterministic)."""
    if n_cols not in _NUMERIC_DRIFTS:
        raise ValueError(f"no plan for {n_cols} columns")
    n_cat = round(n_cols * 0.3)
    n_num = n_cols - n_cat
    bases = list(NUMERIC_BASES)

    numeric: list[tuple[str, str | None, float | str | None]] = [
        (base, drift, mag) for drift, mag, base in _NUMERIC_DRIFTS[n_cols]
    ]
    i = 0
    while len(numeric) < n_num:
        numeric.append((bases[i % len(bases)], None, None))
        i += 1
    categorical: list[tuple[int, str | None, float | None]] = [
        (levels, drift, mag) for drift, mag, levels in _CATEGORICAL_DRIFTS[n_cols]
    ]
    j = 0
    while len(categorical) < n_cat:
        categorical.append((_LEVELS_CYCLE[j % len(_LEVELS_CYCLE)], None, None))
        j += 1

    # A fixed shuffle so that neither the names nor the order tell which columns drifted.
    order = np.random.default_rng(SEED + n_cols)
    num_perm = order.permutation(n_num)
    cat_perm = order.permutation(n_cat)
    specs: list[ColumnSpec] = []
    for idx, k in enumerate(num_perm):
        base, drift, mag = numeric[k]
        specs.append(ColumnSpec(f"num_{idx:02d}", "numeric", base, drift, mag))
    for idx, k in enumerate(cat_perm):
        levels, cdrift, cmag = categorical[k]
        specs.append(
            ColumnSpec(f"cat_{idx:02d}", "categorical", f"zipf(k={levels})", cdrift, cmag, levels)
        )
    table_order = order.permutation(len(specs))
    return [specs[k] for k in table_order]


def category_probabilities(levels: int) -> np.ndarray:
    p = 1.0 / np.arange(1, levels + 1) ** 1.1
    return p / p.sum()


def category_labels(levels: int, new: bool = False) -> list[str]:
    labels = [f"level_{i:02d}" for i in range(levels)]
    if new:
        labels.append("level_new")
    return labels


def sample_column(spec: ColumnSpec, rng: np.random.Generator, n: int, drifted: bool) -> pa.Array:
    """``n`` values of one column; with ``drifted`` the spec's drift is applied."""
    apply = drifted and spec.drift is not None
    if spec.kind == "numeric":
        base = NUMERIC_BASES[spec.base]
        if apply and spec.drift == "shape":
            values = base.mean + base.sd * _standard_shape(str(spec.magnitude), rng, n)
        else:
            values = base.sample(rng, n)
            if apply and spec.drift == "shift":
                values = values + float(spec.magnitude or 0) * base.sd
            elif apply and spec.drift == "scale":
                values = base.mean + (values - base.mean) * float(spec.magnitude or 1)
        if base.integer and not apply:
            return pa.array(values.astype(np.int64))
        return pa.array(values.astype(np.float64))

    p = category_probabilities(spec.levels)
    new = False
    if apply and spec.drift == "freq":
        p = p.copy()
        moved = float(spec.magnitude or 0)
        p[0] -= moved
        p[min(2, spec.levels - 1)] += moved
    elif apply and spec.drift == "new-category":
        share = float(spec.magnitude or 0)
        p = np.append(p * (1.0 - share), share)
        new = True
    codes = rng.choice(len(p), size=n, p=p).astype(np.int32)
    labels = pa.array(category_labels(spec.levels, new), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes), labels).cast(pa.string())


def _rng(rows: int, side: int, column: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([SEED, rows, side, column, chunk])


def make_table(rows: int, specs: list[ColumnSpec], side: str) -> pa.Table:
    code = SIDES[side]
    columns = {
        spec.name: sample_column(spec, _rng(rows, code, i), rows, drifted=(side == "current"))
        for i, spec in enumerate(specs)
    }
    return pa.table(columns)


def iter_stream_batches(
    rows: int, specs: list[ColumnSpec], batch_rows: int = ROW_GROUP, side: str = "reference"
) -> Iterator[pa.Table]:
    """The same kind of table as :func:`make_table`, one batch at a time (bounded memory)."""
    code = SIDES[side]
    start = 0
    chunk = 0
    while start < rows:
        n = min(batch_rows, rows - start)
        yield pa.table(
            {
                spec.name: sample_column(spec, _rng(rows, code, i, chunk + 1), n, drifted=False)
                for i, spec in enumerate(specs)
            }
        )
        start += n
        chunk += 1


def size_dir(size: str) -> Path:
    return DRIFT_DIR / size


def paths_for(size: str) -> dict[str, Path]:
    d = size_dir(size)
    return {side: d / f"{side}.parquet" for side in SIDES} | {"truth": d / "truth.json"}


def _is_current(size: str) -> bool:
    p = paths_for(size)
    if not all(path.exists() for path in p.values()):
        return False
    try:
        truth = json.loads(p["truth"].read_text())
    except (OSError, ValueError):
        return False
    return bool(truth.get("generator_version") == GENERATOR_VERSION)


def generate(size: str, force: bool = False, verbose: bool = True) -> dict[str, Path]:
    """Write the three tables and ``truth.json`` for ``size`` unless already there."""
    rows, n_cols = SIZES[size]
    paths = paths_for(size)
    if not force and _is_current(size):
        return paths
    d = size_dir(size)
    d.mkdir(parents=True, exist_ok=True)
    specs = column_plan(n_cols)
    t0 = time.perf_counter()
    for side in SIDES:
        table = make_table(rows, specs, side)
        tmp = paths[side].with_suffix(".parquet.tmp")
        pq.write_table(table, tmp, row_group_size=ROW_GROUP, compression="snappy")
        tmp.replace(paths[side])
        if size == "10k":
            pacsv.write_csv(table, d / f"{side}.csv")
        del table
    truth = {
        "generator_version": GENERATOR_VERSION,
        "size": size,
        "rows": rows,
        "n_columns": n_cols,
        "seed": SEED,
        "files": {side: paths[side].name for side in SIDES},
        "drift_pair": ["reference", "current"],
        "nodrift_pair": ["reference", "nodrift"],
        "numeric": [s.name for s in specs if s.kind == "numeric"],
        "categorical": [s.name for s in specs if s.kind == "categorical"],
        "drifted": [s.name for s in specs if s.drifted],
        "columns": [asdict(s) | {"description": s.describe()} for s in specs],
    }
    paths["truth"].write_text(json.dumps(truth, indent=2) + "\n")
    if verbose:
        print(
            f"datagen: {size} ({rows} rows x {n_cols} columns, {len(truth['drifted'])} drifted)"
            f" written to {d} in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
    return paths


def load_truth(size: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(paths_for(size)["truth"].read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="all", help="comma-separated: 10k,200k,1m (default all)")
    ap.add_argument("--force", action="store_true", help="rewrite even if present")
    args = ap.parse_args(argv)
    for size in parse_sizes(args.sizes):
        generate(size, force=args.force)
        truth = load_truth(size)
        print(f"  {size}: drifted = {', '.join(truth['drifted'])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
