"""Compute, for one column, its drift statistics and data-quality facts from raw values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelsteward import stats
from modelsteward.data import (
    ColumnKind,
    category_counts,
    float_values,
    from_numpy,
    numeric_values,
)
from modelsteward.datadrift._methods import METHODS, Method
from modelsteward.datadrift._report import ColumnDrift, ColumnQuality
from modelsteward.errors import ParameterError

__all__ = [
    "ColumnRequest",
    "ColumnResult",
    "analyse_column",
    "categorical_default",
    "category_distribution",
    "choose_method",
    "constant",
    "measured",
    "skipped",
]

#: Bars in the distribution plot of a numeric column, and categories shown for a categorical one.
PLOT_BINS = 20
PLOT_CATEGORIES = 20
#: Below this expected count in a cell, a two-category comparison uses Fisher's exact test.
FISHER_MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class ColumnRequest:
    """What to compare for one column and how."""

    name: str
    kind: ColumnKind
    method: Method | None
    threshold: float | None
    bins: int
    sample_reference: np.ndarray | None = None
    sample_current: np.ndarray | None = None


@dataclass
class ColumnResult:
    """A column's statistics (not yet judged) and data-quality facts."""

    drift: ColumnDrift
    quality: ColumnQuality
    sample_reference: np.ndarray | None = None
    sample_current: np.ndarray | None = None


def choose_method(
    kind: ColumnKind, forced: Method | None, explicit: bool, column: str
) -> Method | None:
    """The method for a column: the requested one where it applies, else the kind's default.

    ``None`` means the caller picks by sample size (categorical columns).
    """
    if forced is not None:
        numeric = kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME)
        fits = forced.applies_to_numeric() if numeric else forced.applies_to_categories()
        if fits:
            return forced
        if explicit:
            what = "numeric" if numeric else "categorical"
            raise ParameterError(
                f"column_methods gives column {column!r} the method {forced.name!r}, which does "
                f"not apply to {what} columns."
            )
    if kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
        return METHODS["ks"]
    return None


def analyse_column(
    request: ColumnRequest, reference: pa.ChunkedArray, current: pa.ChunkedArray
) -> ColumnResult:
    """Statistics and data quality for one column present on both sides."""
    quality = ColumnQuality(
        name=request.name,
        reference_missing_share=_share(reference.null_count, len(reference)),
        current_missing_share=_share(current.null_count, len(current)),
    )
    mismatch = _type_mismatch(reference.type, current.type)
    if mismatch:
        quality.type_mismatch = mismatch
    if request.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
        cast = _as_numeric(current, request.kind)
        if cast is None:
            drift = skipped(request, f"type mismatch: {mismatch}; cannot compare as numeric")
            return ColumnResult(drift, quality)
        result = _numeric(request, reference, cast, quality)
    else:
        result = _categorical(request, reference, current, quality)
    if request.sample_reference is not None and request.sample_current is not None:
        result.sample_reference, result.sample_current = _samples(
            request, reference, current, result
        )
    return result


def _numeric(
    request: ColumnRequest,
    reference: pa.ChunkedArray,
    current: pa.ChunkedArray,
    quality: ColumnQuality,
) -> ColumnResult:
    ref_values = numeric_values(reference)
    cur_values = numeric_values(current)
    quality.non_finite = {"reference": ref_values.non_finite, "current": cur_values.non_finite}
    quality.reference_missing_share = _share(ref_values.nulls, len(reference))
    quality.current_missing_share = _share(cur_values.nulls, len(current))
    ref = _sorted(ref_values.values)
    cur = _sorted(cur_values.values)
    if ref.size == 0 or cur.size == 0:
        side = "reference" if ref.size == 0 else "current"
        return ColumnResult(skipped(request, f"no finite values in the {side}"), quality)
    quality.constant = constant(ref[0] == ref[-1], cur[0] == cur[-1])
    below = np.searchsorted(cur, ref[0], side="left")
    above = cur.size - np.searchsorted(cur, ref[-1], side="right")
    quality.out_of_range_share = float((below + above) / cur.size)
    method = request.method or METHODS["ks"]
    assert method.numeric is not None
    result = method.numeric(ref, cur, request.bins)
    effect = stats.wasserstein_normed(ref, cur, assume_sorted=True).statistic
    drift = measured(request, method, result, effect, "wasserstein_sd")
    drift.distribution = _numeric_distribution(ref, cur)
    return ColumnResult(drift, quality)


