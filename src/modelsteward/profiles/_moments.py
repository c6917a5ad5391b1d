"""Count, mean and central moments up to the fourth, mergeable without the data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from modelsteward.errors import ParameterError

__all__ = ["Moments"]


@dataclass
class Moments:
    """Running moments of finite values: ``count``, ``mean`` and the central sums
    ``m2 = Σ(x-mean)²``, ``m3``, ``m4``, plus ``min`` and ``max``.

    Each batch is summed directly (two passes over the batch in numpy); batches and
    profiles are combined with the pairwise formulas of Chan et al. (1979) and Pébay
    (2008), so the result equals the one-pass value up to float rounding whatever the
    split. ``skewness`` and ``kurtosis`` are the biased sample estimators that
    ``scipy.stats.skew`` and ``scipy.stats.kurtosis`` return by default (Fisher's
    excess kurtosis); ``variance`` and ``std`` use ``ddof=1`` and
    ``population_std`` uses ``ddof=0``.

    >>> m = Moments().update([1.0, 2.0, 3.0]).merge(Moments().update([4.0, 10.0]))
    >>> m.count, m.mean, m.variance, m.min, m.max
    (5, 4.0, 12.5, 1.0, 10.0)
    >>> round(m.skewness, 6)
    1.13842

    References
    ----------
    Pébay (2008), "Formulas for robust, one-pass parallel computation of covariances and
    arbitrary-order statistical moments", Sandia report SAND2008-6212.
    """

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    @classmethod
    def of(cls, values: ArrayLike) -> Moments:
        """Moments of one array of finite values."""
        x = np.asarray(values, dtype=np.float64).ravel()
        if x.size == 0:
            return cls()
        if not np.isfinite(x).all():
            raise ParameterError("Moments take finite values only; drop NaN and infinities first.")
        with np.errstate(over="ignore", invalid="ignore"):  # |x| > 1e77 overflows m4
            mean = float(x.mean())
            d = x - mean
            d2 = d * d
            return cls(
                count=int(x.size),
                mean=mean,
                m2=float(d2.sum()),
                m3=float((d2 * d).sum()),
                m4=float((d2 * d2).sum()),
                min=float(x.min()),
                max=float(x.max()),
            )

    def update(self, values: ArrayLike) -> Moments:
        """Add finite values in place; returns ``self``."""
        merged = self.merge(Moments.of(values))
        self.count, self.mean, self.m2, self.m3, self.m4 = (
            merged.count,
            merged.mean,
            merged.m2,
            merged.m3,
            merged.m4,
        )
        self.min, self.max = merged.min, merged.max
        return self

    def merge(self, other: Moments) -> Moments:
        """The moments of both inputs' values together (a new object)."""
        if other.count == 0:
            return Moments(self.count, self.mean, self.m2, self.m3, self.m4, self.min, self.max)
        if self.count == 0:
            return Moments(
                other.count, other.mean, other.m2, other.m3, other.m4, other.min, other.max
            )
        na, nb = float(self.count), float(other.count)
        n = na + nb
        delta = other.mean - self.mean
        d_n = delta / n
        mean = self.mean + d_n * nb
        m2 = self.m2 + other.m2 + delta * d_n * na * nb
        m3 = (
            self.m3
            + other.m3
            + delta * d_n * d_n * na * nb * (na - nb)
            + 3.0 * d_n * (na * other.m2 - nb * self.m2)
        )
        m4 = (
            self.m4
            + other.m4
            + delta * d_n * d_n * d_n * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * d_n * d_n * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * d_n * (na * other.m3 - nb * self.m3)
        )
        return Moments(
            count=self.count + other.count,
            mean=mean,
            m2=max(m2, 0.0),
            m3=m3,
            m4=max(m4, 0.0),
            min=min(self.min, other.min),
            max=max(self.max, other.max),
        )

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); NaN below two values."""
        return self.m2 / (self.count - 1) if self.count > 1 else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1); NaN below two values."""
        return math.sqrt(self.variance) if self.count > 1 else math.nan

    @property
    def population_std(self) -> float:
        """Population standard deviation (ddof=0), as ``numpy.std``; NaN when empty."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan

    @property
    def skewness(self) -> float:
        """Biased sample skewness ``g1`` (scipy's default); NaN when the variance is 0."""
        if self.count == 0 or self.m2 <= 0.0:
            return math.nan
        return float(math.sqrt(self.count) * self.m3 / (self.m2 * math.sqrt(self.m2)))

    @property
    def kurtosis(self) -> float:
        """Biased excess kurtosis ``g2`` (scipy's default); NaN when the variance is 0."""
        if self.count == 0 or self.m2 <= 0.0:
            return math.nan
        return self.count * self.m4 / (self.m2 * self.m2) - 3.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``min``/``max`` null when empty; sums that overflowed float64,
        possible with values beyond 1e77, are written as the strings "inf"/"nan")."""
        empty = self.count == 0
        return {
            "count": self.count,
            "mean": _encode(self.mean),
            "m2": _encode(self.m2),
            "m3": _encode(self.m3),
            "m4": _encode(self.m4),
            "min": None if empty else self.min,
            "max": None if empty else self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Moments:
        """Read back ``to_dict``; ValueError when inconsistent."""
        count = data["count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"moments count must be a non-negative integer, got {count!r}")
        numbers = [_decode(data[key]) for key in ("mean", "m2", "m3", "m4")]
        if numbers[1] < 0 or numbers[3] < 0:
            raise ValueError("moments m2 and m4 must be non-negative")
        if count == 0:
            return cls()
        low, high = _decode(data["min"]), _decode(data["max"])
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise ValueError("moments min is above max")
        return cls(count, numbers[0], numbers[1], numbers[2], numbers[3], low, high)


def _encode(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def _decode(value: Any) -> float:
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)
