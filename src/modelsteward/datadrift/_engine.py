"""The front door: :func:`drift` compares a reference table with a current one."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from modelsteward.data import ColumnKind, TableSource, infer_kind, open_table, parse_schema
from modelsteward.datadrift._columns import (
    ColumnRequest,
    ColumnResult,
    analyse_column,
    choose_method,
)
from modelsteward.datadrift._from_profiles import analyse_profiles
from modelsteward.datadrift._methods import Method, get_method
from modelsteward.datadrift._multivariate import multivariate_drift
from modelsteward.datadrift._report import ColumnDrift, ColumnQuality, DriftReport
from modelsteward.datadrift._rule import Correction, DecisionRule
from modelsteward.datadrift._warmup import (
    MULTIVARIATE,
    SPECIAL,
    STATS,
    STATS_ROWS,
    warm_imports,
)
from modelsteward.errors import InputError, ParameterError
from modelsteward.profiles import TableProfile, profile_table

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
    domain_classifier: bool = True,
    sample_size: int = 2500,
    seed: int = 0,
    progress: Progress | None = None,
    workers: int | None = None,
) -> DriftReport:
    """Compare the distribution of every column of ``current`` with ``reference``.

    Inputs are pandas or polars DataFrames, pyarrow Tables, or paths to ``.csv``,
    ``.parquet`` and ``.jsonl`` files (Parquet is read one column at a time), or
    profiles (:class:`~modelsteward.profiles.TableProfile` or a ``.json`` file written by
    ``steward profile``); a table compared with a profile is profiled against it first
    (see :mod:`modelsteward.datadrift._from_profiles` for what is exact). By default
    numeric columns are compared with the two-sample Kolmogorov–Smirnov test and
    categorical ones with chi-square (Fisher's exact test or the z-test for two
    categories), judged by the *significant and material* rule of
    :mod:`modelsteward.datadrift._rule`. ``method`` forces one method wherever it
    applies, ``column_methods`` sets it per column; ``threshold`` and
    ``column_thresholds`` override the methods' thresholds (the significance level for
    tests, the cut-off for distances). ``multivariate`` adds both multivariate views of
    :mod:`modelsteward.datadrift._multivariate` on a ``sample_size``-row sample of each
    side; ``domain_classifier=False`` keeps the PCA reconstruction view only, which
    spares importing scikit-learn and fitting (about 2 s of CPU on a 1M x 50 run).

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
    thresholds = dict(column_thresholds or {})
    ref_profile, cur_profile = _as_profile(reference), _as_profile(current)
    if ref_profile is not None or cur_profile is not None:
        if ref_profile is None:
            ref_profile = profile_table(reference, schema=kinds)
        if cur_profile is None:
            cur_profile = profile_table(current, reference=ref_profile, schema=kinds)
        sides = [
            (_label(reference, "reference"), ref_profile.rows),
            (_label(current, "current"), cur_profile.rows),
        ]
        for name, rows in sides:
            _require_rows(name, rows)
        names = _column_names(ref_profile.column_names, cur_profile.column_names, columns, sides)
        _check_options(names, per_column, thresholds)

        def profile_task(name: str) -> ColumnResult:
            return _compare_profiles(
                name,
                ref_profile,
                cur_profile,
                method=per_column.get(name, forced),
                explicit=name in per_column,
                threshold=thresholds.get(name, threshold),
                bins=bins,
            )

        report = _judge(_run(profile_task, names, progress, workers), rule, sides)
        if multivariate:
            report.multivariate = _profiles_have_no_rows()
        return report

    warm_imports(*SPECIAL, *(MULTIVARIATE if multivariate and domain_classifier else ()))
    ref_source = open_table(reference, name=_label(reference, "reference"))
    cur_source = open_table(current, name=_label(current, "current"))
    sides = [(ref_source.name, ref_source.num_rows), (cur_source.name, cur_source.num_rows)]
    if forced or per_column or min(ref_source.num_rows, cur_source.num_rows) < STATS_ROWS:
        warm_imports(*STATS)
    for name, rows in sides:
        _require_rows(name, rows)
    names = _column_names(ref_source.column_names, cur_source.column_names, columns, sides)
    _check_options(names, per_column, thresholds)

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
            threshold=thresholds.get(name, threshold),
            bins=bins,
            samples=(sample_ref, sample_cur),
        )

    results = _run(task, names, progress, workers)
    report = _judge(results, rule, sides)
    if multivariate:
        report.multivariate = multivariate_drift(
            [(r.drift.name, r.drift.kind, r.sample_reference, r.sample_current) for r in results],
            seed=seed,
            domain_classifier=domain_classifier,
        )
    return report


def _compare_column(
    name: str,
    ref_source: TableSource,
    cur_source: TableSource,
    *,
    kind: ColumnKind | None,
    method: Method | None,
    explicit: bool,
    threshold: float | None,
    bins: int,
    samples: tuple[np.ndarray | None, np.ndarray | None],
) -> ColumnResult:
    if name not in ref_source.schema.names or name not in cur_source.schema.names:
        return _one_side_only(name, in_reference=name in ref_source.schema.names)
    reference = ref_source.column(name, dictionary=True)
    current = cur_source.column(name, dictionary=True)
    kind = kind or infer_kind(reference)
    coerced = ref_source.coerced.get(name) or cur_source.coerced.get(name)
    if kind in _SKIP_REASONS:
        quality = ColumnQuality(
            name=name,
            reference_missing_share=reference.null_count / len(reference),
            current_missing_share=current.null_count / len(current),
            coerced=coerced,
        )
        return ColumnResult(_skipped_kind(name, kind), quality)
    request = ColumnRequest(
        name=name,
        kind=kind,
        method=choose_method(kind, method, explicit, name),
        threshold=threshold,
        bins=bins,
        sample_reference=samples[0],
        sample_current=samples[1],
    )
    result = analyse_column(request, reference, current)
    result.quality.coerced = coerced
    return result