def _sorted(values: np.ndarray) -> np.ndarray:
    """Sorted values: in place when the array is our own copy (saves a 1M-value copy)."""
    if values.flags.writeable and values.flags.owndata:
        values.sort()
        return values
    return np.sort(values)


def _categorical(
    request: ColumnRequest,
    reference: pa.ChunkedArray,
    current: pa.ChunkedArray,
    quality: ColumnQuality,
) -> ColumnResult:
    ref = category_counts(reference)
    cur = category_counts(current)
    categories, ref_counts, cur_counts = _align(
        ref.categories, ref.counts, cur.categories, cur.counts
    )
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        side = "reference" if ref_counts.sum() == 0 else "current"
        return ColumnResult(skipped(request, f"no values in the {side}"), quality)
    unseen = ref_counts == 0
    quality.new_categories = [str(c) for c in categories[unseen]]
    quality.new_category_share = float(cur_counts[unseen].sum() / cur_counts.sum())
    quality.constant = constant(
        np.count_nonzero(ref_counts) == 1, np.count_nonzero(cur_counts) == 1
    )
    method = request.method or categorical_default(request.kind, ref_counts, cur_counts)
    assert method.counts is not None
    result = method.counts(ref_counts, cur_counts)
    effect = stats.total_variation(ref_counts, cur_counts).statistic
    drift = measured(request, method, result, effect, "total_variation")
    drift.distribution = category_distribution(categories, ref_counts, cur_counts)
    return ColumnResult(drift, quality)


def categorical_default(kind: ColumnKind, ref: np.ndarray, cur: np.ndarray) -> Method:
    """Chi-square; for two categories Fisher's exact test on tiny samples, else the z-test."""
    if np.count_nonzero((ref + cur) > 0) == 2:
        table = np.vstack([ref[(ref + cur) > 0], cur[(ref + cur) > 0]]).astype(np.float64)
        expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
        if expected.min() < FISHER_MIN_EXPECTED:
            return METHODS["fisher"]
        if kind == ColumnKind.BOOLEAN:
            return METHODS["ztest"]
    return METHODS["chisquare"]


def measured(
    request: ColumnRequest,
    method: Method,
    result: stats.TestResult,
    effect: float,
    effect_name: str,
) -> ColumnDrift:
    threshold = request.threshold if request.threshold is not None else method.default_threshold
    return ColumnDrift(
        name=request.name,
        kind=request.kind.value,
        method=method.name,
        score=float(result.statistic),
        p_value=None if result.p_value is None else float(result.p_value),
        threshold=float(threshold),
        drifted=False,
        effect_size=float(effect),
        effect_name=effect_name,
    )


def skipped(request: ColumnRequest, reason: str) -> ColumnDrift:
    method = request.method.name if request.method is not None else "none"
    threshold = request.method.default_threshold if request.method is not None else 0.0
    return ColumnDrift(
        name=request.name,
        kind=request.kind.value,
        method=method,
        score=None,
        p_value=None,
        threshold=request.threshold if request.threshold is not None else threshold,
        drifted=False,
        status="skipped",
        reason=reason,
    )


