"""KLL quantile sketch over float64 (Karnin, Lang and Liberty, 2016).

Levels of items: an item at level ``h`` stands for ``2**h`` input values. When the sketch
holds more items than its capacity, the lowest level that is at or over its own capacity
is *compacted*: sorted, and every other item (offset 0 or 1 by a coin flip) moves one
level up. Level capacities follow Apache DataSketches (``k`` for the top level, shrinking
by 2/3 per level below, never under 8), so the error figures of DataSketches apply.

A whole level is compacted with numpy at once, so a batch of a million values costs a few
sorts, not a million Python steps. Compacting a level of any length moves the rank of any
query point by at most the weight of one item, so feeding big batches only lowers the
number of compactions (and the error) compared with one value at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError

__all__ = ["KLLSketch", "normalized_rank_error", "quantile_edges"]

_MIN_K = 8
_MAX_K = 65_535
_MIN_WIDTH = 8
_DECAY = 2.0 / 3.0
_MAX_LEVELS = 61
_MASK = (1 << 64) - 1

FloatArray = NDArray[np.float64]


def normalized_rank_error(k: int, *, pmf: bool = False) -> float:
    """The normalized rank error of a KLL sketch with parameter ``k``, at 99% confidence.

    Apache DataSketches' fit to the 99th percentile of the *maximum* rank error over all
    queries in thousands of trials: ``2.296 / k**0.9723`` for rank, CDF and quantile
    queries ("single-sided") and ``2.446 / k**0.9433`` for the mass between two points
    (``pmf=True``, "double-sided").

    >>> round(normalized_rank_error(200), 4), round(normalized_rank_error(200, pmf=True), 4)
    (0.0133, 0.0165)
    """
    return float(2.446 / k**0.9433 if pmf else 2.296 / k**0.9723)


def _level_capacity(k: int, num_levels: int, level: int) -> int:
    depth = num_levels - level - 1
    return max(_MIN_WIDTH, int(k * _DECAY**depth + 0.5))


def _coin(seed: int, counter: int, salt: int) -> int:
    """A deterministic fair bit from (seed, compaction number, data): splitmix64."""
    z = (seed * 0x9E3779B97F4A7C15 + counter * 0xBF58476D1CE4E5B9 + salt + 1) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) >> 63


class KLLSketch:
    """Mergeable quantile sketch of finite float64 values.

    Parameters
    ----------
    k
        Accuracy parameter (8 to 65535). The sketch keeps about ``3 k`` items
        plus 8 per level; with the default 200 that is under 700 numbers whatever ``n``.
    seed
        Seeds the coin flips of the compactions; the same data in the same batches
        with the same seed gives the same sketch.

    The sketch is exact (it keeps every value) until ``n`` exceeds ``k``. After that,
    with probability 99%, every rank query (``cdf``) is within ``rank_error * n`` of
    the true rank, and every ``quantiles`` answer has a true normalized rank within
    ``rank_error`` of the asked one; see :func:`normalized_rank_error` (1.33% for k=200).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> sketch = KLLSketch(k=200, seed=0).update(rng.normal(size=100_000))
    >>> sketch.n, sketch.is_exact, sketch.num_retained < 700
    (100000, False, True)
    >>> q = sketch.quantiles([0.5, 0.975])
    >>> bool(abs(q[0]) < 0.05), bool(abs(q[1] - 1.96) < 0.1)
    (True, True)
    >>> part = KLLSketch(seed=0).update(np.arange(10.0))
    >>> part.merge(KLLSketch(seed=0).update(np.arange(10.0, 20.0))).cdf([4.0, 9.5])
    array([0.25, 0.5 ])

    References
    ----------
    Karnin, Lang, Liberty (2016), "Optimal Quantile Approximation in Streams", FOCS.
    Apache DataSketches, KLL sketch (KllDoublesSketch): level capacities and error table.
    """

    def __init__(self, k: int = 200, *, seed: int = 0) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or not _MIN_K <= k <= _MAX_K:
            raise ParameterError(
                f"The 'k' parameter of KLLSketch must be an int in [{_MIN_K}, {_MAX_K}]. "
                f"Got {k!r} instead."
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ParameterError(
                f"The 'seed' parameter of KLLSketch must be an int >= 0. Got {seed!r} instead."
            )
        self.k = k
        self.seed = seed
        self._levels: list[FloatArray] = [np.empty(0)]
        self._n = 0
        self._min = math.inf
        self._max = -math.inf
        self._compactions = 0
        self._sorted: tuple[FloatArray, NDArray[np.int64]] | None = None

    # -- reading -------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """How many values went in."""
        return self._n

    @property
    def min(self) -> float:
        """The exact smallest value (NaN when empty)."""
        return self._min if self._n else math.nan

    @property
    def max(self) -> float:
        """The exact largest value (NaN when empty)."""
        return self._max if self._n else math.nan

    @property
    def is_exact(self) -> bool:
        """True while no compaction happened: every value is kept, answers are exact."""
        return self._compactions == 0

    @property
    def rank_error(self) -> float:
        """Normalized rank error bound for ``cdf``/``quantiles`` (99% confidence); 0 if exact."""
        return 0.0 if self.is_exact else normalized_rank_error(self.k)

    @property
    def pmf_error(self) -> float:
        """Bound on the normalized mass between two points (99% confidence); 0 if exact."""
        return 0.0 if self.is_exact else normalized_rank_error(self.k, pmf=True)

    @property
    def num_retained(self) -> int:
        """How many items the sketch holds."""
        return sum(level.size for level in self._levels)

    def weighted_items(self) -> tuple[FloatArray, NDArray[np.int64]]:
        """The retained items, sorted, and their integer weights (which sum to ``n``)."""
        items, cumulative = self._sorted_view()
        return items.copy(), np.diff(cumulative, prepend=0)

    def quantiles(self, qs: ArrayLike) -> FloatArray:
        """The smallest retained item whose estimated rank reaches ``q * n``, for each q.

        On an exact sketch this is numpy's ``inverted_cdf`` quantile; ``q = 0`` and
        ``q = 1`` give the exact min and max. NaN for an empty sketch.
        """
        q = np.asarray(qs, dtype=np.float64)
        if np.any(~((q >= 0.0) & (q <= 1.0))):
            raise ParameterError(f"Quantile levels must lie in [0, 1]. Got {qs!r} instead.")
        if self._n == 0:
            return np.full(q.shape, math.nan)
        items, cumulative = self._sorted_view()
        index = np.minimum(np.searchsorted(cumulative, q * self._n, side="left"), items.size - 1)
        out = items[index]
        return np.where(q <= 0.0, self._min, np.where(q >= 1.0, self._max, out))

    def cdf(self, x: ArrayLike) -> FloatArray:
        """Estimated fraction of values ``<= x`` for each x (NaN when empty)."""
        return self._ranks(x, inclusive=True)

    def _ranks(self, x: ArrayLike, *, inclusive: bool) -> FloatArray:
        points = np.asarray(x, dtype=np.float64)
        if self._n == 0:
            return np.full(points.shape, math.nan)
        items, cumulative = self._sorted_view()
        index = np.searchsorted(items, points, side="right" if inclusive else "left")
        ranks = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)
        return np.asarray(ranks / self._n, dtype=np.float64)

    def _sorted_view(self) -> tuple[FloatArray, NDArray[np.int64]]:
        if self._sorted is None:
            items = np.concatenate(self._levels)
            weights = np.concatenate(
                [np.full(lvl.size, 1 << h, dtype=np.int64) for h, lvl in enumerate(self._levels)]
            )
            order = np.argsort(items, kind="stable")
            self._sorted = (items[order], np.cumsum(weights[order]))
        return self._sorted

    # -- writing -------------------------------------------------------------------------
    def update(self, values: ArrayLike) -> KLLSketch:
        """Add finite values (any array-like); returns the sketch itself."""
        array = np.asarray(values, dtype=np.float64).ravel()
        if array.size == 0:
            return self
        if not np.isfinite(array).all():
            raise ParameterError(
                "KLLSketch.update takes finite values only; drop NaN and infinities first."
            )
        self._n += int(array.size)
        self._min = min(self._min, float(array.min()))
        self._max = max(self._max, float(array.max()))
        self._levels[0] = np.concatenate([self._levels[0], array])
        self._compress()
        return self

    def merge(self, other: KLLSketch) -> KLLSketch:
        """A new sketch of both inputs' values (``k`` is the smaller of the two)."""
        if not isinstance(other, KLLSketch):
            raise TypeError(f"can only merge a KLLSketch with a KLLSketch, not {type(other)}")
        out = KLLSketch(min(self.k, other.k), seed=self.seed)
        depth = max(len(self._levels), len(other._levels))
        out._levels = [
            np.concatenate([_level(self._levels, h), _level(other._levels, h)])
            for h in range(depth)
        ]
        out._n = self._n + other._n
        out._min = min(self._min, other._min)
        out._max = max(self._max, other._max)
        out._compactions = self._compactions + other._compactions
        out._compress()
        out._levels = [np.sort(level) for level in out._levels]  # canonical: a∪b == b∪a
        return out

    def _compress(self) -> None:
        self._sorted = None
        while True:
            num_levels = len(self._levels)
            capacities = [_level_capacity(self.k, num_levels, h) for h in range(num_levels)]
            sizes = [level.size for level in self._levels]
            if sum(sizes) <= sum(capacities):
                return
            level = next(h for h in range(num_levels) if sizes[h] >= capacities[h])
            if level == num_levels - 1:
                if num_levels >= _MAX_LEVELS:  # pragma: no cover - needs 2**60 values
                    raise ParameterError("KLLSketch cannot hold more than 2**60 values")
                self._levels.append(np.empty(0))
            self._compact(level)

    def _compact(self, h: int) -> None:
        level = np.sort(self._levels[h], kind="stable" if h else "quicksort")
        left = level[:0]
        if level.size % 2:
            left, level = level[-1:], level[:-1]
        salt = int(level.view(np.uint64)[level.size // 2])
        offset = _coin(self.seed, self._compactions, salt)
        self._compactions += 1
        self._levels[h] = left.copy()
        self._levels[h + 1] = np.concatenate([self._levels[h + 1], level[offset::2]])

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``KLLSketch.from_dict`` reads it back exactly."""
        return {
            "k": self.k,
            "seed": self.seed,
            "n": self._n,
            "min": self._min if self._n else None,
            "max": self._max if self._n else None,
            "compactions": self._compactions,
            "levels": [level.tolist() for level in self._levels],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KLLSketch:
        """Rebuild a sketch written by ``to_dict``; ValueError when it is inconsistent."""
        sketch = cls(_int(data, "k"), seed=_int(data, "seed"))
        sketch._n = _int(data, "n")
        sketch._compactions = _int(data, "compactions")
        levels = data["levels"]
        if not isinstance(levels, list) or not 1 <= len(levels) <= _MAX_LEVELS:
            raise ValueError("sketch levels must be a non-empty list")
        sketch._levels = [np.asarray(level, dtype=np.float64).ravel() for level in levels]
        if any(not np.isfinite(level).all() for level in sketch._levels):
            raise ValueError("sketch items must be finite numbers")
        weight = sum(level.size << h for h, level in enumerate(sketch._levels))
        if weight != sketch._n:
            raise ValueError(f"sketch items weigh {weight} but n is {sketch._n}")
        if sketch._n:
            sketch._min, sketch._max = float(data["min"]), float(data["max"])
            if not sketch._min <= sketch._max:
                raise ValueError("sketch min is above its max")
        return sketch

    def __repr__(self) -> str:
        return (
            f"KLLSketch(k={self.k}, seed={self.seed}, n={self._n}, "
            f"retained={self.num_retained}, exact={self.is_exact})"
        )


def quantile_edges(sketch: KLLSketch, bins: int) -> FloatArray:
    """Interior edges at the ``bins``-quantiles of a sketch, ties removed.

    >>> quantile_edges(KLLSketch().update([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [2.0]
    """
    if bins < 2 or sketch.n == 0:
        return np.empty(0)
    return np.unique(sketch.quantiles(np.arange(1, bins) / bins))


def _level(levels: list[FloatArray], h: int) -> FloatArray:
    return levels[h] if h < len(levels) else np.empty(0)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key!r} must be a non-negative integer, got {value!r}")
    return value
