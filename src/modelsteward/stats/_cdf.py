"""Kernels on two sorted samples: empirical-CDF gaps, the KS statistic, Wasserstein-1.

All take two sorted, finite float64 arrays and avoid quadratic work:

- :func:`merge` merges them with a stable sort of their concatenation (timsort
  finds the two sorted runs and merges them in linear time);
- :func:`wasserstein1` never merges: it integrates ``|Q_ref(t) - Q_cur(t)|``
  over the quantile levels, whose breakpoints ``i/n`` and ``j/m`` interleave in
  a way integer arithmetic gives directly, so it is a few linear passes;
- :func:`ks_statistic` evaluates the CDF gap exactly on a coarse grid (every
  ``block``-th value of each sample), bounds the gap between grid points by
  monotonicity, and evaluates exactly only inside the few intervals whose bound
  could beat the grid maximum; the result is bit-identical to a full merge.

Sums use ``np.einsum``/``np.sum`` rather than ``np.dot``: BLAS threads gain
nothing on one vector product and stall badly on a busy machine.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from modelsteward.stats._validation import FloatArray

IntArray = NDArray[np.intp]

# Below this many values in total the plain merge is as fast as the grid search.
_KS_GRID_MIN_SIZE = 20_000
_KS_BLOCK = 64


def merge(ref: FloatArray, cur: FloatArray) -> tuple[FloatArray, IntArray]:
    """Merged sorted values and, at each merged position, how many reference values precede it.

    ``ref_count[k]`` counts the reference values among ``values[: k + 1]``; the
    current count there is ``k + 1 - ref_count[k]``. At the last position of each
    run of equal values these are the right-continuous empirical CDF counts.
    """
    both = np.concatenate((ref, cur))
    order = np.argsort(both, kind="stable")
    ref_count: IntArray = np.cumsum(order < ref.size, dtype=np.intp)
    return both[order], ref_count


def cdf_gaps(ref: FloatArray, cur: FloatArray) -> tuple[FloatArray, FloatArray]:
    """|F_ref - F_cur| on each interval between consecutive merged values, and its width."""
    values, ref_count = merge(ref, cur)
    ref_count = ref_count[:-1]
    cur_count = np.arange(1, values.size) - ref_count
    gaps: FloatArray = np.abs(ref_count / ref.size - cur_count / cur.size)
    return gaps, np.diff(values)


def _side_integral(
    values: FloatArray, other: FloatArray, scale: int, other_scale: int, *, ties_first: bool
) -> float:
    """Sum over the breakpoints ``k * scale`` (k = 1..len(values)) of width times quantile gap.

    ``values`` step at ``k * scale`` and ``other`` at ``l * other_scale`` on the
    integer scale. The other quantile in effect just below ``k * scale`` is
    ``other[l]`` with ``l`` the number of its breakpoints strictly below (or,
    with ``ties_first`` false, at or below: the other side is listed first on a
    tie, so the width of this step is then zero). In-place arithmetic keeps the
    number of temporary arrays, and so the memory traffic, small.
    """
    at = np.arange(scale, (values.size + 1) * scale, scale, dtype=np.int64)
    before = at - 1 if ties_first else at.copy()
    np.floor_divide(before, other_scale, out=before)
    # On a tie at the very end ``before`` is ``other.size``; that step has width 0.
    gaps = other[np.minimum(before, other.size - 1)]
    np.subtract(values, gaps, out=gaps)
    np.abs(gaps, out=gaps)
    np.multiply(before, other_scale, out=before)
    np.subtract(at, before, out=at)  # distance back to the other side's last breakpoint
    np.minimum(at, scale, out=at)  # or to this side's previous one, whichever is closer
    return float(np.einsum("i,i->", at.astype(np.float64), gaps))


def wasserstein1(ref: FloatArray, cur: FloatArray) -> float:
    """Wasserstein-1 distance ``∫ |Q_ref(t) - Q_cur(t)| dt`` of two sorted samples.

    With ``n`` reference and ``m`` current values, the quantile functions step
    at ``t = i/n`` and ``t = j/m``; on the integer scale ``T = t * n * m`` these
    are ``i*m`` and ``j*n``. Each step contributes its width (the distance back
    to the previous breakpoint of either kind) times the absolute difference of
    the two quantiles there, which integer division locates without a merge.
    """
    n, m = ref.size, cur.size
    if n == m:
        return float(np.mean(np.abs(ref - cur)))
    total = _side_integral(ref, cur, m, n, ties_first=True)
    total += _side_integral(cur, ref, n, m, ties_first=False)
    return total / (float(n) * float(m))


def _gaps_at(ref: FloatArray, cur: FloatArray, points: FloatArray) -> FloatArray:
    """``|F_ref(x) - F_cur(x)|`` (right-continuous) at each ``x`` in ``points``."""
    ref_at = np.searchsorted(ref, points, side="right")
    cur_at = np.searchsorted(cur, points, side="right")
    gaps: FloatArray = np.abs(ref_at / ref.size - cur_at / cur.size)
    return gaps


def _ks_by_merge(ref: FloatArray, cur: FloatArray) -> float:
    values, ref_count = merge(ref, cur)
    ends = np.empty(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=ends[:-1])
    ends[-1] = True
    (end_positions,) = np.nonzero(ends)
    ref_at = ref_count[end_positions]
    diffs = ref_at / ref.size - (end_positions + 1 - ref_at) / cur.size
    return float(np.abs(diffs).max())


def _ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """Concatenation of ``arange(start, stop)`` for each pair, vectorised."""
    lengths = stops - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    if starts.size == 0:
        return np.empty(0, dtype=np.intp)
    offsets = np.cumsum(lengths) - lengths
    index: IntArray = np.arange(int(lengths.sum()), dtype=np.intp) + np.repeat(
        starts - offsets, lengths
    )
    return index


def ks_statistic(ref: FloatArray, cur: FloatArray, *, block: int = _KS_BLOCK) -> float:
    """``sup_x |F_ref(x) - F_cur(x)|`` of two sorted samples.

    The supremum is attained at a data value. Grid points (every ``block``-th
    value of each sample) are evaluated exactly; between consecutive grid
    points ``g < h`` both CDFs are monotone, so the gap there is at most
    ``max(F_ref(h) - F_cur(g), F_cur(h) - F_ref(g))``. Only the data values in
    intervals whose bound exceeds the best grid gap are evaluated, with the
    same count arithmetic as a full merge, so the result is identical to it.
    """
    n, m = ref.size, cur.size
    if n + m < _KS_GRID_MIN_SIZE and block == _KS_BLOCK:
        return _ks_by_merge(ref, cur)
    grid = np.sort(np.concatenate((ref[block - 1 :: block], cur[block - 1 :: block])))
    ref_at = np.concatenate(([0], np.searchsorted(ref, grid, side="right"), [n]))
    cur_at = np.concatenate(([0], np.searchsorted(cur, grid, side="right"), [m]))
    best = float(np.abs(ref_at / n - cur_at / m).max())
    # Interval k runs from boundary k to boundary k + 1 (boundary 0 is -inf, the last +inf).
    bound = np.maximum(
        ref_at[1:] / n - cur_at[:-1] / m,
        cur_at[1:] / m - ref_at[:-1] / n,
    )
    (open_intervals,) = np.nonzero(bound > best)
    if open_intervals.size == 0:
        return best
    ref_index = _ranges(ref_at[open_intervals], ref_at[open_intervals + 1])
    cur_index = _ranges(cur_at[open_intervals], cur_at[open_intervals + 1])
    if 4 * (ref_index.size + cur_index.size) > n + m:
        return max(best, _ks_by_merge(ref, cur))
    points = np.concatenate((ref[ref_index], cur[cur_index]))
    return max(best, float(_gaps_at(ref, cur, points).max()))