def _align(
    ref_categories: np.ndarray,
    ref_counts: np.ndarray,
    cur_categories: np.ndarray,
    cur_counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of both sides on the union of categories (sorted as text)."""
    union = np.unique(np.concatenate([ref_categories, cur_categories]).astype(str))
    ref_aligned = np.zeros(union.size, dtype=np.int64)
    cur_aligned = np.zeros(union.size, dtype=np.int64)
    ref_aligned[np.searchsorted(union, ref_categories.astype(str))] = ref_counts
    cur_aligned[np.searchsorted(union, cur_categories.astype(str))] = cur_counts
    return union.astype(object), ref_aligned, cur_aligned


def _numeric_distribution(ref: np.ndarray, cur: np.ndarray) -> dict[str, object]:
    """Shares of each side on common equal-width bins (tails folded into the end bins)."""
    lo = min(ref[int(0.001 * (ref.size - 1))], cur[int(0.001 * (cur.size - 1))])
    hi = max(ref[int(0.999 * (ref.size - 1))], cur[int(0.999 * (cur.size - 1))])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, PLOT_BINS + 1)

    def shares(values: np.ndarray) -> list[float]:
        cut = np.searchsorted(values, edges[1:-1], side="left")
        counts = np.diff(np.concatenate([[0], cut, [values.size]]))
        return [float(share) for share in counts / values.size]

    return {
        "type": "histogram",
        "edges": edges.tolist(),
        "reference": shares(ref),
        "current": shares(cur),
    }


def category_distribution(
    categories: np.ndarray, ref: np.ndarray, cur: np.ndarray
) -> dict[str, object]:
    ref_share = ref / ref.sum()
    cur_share = cur / cur.sum()
    order = np.argsort(-(ref_share + cur_share), kind="stable")
    top, rest = order[:PLOT_CATEGORIES], order[PLOT_CATEGORIES:]
    names = [str(c) for c in categories[top]]
    ref_out, cur_out = ref_share[top].tolist(), cur_share[top].tolist()
    if rest.size:
        names.append("(other)")
        ref_out.append(float(ref_share[rest].sum()))
        cur_out.append(float(cur_share[rest].sum()))
    return {"type": "categories", "categories": names, "reference": ref_out, "current": cur_out}


def _samples(
    request: ColumnRequest,
    reference: pa.ChunkedArray,
    current: pa.ChunkedArray,
    result: ColumnResult,
) -> tuple[np.ndarray, np.ndarray]:
    """The column's values at the sampled rows, as floats (category codes for categoricals)."""
    assert request.sample_reference is not None and request.sample_current is not None
    ref = reference.take(from_numpy(request.sample_reference))
    cur = current.take(from_numpy(request.sample_current))
    if request.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
        cast = _as_numeric(cur, request.kind)
        return _to_float(ref, request.kind), (
            _to_float(cast, request.kind) if cast is not None else np.full(len(cur), np.nan)
        )
    ref_text = pc.cast(ref, pa.string()) if not pa.types.is_dictionary(ref.type) else ref
    codes_of = pc.unique(pc.cast(ref_text, pa.string()))

    def codes(values: pa.ChunkedArray) -> np.ndarray:
        text = pc.cast(values, pa.string())
        index = pc.index_in(text, value_set=codes_of)
        return float_values(index)

    return codes(ref), codes(cur)


def _to_float(values: pa.ChunkedArray, kind: ColumnKind) -> np.ndarray:
    if pa.types.is_temporal(values.type):
        values = (
            pc.cast(values, pa.int64())
            if not pa.types.is_date(values.type)
            else (pc.cast(pc.cast(values, pa.date32()), pa.int32()))
        )
    array = float_values(values)
    array[~np.isfinite(array)] = np.nan
    return array


def _as_numeric(values: pa.ChunkedArray, kind: ColumnKind) -> pa.ChunkedArray | None:
    """The column as numbers, or None when its values are not numbers."""
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    type_ = values.type
    if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_boolean(type_):
        return values if not pa.types.is_boolean(type_) else pc.cast(values, pa.int8())
    if pa.types.is_decimal(type_):
        return pc.cast(values, pa.float64())
    if pa.types.is_temporal(type_):
        return values
    if pa.types.is_null(type_):
        return pa.chunked_array([pa.nulls(len(values), pa.float64())])
    try:
        return pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _family(type_: pa.DataType) -> str:
    if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "number"
    if pa.types.is_null(type_):
        return "null"
    if pa.types.is_dictionary(type_):
        return _family(type_.value_type)
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return "text"
    return str(type_)


def _type_mismatch(reference: pa.DataType, current: pa.DataType) -> str | None:
    ref_family, cur_family = _family(reference), _family(current)
    if "null" in (ref_family, cur_family) or ref_family == cur_family:
        return None
    return f"reference is {reference}, current is {current}"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def constant(reference: bool | np.bool_, current: bool | np.bool_) -> str | None:
    if reference and current:
        return "both"
    if reference:
        return "reference"
    return "current" if current else None