def _compare_profiles(
    name: str,
    ref_profile: TableProfile,
    cur_profile: TableProfile,
    *,
    method: Method | None,
    explicit: bool,
    threshold: float | None,
    bins: int,
) -> ColumnResult:
    if name not in ref_profile.column_names or name not in cur_profile.column_names:
        return _one_side_only(name, in_reference=name in ref_profile.column_names)
    reference, current = ref_profile[name], cur_profile[name]
    kind = ColumnKind(reference.kind)
    coerced = ref_profile.coerced.get(name) or cur_profile.coerced.get(name)
    if kind in _SKIP_REASONS:
        quality = ColumnQuality(
            name=name,
            reference_missing_share=reference.nulls / reference.count if reference.count else None,
            current_missing_share=current.nulls / current.count if current.count else None,
            coerced=coerced,
        )
        return ColumnResult(_skipped_kind(name, kind), quality)
    request = ColumnRequest(
        name=name,
        kind=kind,
        method=choose_method(kind, method, explicit, name),
        threshold=threshold,
        bins=bins,
    )
    result = analyse_profiles(request, reference, current)
    result.quality.coerced = coerced
    return result


def _one_side_only(name: str, *, in_reference: bool) -> ColumnResult:
    side = "reference" if in_reference else "current"
    reason = f"only in the {side}"
    drift = ColumnDrift(name, "unknown", "none", None, None, 0.0, False, "skipped", reason)
    return ColumnResult(drift, ColumnQuality(name=name, only_in=side))


def _skipped_kind(name: str, kind: ColumnKind) -> ColumnDrift:
    reason = _SKIP_REASONS[kind].format(name=name)
    return ColumnDrift(name, kind.value, "none", None, None, 0.0, False, "skipped", reason)


def _profiles_have_no_rows() -> dict[str, Any]:
    reason = "profiles keep per-column summaries; multivariate drift needs rows of both tables"
    return {
        view: {"status": "skipped", "reason": reason, "drifted": None}
        for view in ("domain_classifier", "pca_reconstruction")
    }


def _judge(
    results: list[ColumnResult], rule: DecisionRule, sides: list[tuple[str, int]]
) -> DriftReport:
    tested = [r.drift for r in results if r.drift.status == "ok" and r.drift.p_value is not None]
    adjusted = rule.adjust([c.p_value for c in tested if c.p_value is not None])
    for column, p_adjusted in zip(tested, adjusted, strict=True):
        column.p_value_adjusted = float(p_adjusted)
    family = len(tested)
    which = {"holm": "Holm-adjusted", "bh": "BH-adjusted", "none": "unadjusted"}[rule.correction]
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
            column.rule = (
                f"{column.method}: drift when the {which} p-value (family of {family}) "
                f"< {column.threshold:g} and {column.effect_name} >= {floor:g}"
            )
        else:
            column.drifted = bool((column.score or 0.0) >= column.threshold)
            column.rule = f"{column.method}: drift when the score >= {column.threshold:g}"
        if column.score_error is not None:
            column.rule += f" (score from sketches, within ±{column.score_error:.3g})"
    warnings = [
        f"{name} has only {rows} rows: tests have little power on so few rows"
        for name, rows in sides
        if rows < FEW_ROWS
    ]
    for result in results:
        quality = result.quality
        if quality.type_mismatch:
            warnings.append(f"column {quality.name!r}: type mismatch, {quality.type_mismatch}")
        if quality.coerced:
            warnings.append(f"column {quality.name!r}: {quality.coerced}")
    return DriftReport(
        reference_rows=sides[0][1],
        current_rows=sides[1][1],
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
        sources={"reference": sides[0][0], "current": sides[1][0]},
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
    ref_names: list[str],
    cur_names: list[str],
    columns: Sequence[str] | None,
    sides: list[tuple[str, int]],
) -> list[str]:
    if columns is not None:
        missing = [c for c in columns if c not in ref_names and c not in cur_names]
        if missing:
            raise ParameterError(
                f"columns names {missing}, which neither {sides[0][0]} nor {sides[1][0]} has."
            )
        return list(columns)
    if not set(ref_names) & set(cur_names):
        raise InputError(
            f"{sides[0][0]} and {sides[1][0]} have no column in common "
            f"(reference: {ref_names[:5]}..., current: {cur_names[:5]}...)"
        )
    seen = set(ref_names)
    return ref_names + [c for c in cur_names if c not in seen]


def _check_options(
    names: list[str], per_column: Mapping[str, Method], thresholds: Mapping[str, float]
) -> None:
    for option, mapping in (("column_methods", per_column), ("column_thresholds", thresholds)):
        unknown = sorted(set(mapping) - set(names))
        if unknown:
            raise ParameterError(f"{option} names columns that are not compared: {unknown}.")


def _require_rows(name: str, rows: int) -> None:
    if rows == 0:
        raise InputError(f"{name}: the table has no rows (a header alone is not data)")


def _as_profile(obj: Any) -> TableProfile | None:
    """A profile given as an object or as a ``.json`` path; None for tables."""
    if isinstance(obj, TableProfile):
        return obj
    if isinstance(obj, (str, os.PathLike)) and Path(obj).suffix.lower() == ".json":
        return TableProfile.load(Path(obj))
    return None


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
