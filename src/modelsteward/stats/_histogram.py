"""Quantile bin edges from a reference sample, and counts per bin.

Binning choice: the ``bins - 1`` interior edges sit at the reference quantiles
``1/bins, ..., (bins-1)/bins`` (``numpy.quantile``'s default linear
interpolation); equal quantiles (ties in the reference) collapse into one edge,
so a heavily tied reference yields fewer bins. The two outer bins are open,
``(-inf, e_1]`` and ``(e_last, +inf)``, and every inner bin is ``(e_i, e_i+1]``,
so current values outside the reference range still land in a bin and no value
is ever dropped.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError
from modelsteward.stats._validation import FloatArray, as_float_array, int_at_least, sample

__all__ = ["histogram_counts", "quantile_edges"]

IntArray = NDArray[np.int64]


def _sorted_quantiles(sorted_values: FloatArray, probs: FloatArray) -> FloatArray:
    """``np.quantile(sorted_values, probs)`` (linear) read off a sorted array in O(len(probs)).

    Mirrors numpy's own index and interpolation arithmetic so both paths give
    bit-identical edges.
    """
    n = sorted_values.size
    virtual = (n - 1) * probs
    below = np.floor(virtual)
    lower = below.astype(np.intp)
    upper = lower + 1
    at_end = virtual >= n - 1
    lower[at_end] = n - 1
    upper[at_end] = n - 1
    gamma = virtual - below
    low, high = sorted_values[lower], sorted_values[upper]
    step = high - low
    result: FloatArray = np.where(gamma >= 0.5, high - step * (1 - gamma), low + step * gamma)
    return result


def edges_of(ref: FloatArray, bins: int, *, assume_sorted: bool) -> FloatArray:
    """Interior edges for an already validated reference sample."""
    probs = np.arange(1, bins, dtype=np.float64) / bins
    quantiles = _sorted_quantiles(ref, probs) if assume_sorted else np.quantile(ref, probs)
    edges: FloatArray = np.unique(quantiles)
    return edges


def counts_of(values: FloatArray, edges: FloatArray, *, assume_sorted: bool) -> IntArray:
    """Counts per bin for validated values; O(len(edges) log n) when sorted."""
    if assume_sorted:
        at_or_below = np.searchsorted(values, edges, side="right")
        bounds = np.concatenate(([0], at_or_below, [values.size]))
        sorted_counts: IntArray = np.diff(bounds).astype(np.int64)
        return sorted_counts
    index = np.searchsorted(edges, values, side="left")
    counts: IntArray = np.bincount(index, minlength=edges.size + 1).astype(np.int64)
    return counts


def quantile_edges(
    reference: ArrayLike, bins: int = 10, *, assume_sorted: bool = False
) -> FloatArray:
    """Interior bin edges at the reference quantiles ``1/bins .. (bins-1)/bins``.

    Ties collapse edges (the result is strictly increasing and may hold fewer
    than ``bins - 1`` edges). The bins these edges define are
    ``(-inf, e_1], (e_1, e_2], ..., (e_last, +inf)``: open at both ends, so
    values outside the reference range still fall into the outer bins.

    >>> quantile_edges([1.0, 2.0, 3.0, 4.0, 5.0], bins=4).tolist()
    [2.0, 3.0, 4.0]
    >>> quantile_edges([1.0, 1.0, 1.0, 2.0], bins=4).tolist()
    [1.0, 1.25]
    """
    bins = int_at_least(bins, "bins", "quantile_edges", 2)
    ref = sample(reference, "reference", "quantile_edges", assume_sorted=assume_sorted)
    return edges_of(ref, bins, assume_sorted=assume_sorted)


def histogram_counts(
    values: ArrayLike, edges: ArrayLike, *, assume_sorted: bool = False
) -> IntArray:
    """Counts of ``values`` per bin of ``edges``: ``len(edges) + 1`` bins.

    Bin 0 is ``(-inf, edges[0]]``, bin ``i`` is ``(edges[i-1], edges[i]]`` and
    the last is ``(edges[-1], +inf)``, as made by :func:`quantile_edges`.
    Vectorised with ``searchsorted`` and ``bincount`` (O(n log bins)); with
    ``assume_sorted`` (``values`` sorted ascending) it searches the edges in the
    values instead, O(bins log n). ``edges`` must be strictly increasing and
    finite; it may be empty (one bin holding everything).

    >>> histogram_counts([0.5, 1.0, 1.5, 2.5, 9.0], [1.0, 2.0]).tolist()
    [2, 1, 2]
    """
    vals = sample(values, "values", "histogram_counts", assume_sorted=assume_sorted)
    cuts = as_float_array(edges, "edges", "histogram_counts")
    if not np.isfinite(cuts).all() or bool((cuts[1:] <= cuts[:-1]).any()):
        raise ParameterError(
            "The 'edges' parameter of histogram_counts must be finite and strictly "
            f"increasing. Got {cuts.tolist()!r} instead."
        )
    return counts_of(vals, cuts, assume_sorted=assume_sorted)
