"""Category counts: exact up to a cap, a mergeable Misra–Gries summary beyond it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import ParameterError

__all__ = ["MisraGries"]

ObjectArray = NDArray[np.object_]
IntArray = NDArray[np.int64]


class MisraGries:
    """Counts per category, keeping at most ``max_categories`` of them.

    While there are no more than ``max_categories`` distinct categories every count is
    exact. Beyond that the summary is the mergeable Misra–Gries summary of Agarwal et al.
    (2012): after adding counts, when more than ``max_categories`` categories are held, the
    ``(max_categories + 1)``-th largest count is subtracted from every count and those
    that reach zero are dropped. A kept count is then an *underestimate* of the true
    count by at most ``error_bound = (n - kept) / (max_categories + 1)``, where ``kept``
    is the sum of the kept counts; a category not kept occurred at most ``error_bound``
    times. This holds after any sequence of updates and merges. ``other = n - kept`` is
    the mass not attributed to a kept category, so kept proportions plus
    ``other / n`` sum to 1.

    Parameters
    ----------
    max_categories
        The most categories kept (at least 1).

    >>> mg = MisraGries(max_categories=2).update(["a", "b"], [5, 3])
    >>> mg.to_counts(), mg.other, mg.error_bound
    ({'a': 5, 'b': 3}, 0, 0.0)
    >>> mg = mg.merge(MisraGries(max_categories=2).update(["c"], [1]))
    >>> mg.to_counts(), mg.other, mg.error_bound
    ({'a': 4, 'b': 2}, 3, 1.0)

    References
    ----------
    Misra, Gries (1982), "Finding repeated elements". Agarwal, Cormode, Huang, Phillips,
    Wei, Yi (2012), "Mergeable summaries", PODS.
    """

    def __init__(self, max_categories: int = 1000) -> None:
        if (
            isinstance(max_categories, bool)
            or not isinstance(max_categories, int)
            or max_categories < 1
        ):
            raise ParameterError(
                "The 'max_categories' parameter of MisraGries must be an int >= 1. "
                f"Got {max_categories!r} instead."
            )
        self.max_categories = max_categories
        self._categories: ObjectArray = np.empty(0, dtype=object)
        self._counts: IntArray = np.empty(0, dtype=np.int64)
        self._n = 0

    @property
    def n(self) -> int:
        """Total count added."""
        return self._n

    @property
    def categories(self) -> ObjectArray:
        """The kept categories (strings), sorted."""
        return self._categories.copy()

    @property
    def counts(self) -> IntArray:
        """Counts of the kept categories, aligned with ``categories``."""
        return self._counts.copy()

    @property
    def other(self) -> int:
        """Count not attributed to a kept category (0 while exact)."""
        return self._n - int(self._counts.sum())

    @property
    def is_exact(self) -> bool:
        """True while every count is exact (no category was ever dropped)."""
        return self.other == 0

    @property
    def error_bound(self) -> float:
        """Most a kept count can be below the true count: ``other / (max_categories + 1)``."""
        return self.other / (self.max_categories + 1)

    def to_counts(self) -> dict[str, int]:
        """The kept counts as a dict."""
        return dict(zip(self._categories.tolist(), self._counts.tolist(), strict=True))

    def update(self, categories: ArrayLike, counts: ArrayLike | None = None) -> MisraGries:
        """Add ``counts`` (default 1 each) of ``categories`` (compared as text); returns self."""
        cats = np.asarray(categories, dtype=object).ravel()
        if counts is None:
            weights = np.ones(cats.size, dtype=np.int64)
        else:
            weights = np.asarray(counts).ravel()
            if weights.shape != cats.shape or np.any(weights < 0):
                raise ParameterError(
                    "MisraGries.update needs one non-negative count per category; got "
                    f"{cats.size} categories and counts of shape {weights.shape}."
                )
            weights = weights.astype(np.int64)
        self._n += int(weights.sum())
        self._categories, self._counts = self._summarise(
            np.concatenate([self._categories, cats.astype(str).astype(object)]),
            np.concatenate([self._counts, weights]),
            self.max_categories,
        )
        return self

    def merge(self, other: MisraGries) -> MisraGries:
        """A new summary of both inputs (``max_categories`` is the smaller of the two)."""
        out = MisraGries(min(self.max_categories, other.max_categories))
        out._n = self._n + other._n
        out._categories, out._counts = self._summarise(
            np.concatenate([self._categories, other._categories]),
            np.concatenate([self._counts, other._counts]),
            out.max_categories,
        )
        return out

    @staticmethod
    def _summarise(cats: ObjectArray, counts: IntArray, cap: int) -> tuple[ObjectArray, IntArray]:
        if cats.size == 0:
            return cats, counts
        unique, inverse = np.unique(cats, return_inverse=True)
        summed = np.zeros(unique.size, dtype=np.int64)
        np.add.at(summed, inverse.ravel(), counts)
        if unique.size > cap:
            threshold = np.partition(summed, unique.size - cap - 1)[unique.size - cap - 1]
            summed = summed - threshold
        keep = summed > 0
        return unique[keep].astype(object), summed[keep]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "max_categories": self.max_categories,
            "n": self._n,
            "categories": self._categories.tolist(),
            "counts": self._counts.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MisraGries:
        """Read back ``to_dict``; ValueError when inconsistent."""
        out = cls(data["max_categories"])
        cats, counts, n = data["categories"], data["counts"], data["n"]
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise ValueError("categories must be a list of strings")
        if (
            not isinstance(counts, list)
            or len(counts) != len(cats)
            or len(cats) > out.max_categories
        ):
            raise ValueError("category counts must match the categories, within max_categories")
        if not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in counts):
            raise ValueError("category counts must be positive integers")
        if len(set(cats)) != len(cats):
            raise ValueError("categories must be distinct")
        if isinstance(n, bool) or not isinstance(n, int) or n < sum(counts):
            raise ValueError("category total n must be an integer at least the kept counts")
        order = np.argsort(np.asarray(cats, dtype=object), kind="stable")
        out._categories = np.asarray(cats, dtype=object)[order]
        out._counts = np.asarray(counts, dtype=np.int64)[order]
        out._n = n
        return out

    def __repr__(self) -> str:
        return (
            f"MisraGries(max_categories={self.max_categories}, n={self._n}, "
            f"kept={self._counts.size}, other={self.other})"
        )
