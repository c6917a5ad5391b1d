"""Two-sample KS p-values for equal sample sizes, as ``scipy.stats.ks_2samp`` gives them.

Two samples of size ``r`` have a KS statistic that is a multiple of ``1 / r``, and
scipy's p-value depends on it only through that multiple, so scipy is asked once per
multiple (on samples built to have it). KSWIN's kernel looks its decisions up here,
and :func:`~modelsteward.detectors.calibrate` searches KSWIN's ``alpha`` among them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["ks_pvalues", "rejects"]


@functools.lru_cache(maxsize=16)
def _pvalues(stat_size: int) -> tuple[float, ...]:
    base = np.arange(stat_size, dtype=np.float64)
    with warnings.catch_warnings():  # as River: "exact" may fall back to "asymp"
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return tuple(
            float(stats.ks_2samp(base, base + h, method="auto").pvalue)
            for h in range(stat_size + 1)
        )


def ks_pvalues(stat_size: int) -> list[float]:
    """``out[h]``: scipy's two-sided p-value at a KS statistic of ``h / stat_size``.

    >>> p = ks_pvalues(30)
    >>> p[0], p[30] < 1e-15
    (1.0, True)
    """
    return list(_pvalues(stat_size))


@functools.lru_cache(maxsize=64)
def rejects(stat_size: int, alpha: float) -> npt.NDArray[np.bool_]:
    """``out[h]``: whether ``p <= alpha`` at a KS statistic of ``h / stat_size``."""
    return np.array([p <= alpha for p in _pvalues(stat_size)], dtype=np.bool_)
