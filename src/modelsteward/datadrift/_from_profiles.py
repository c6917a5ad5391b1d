"""Column drift from two profiles: binned methods exactly, KS and Wasserstein from sketches.

A profile keeps no raw values, so:

- binned methods (``psi``, ``jensenshannon``, ``hellinger``, and every categorical
  method) run on the histograms or category counts; exact when the current profile
  was made against the reference (``profile_table(current, reference=...)``, which is
  what :func:`drift` does for a table compared with a profile), otherwise the current's
  bin counts are estimated from its sketch;
- ``ks`` uses the statistic of :func:`modelsteward.profiles.approx_ks`, within its
  stated bound of the exact one (0.027 at k=200 once both sketches compact), and the
  asymptotic p-value of that statistic; ``wasserstein`` (and the effect size of the
  default rule) uses :func:`modelsteward.profiles.approx_wasserstein`;
- ``anderson``, ``cramer_von_mises`` and ``energy`` need raw values and are skipped.

Columns flagged ``approximate`` carry the error bound in their rule.
"""

from __future__ import annotations

import math

import numpy as np

from modelsteward import stats
from modelsteward.data import ColumnKind
from modelsteward.datadrift._columns import (
    ColumnRequest,
    ColumnResult,
    categorical_default,
    category_distribution,
    constant,
    measured,
    skipped,
)
from modelsteward.datadrift._methods import METHODS
from modelsteward.datadrift._report import ColumnQuality
from modelsteward.profiles import ColumnProfile, approx_ks, approx_wasserstein, binned_counts

__all__ = ["analyse_profiles"]


def analyse_profiles(
    request: ColumnRequest, reference: ColumnProfile, current: ColumnProfile
) -> ColumnResult:
    """Statistics and data quality for one column from its two profiles."""
    quality = ColumnQuality(
        name=request.name,
        reference_missing_share=reference.nulls / reference.count if reference.count else None,
        current_missing_share=current.nulls / current.count if current.count else None,
        non_finite={"reference": reference.non_finite, "current": current.non_finite},
    )
    if current.kind not in (reference.kind, ColumnKind.EMPTY.value):
        quality.type_mismatch = f"reference is {reference.kind}, current is {current.kind}"
        return ColumnResult(skipped(request, f"type mismatch: {quality.type_mismatch}"), quality)
    if request.kind == ColumnKind.NUMERIC:
        return _numeric(request, reference, current, quality)
    return _categorical(request, reference, current, quality)


def _values(profile: ColumnProfile) -> int:
    return profile.count - profile.nulls - profile.non_finite


def _numeric(
    request: ColumnRequest,
    reference: ColumnProfile,
    current: ColumnProfile,
    quality: ColumnQuality,
) -> ColumnResult:
    n_ref, n_cur = _values(reference), _values(current)
    if n_ref == 0 or n_cur == 0:
        side = "reference" if n_ref == 0 else "current"
        return ColumnResult(skipped(request, f"no finite values in the {side}"), quality)
    quality.constant = constant(reference.min == reference.max, current.min == current.max)
    assert current.sketch is not None
    below = float(current.sketch.cdf(np.array([reference.min]))[0])
    above = 1.0 - float(current.sketch.cdf(np.array([reference.max]))[0])
    quality.out_of_range_share = max(below, 0.0) + max(above, 0.0)
    method = request.method or METHODS["ks"]
    if method.needs_raw:
        reason = f"{method.name} needs raw values; profiles keep sketches and histograms"
        return ColumnResult(skipped(request, reason), quality)
    wasserstein, wasserstein_error = approx_wasserstein(reference, current)
    # approx_wasserstein norms by the population sd; the table path uses ddof=1.
    effect = wasserstein * math.sqrt((n_ref - 1) / n_ref) if n_ref > 1 else wasserstein
    error: float
    if method.name == "ks":
        statistic, error = approx_ks(reference, current)
        result = stats.TestResult(statistic, stats.ks_p_value(statistic, n_ref, n_cur))
    elif method.name == "wasserstein":
        result, error = stats.TestResult(effect, None), wasserstein_error
    else:
        counts = binned_counts(reference, current)
        assert method.counts is not None
        result = method.counts(counts.reference, counts.current)
        error = max(counts.reference_error, counts.current_error)
    drift = measured(request, method, result, effect, "wasserstein_sd")
    drift.approximate = error > 0
    drift.score_error = error if error > 0 else None
    drift.distribution = _histogram_distribution(reference, current)
    return ColumnResult(drift, quality)


def _categorical(
    request: ColumnRequest,
    reference: ColumnProfile,
    current: ColumnProfile,
    quality: ColumnQuality,
) -> ColumnResult:
    counts = binned_counts(reference, current)
    ref_counts, cur_counts = counts.reference, counts.current
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        side = "reference" if ref_counts.sum() == 0 else "current"
        return ColumnResult(skipped(request, f"no values in the {side}"), quality)
    names = np.asarray(counts.categories or (), dtype=object)
    unseen = ref_counts == 0
    if counts.has_other:
        unseen[-1] = False
    quality.new_categories = [str(c) for c in names[unseen]]
    quality.new_category_share = float(cur_counts[unseen].sum() / cur_counts.sum())
    quality.constant = constant(
        np.count_nonzero(ref_counts) == 1, np.count_nonzero(cur_counts) == 1
    )
    method = request.method or categorical_default(request.kind, ref_counts, cur_counts)
    assert method.counts is not None
    result = method.counts(ref_counts, cur_counts)
    effect = stats.total_variation(ref_counts, cur_counts).statistic
    drift = measured(request, method, result, effect, "total_variation")
    error = max(counts.reference_error, counts.current_error)
    drift.approximate = error > 0
    drift.score_error = None
    drift.distribution = category_distribution(names, ref_counts, cur_counts)
    return ColumnResult(drift, quality)


def _histogram_distribution(
    reference: ColumnProfile, current: ColumnProfile
) -> dict[str, object] | None:
    counts = binned_counts(reference, current)
    if counts.edges is None:
        return None
    lo = min(reference.min, current.min)
    hi = max(reference.max, current.max)
    edges = [lo, *counts.edges.tolist(), hi]
    ref_total = max(int(counts.reference.sum()), 1)
    cur_total = max(int(counts.current.sum()), 1)
    return {
        "type": "histogram",
        "edges": edges,
        "reference": [float(c) / ref_total for c in counts.reference],
        "current": [float(c) / cur_total for c in counts.current],
    }
