"""The front door: :func:`drift` compares a reference table with a current one."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from modelsteward.data import ColumnKind, TableSource, infer_kind, open_table, parse_schema
from modelsteward.datadrift._columns import (
    ColumnRequest,
    ColumnResult,
    analyse_column,
    choose_method,
)
from modelsteward.datadrift._methods import get_method
from modelsteward.datadrift._multivariate import multivariate_drift
from modelsteward.datadrift._report import ColumnDrift, ColumnQuality, DriftReport
from modelsteward.datadrift._rule import Correction, DecisionRule
from modelsteward.errors import InputError, ParameterError

__all__ = ["drift"]

Progress = Callable[[int, int], None]

#: Kinds compared by default; the others are skipped with a reason.
_SKIP_REASONS = {
    ColumnKind.TEXT: "free text: compare it as categorical with schema={{'{name}': 'categorical'}}",
    ColumnKind.ID: "identifier-like: nearly every value is distinct, so its distribution "
    "carries no signal",
    ColumnKind.DATETIME: "datetime: time moves on by nature; compare it as numeric with "
    "schema={{'{name}': 'numeric'}} if that is meant",
    ColumnKind.EMPTY: "no values in the reference",
}
#: Fewer rows than this on a side earns a warning about statistical power.
FEW_ROWS = 30


def drift(
    reference: Any,
    current: Any,
    *,
    method: str | None = None,
    column_methods: Mapping[str, str] | None = None,
    threshold: float | None = None,
    column_thresholds: Mapping[str, float] | None = None,
    correction: Correction = "holm",
    numeric_floor: float = 0.02,
    categorical_floor: float = 0.01,
    drift_share_threshold: float = 0.5,
    schema: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    bins: int = 10,
    multivariate: bool = True,
    sample_size: int = 2500,
    seed: int = 0,
    progress: Progress | None = None,
    workers: int | None = None,
) -> DriftReport:
    """Compare the distribution of every column of ``current`` with ``reference``.

    Inputs are pandas or polars DataFrames, pyarrow Tables, or paths to ``.csv``,
    ``.parquet`` and ``.jsonl`` files (Parquet is read one column at a time). By default
    numeric columns are compared with the two-sample Kolmogorov–Smirnov test and
    categorical ones with chi-square (Fisher's exact test or the z-test for two
    categories), judged by the *significant and material* rule of
    :mod:`modelsteward.datadrift._rule`. ``method`` forces one method wherever it
    applies, ``column_methods`` sets it per column; ``threshold`` and
    ``column_thresholds`` override the methods' thresholds (the significance level for
    tests, the cut-off for distances).

    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> ref = pa.table({"x": rng.normal(0, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
    >>> cur = pa.table({"x": rng.normal(0.3, 1, 5000), "c": rng.choice(["a", "b"], 5000)})
    >>> report = drift(ref, cur, multivariate=False)
    >>> [(c.name, c.method, c.drifted) for c in report.columns]
    [('x', 'ks', True), ('c', 'chisquare', False)]
    >>> report.drift_share
    0.5
    """
    rule = DecisionRule(
        correction=correction,
        numeric_floor=numeric_floor,
        categorical_floor=categorical_floor,
        drift_share_threshold=drift_share_threshold,
    )
    _check_int("bins", bins, 2)
    _check_int("sample_size", sample_size, 100)
    forced = get_method(method) if method is not None else None
    per_column = {
        c: get_method(m, where=f"column {c!r}") for c, m in (column_methods or {}).items()
    }
    kinds = parse_schema(schema)
    ref_source = open_table(reference, name=_label(reference, "reference"))
    cur_source = open_table(current, name=_label(current, "current"))
    _require_rows(ref_source)
    _require_rows(cur_source)
    names = _column_names(ref_source, cur_source, columns)
    for option, mapping in (
        ("column_methods", per_column),
        ("column_thresholds", column_thresholds),
    ):
        unknown = sorted(set(mapping or {}) - set(names))
        if unknown:
            raise ParameterError(f"{option} names columns that are not compared: {unknown}.")

    rng = np.random.default_rng(seed)
    sample_ref = _sample_rows(rng, ref_source.num_rows, sample_size) if multivariate else None
    sample_cur = _sample_rows(rng, cur_source.num_rows, sample_size) if multivariate else None

    def task(name: str) -> ColumnResult:
        return _compare_column(
            name,
            ref_source,
            cur_source,
            kind=kinds.get(name),
            method=per_column.get(name, forced),
            explicit=name in per_column,
            threshold=(column_thresholds or {}).get(name, threshold),
            bins=bins,
            samples=(sample_ref, sample_cur),
        )

    results = _run(task, names, progress, workers)
    report = _judge(results, rule, ref_source, cur_source)
    if multivariate:
        report.multivariate = multivariate_drift(
            [(r.drift.name, r.drift.kind, r.sample_reference, r.sample_current) for r in results],
            seed=seed,
        )
    return report


def _compare_column(
    name: str,
    ref_source: TableSource,
    cur_source: TableSource,
    *,
    kind: ColumnKind | None,
    method: Any,
    explicit: bool,
    threshold: float | None,
    bins: int,
    samples: tuple[np.ndarray | None, np.ndarray | None],
) -> ColumnResult:
    in_ref = name in ref_source.schema.names
    in_cur = name in cur_source.schema.names
    if not (in_ref and in_cur):
        side = "reference" if in_ref else "current"
        quality = ColumnQuality(name=name, only_in=side)
        drift = ColumnDrift(
            name, "unknown", "none", None, None, 0.0, False, "skipped", f"only in the {side}"
        )
        return ColumnResult(drift, quality)
    reference = ref_source.column(name)
    current = cur_source.column(name)
    kind = kind or infer_kind(reference)
    chosen = choose_method(kind, method, explicit, name) if kind not in _SKIP_REASONS else None
    request = ColumnRequest(
        name=name,
        kind=kind,
        method=chosen,
        method_is_explicit=explicit,
        threshold=threshold,
        bins=bins,
        sample_reference=samples[0],
        sample_current=samples[1],
    )
    if kind in _SKIP_REASONS:
        quality = ColumnQuality(
            name=name,
            reference_missing_share=reference.null_count / len(reference),
            current_missing_share=current.null_count / len(current),
            coerced=ref_source.coerced.get(name) or cur_source.coerced.get(name),
        )
        reason = _SKIP_REASONS[kind].format(name=name)
        drift = ColumnDrift(name, kind.value, "none", None, None, 0.0, False, "skipped", reason)
        return ColumnResult(drift, quality)
    result = analyse_column(request, reference, current)
    result.quality.coerced = ref_source.coerced.get(name) or cur_source.coerced.get(name)
    return result


def _judge(
    results: list[ColumnResult],
    rule: DecisionRule,
    ref_source: TableSource,
    cur_source: TableSource,
) -> DriftReport:
    tested = [r.drift for r in results if r.drift.status == "ok" and r.drift.p_value is not None]
    adjusted = rule.adjust([c.p_value for c in tested if c.p_value is not None])
    for column, p_adjusted in zip(tested, adjusted, strict=True):
        column.p_value_adjusted = float(p_adjusted)
    family = len(tested)
    for result in results:
        column = result.drift
        if column.status != "ok":
            continue
        if column.p_value is not None:
            floor = rule.floor_for(column.kind if column.kind == "numeric" else "categorical")
            column.effect_floor = floor
            significant = (column.p_value_adjusted or 0.0) < column.threshold
            material = (column.effect_size or 0.0) >= floor
            column.drifted = bool(significant and material)
            which = {"holm": "Holm-adjusted", "bh": "BH-adjusted", "none": "unadjusted"}
            column.rule = (
                f"{column.method}: drift when the {which[rule.correction]} p-value "
                f"(family of {family}) < {column.threshold:g} and {column.effect_name} "
                f">= {floor:g}"
            )
        else:
            column.drifted = bool((column.score or 0.0) >= column.threshold)
            column.rule = f"{column.method}: drift when the score >= {column.threshold:g}"
    warnings = []
    for source in (ref_source, cur_source):
        if source.num_rows < FEW_ROWS:
            warnings.append(
                f"{source.name} has only {source.num_rows} rows: tests have little power "
                "on so few rows"
            )
    for result in results:
        quality = result.quality
        if quality.type_mismatch:
            warnings.append(f"column {quality.name!r}: type mismatch, {quality.type_mismatch}")
        if quality.coerced:
            warnings.append(f"column {quality.name!r}: {quality.coerced}")
    return DriftReport(
        reference_rows=ref_source.num_rows,
        current_rows=cur_source.num_rows,
        columns=[r.drift for r in results],
        drift_share_threshold=rule.drift_share_threshold,
        decision_rule={
            "name": "significant-and-material",
            "description": rule.describe(),
            "correction": rule.correction,
            "numeric_floor": rule.numeric_floor,
            "categorical_floor": rule.categorical_floor,
        },
        data_quality=[r.quality for r in results],
        warnings=warnings,
        sources={"reference": ref_source.name, "current": cur_source.name},
    )


def _run(
    task: Callable[[str], ColumnResult],
    names: list[str],
    progress: Progress | None,
    workers: int | None,
) -> list[ColumnResult]:
    """Compare columns on a thread pool (numpy and Arrow release the GIL)."""
    count = workers or min(4, os.cpu_count() or 1)
    results: list[ColumnResult] = []
    if progress is not None:
        progress(0, len(names))
    with ThreadPoolExecutor(max_workers=count) as pool:
        for done, result in enumerate(pool.map(task, names), start=1):
            results.append(result)
            if progress is not None:
                progress(done, len(names))
    return results


def _column_names(
    ref_source: TableSource, cur_source: TableSource, columns: Sequence[str] | None
) -> list[str]:
    ref_names = ref_source.column_names
    cur_names = cur_source.column_names
    if columns is not None:
        missing = [c for c in columns if c not in ref_names and c not in cur_names]
        if missing:
            raise ParameterError(
                f"columns names {missing}, which neither {ref_source.name} nor "
                f"{cur_source.name} has."
            )
        return list(columns)
    if not set(ref_names) & set(cur_names):
        raise InputError(
            f"{ref_source.name} and {cur_source.name} have no column in common "
            f"(reference: {ref_names[:5]}..., current: {cur_names[:5]}...)"
        )
    return ref_names + [c for c in cur_names if c not in set(ref_names)]


def _require_rows(source: TableSource) -> None:
    if source.num_rows == 0:
        raise InputError(f"{source.name}: the table has no rows (a header alone is not data)")


def _sample_rows(rng: np.random.Generator, rows: int, size: int) -> np.ndarray:
    if rows <= size:
        return np.arange(rows)
    return np.sort(rng.choice(rows, size=size, replace=False))


def _label(obj: Any, default: str) -> str:
    return str(obj) if isinstance(obj, (str, os.PathLike)) else default


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(
            f"The {name!r} parameter of drift must be an int >= {minimum}. Got {value!r} instead."
        )
