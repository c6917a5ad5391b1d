"""Counts on fixed bin edges, mergeable when the edges are the same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError

__all__ = ["Histogram"]


class Histogram:
    """Counts of finite values in bins split by fixed interior ``edges``.

    Bin ``0`` is ``(-inf, edges[0])``, bin ``i`` is ``[edges[i-1], edges[i])`` and the
    last bin is ``[edges[-1], inf)``, so ``len(counts) == len(edges) + 1`` and no value
    ever falls outside. Two histograms merge only when their edges are identical.

    >>> h = Histogram([0.0, 1.0]).update([-5.0, 0.0, 0.5, 1.0, 7.0])
    >>> h.counts.tolist()
    [1, 2, 2]
    >>> h.merge(Histogram([0.0, 1.0]).update([0.25])).counts.tolist()
    [1, 3, 2]
    """

    def __init__(self, edges: ArrayLike, counts: ArrayLike | None = None) -> None:
        self.edges: NDArray[np.float64] = np.asarray(edges, dtype=np.float64).ravel().copy()
        if not np.isfinite(self.edges).all() or np.any(np.diff(self.edges) <= 0):
            raise ParameterError(
                "Histogram edges must be finite and strictly increasing. "
                f"Got {self.edges.tolist()!r} instead."
            )
        if counts is None:
            self.counts: NDArray[np.int64] = np.zeros(self.edges.size + 1, dtype=np.int64)
        else:
            given = np.asarray(counts)
            if given.shape != (self.edges.size + 1,) or np.any(given < 0):
                raise ParameterError(
                    f"Histogram counts must be {self.edges.size + 1} non-negative integers "
                    f"(one more than the edges). Got {given.tolist()!r} instead."
                )
            self.counts = given.astype(np.int64)

    @property
    def total(self) -> int:
        """How many values were counted."""
        return int(self.counts.sum())

    def update(self, values: ArrayLike) -> Histogram:
        """Count finite values in place; returns ``self``."""
        x = np.asarray(values, dtype=np.float64).ravel()
        if x.size == 0:
            return self
        if not np.isfinite(x).all():
            raise ParameterError("Histogram.update takes finite values only.")
        index = np.searchsorted(self.edges, x, side="right")
        self.counts += np.bincount(index, minlength=self.counts.size)
        return self

    def merge(self, other: Histogram) -> Histogram:
        """A new histogram with both inputs' counts; the edges must be equal."""
        if not np.array_equal(self.edges, other.edges):
            raise ParameterError(
                "The profiles were binned differently (their histogram edges differ), so "
                "their counts cannot be added; re-profile the data against the same "
                "reference profile (profile_table(..., reference=...))."
            )
        return Histogram(self.edges, self.counts + other.counts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"edges": self.edges.tolist(), "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        """Read back ``to_dict``; ValueError (ParameterError) when inconsistent."""
        counts = data["counts"]
        if not isinstance(counts, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in counts
        ):
            raise ValueError("histogram counts must be a list of integers")
        return cls(data["edges"], np.asarray(counts, dtype=np.int64))

    def __repr__(self) -> str:
        return f"Histogram(bins={self.counts.size}, total={self.total})"
