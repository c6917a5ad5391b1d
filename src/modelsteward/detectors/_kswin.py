"""Kolmogorov-Smirnov windowing (Raab et al. 2020; River's ``drift.KSWIN``)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from modelsteward.detectors._base import (
    CodeArray,
    DriftDetector,
    FloatArray,
    as_stream,
    check_open_unit,
    check_positive,
)
from modelsteward.detectors._compile import kernel, pick
from modelsteward.detectors._ks import rejects
from modelsteward.errors import ParameterError

__all__ = ["KSWIN"]

# state["sc"] layout: 0 drift, 1 warning (unused), 2 values in window, 3 ring start,
# 4 position in the Mersenne Twister state, 5 that position right after seeding.
_WLEN, _WSTART, _MTI, _MTI_SEED = 2, 3, 4, 5


@kernel
def _kswin_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    window: FloatArray,
    mt: npt.NDArray[np.uint32],
    mt_seed: npt.NDArray[np.uint32],
    rejects: npt.NDArray[np.bool_],
    stat_size: int,
    use_pool: bool,
) -> None:
    size = window.shape[0]
    r = stat_size
    pop = size - r
    wlen = int(sc[_WLEN])
    start = int(sc[_WSTART])
    mti = int(sc[_MTI])
    drift = sc[0] != 0.0
    pool = np.empty(pop, dtype=np.int64)
    taken = np.zeros(pop, dtype=np.bool_)
    a = np.empty(r)
    b = np.empty(r)
    b_ready = False  # b holds the newest r values, sorted, once the window is full
    for i in range(x.shape[0]):
        if drift:  # River restarts from an empty window and a freshly seeded generator
            drift = False
            wlen = 0
            start = 0
            mt[:] = mt_seed
            mti = int(sc[_MTI_SEED])
            b_ready = False
        v = x[i]
        if wlen < size:
            window[(start + wlen) % size] = v
            wlen += 1
        else:
            if b_ready:  # the oldest of the newest r moves to the older part; v comes in
                old = window[(start + pop) % size]
                lo = 0
                hi = r - 1
                while lo < hi:
                    mid = (lo + hi) // 2
                    if b[mid] < old:
                        lo = mid + 1
                    else:
                        hi = mid
                for t in range(lo, r - 1):
                    b[t] = b[t + 1]
                t = r - 2
                while t >= 0 and b[t] > v:
                    b[t + 1] = b[t]
                    t -= 1
                b[t + 1] = v
            window[start] = v
            start = (start + 1) % size
        if wlen < size:
            continue
        if not b_ready:
            for t in range(r):
                b[t] = window[(start + pop + t) % size]
            b.sort()
            b_ready = True
        # random.Random.sample(range(pop), r), drawing from the same MT19937 stream
        if use_pool:
            for t in range(pop):
                pool[t] = t
        else:
            taken[:] = False
        for t in range(r):
            n = pop - t if use_pool else pop
            nbits = 0
            m = n
            while m:
                nbits += 1
                m >>= 1
            while True:
                while True:
                    if mti >= 624:
                        for kk in range(624):
                            y = (int(mt[kk]) & 0x80000000) | (int(mt[(kk + 1) % 624]) & 0x7FFFFFFF)
                            z = int(mt[(kk + 397) % 624]) ^ (y >> 1)
                            if y & 1:
                                z ^= 0x9908B0DF
                            mt[kk] = z
                        mti = 0
                    y = int(mt[mti])
                    mti += 1
                    y ^= y >> 11
                    y ^= (y << 7) & 0x9D2C5680
                    y ^= (y << 15) & 0xEFC60000
                    y ^= y >> 18
                    j = y >> (32 - nbits)
                    if j < n:
                        break
                if use_pool or not taken[j]:
                    break
            if use_pool:
                w = window[(start + pool[j]) % size]
                pool[j] = pool[n - 1]
            else:
                taken[j] = True
                w = window[(start + j) % size]
            k = t - 1  # insertion keeps a[:t + 1] sorted
            while k >= 0 and a[k] > w:
                a[k + 1] = a[k]
                k -= 1
            a[k + 1] = w
        # scipy.stats.ks_2samp's statistic: ECDF differences at every sample value
        ia = 0
        ib = 0
        dmax = -math.inf
        dmin = math.inf
        while ia < r or ib < r:
            v = a[ia] if ib >= r or (ia < r and a[ia] <= b[ib]) else b[ib]
            while ia < r and a[ia] <= v:
                ia += 1
            while ib < r and b[ib] <= v:
                ib += 1
            diff = ia / r - ib / r
            dmax = max(dmax, diff)
            dmin = min(dmin, diff)
        min_s = min(max(-dmin, 0.0), 1.0)
        d = min_s if min_s > dmax else dmax
        h = int(d * r + 0.5)  # d >= 0: rounds to the nearest multiple
        if rejects[h] and d > 0.1:
            drift = True
            codes[i] = 2
    sc[0] = 1.0 if drift else 0.0
    sc[_WLEN] = wlen
    sc[_WSTART] = start
    sc[_MTI] = mti


class KSWIN(DriftDetector):
    r"""Kolmogorov-Smirnov windowing: compare the newest values with older ones.

    Keeps the last ``window_size`` values. Once full, each new value triggers a
    two-sample KS test between the newest ``stat_size`` values and ``stat_size``
    values drawn at random (seeded by ``seed``) from the older part; a change is
    signalled when the p-value is at most ``alpha`` and the statistic exceeds 0.1.
    Same parameters, defaults and detections as River 0.26's ``drift.KSWIN``: the
    random draws reproduce Python's ``random.Random(seed).sample`` and the test
    reproduces ``scipy.stats.ks_2samp``, but run in one compiled loop (River calls
    scipy per element, about 2,000 values/s).

    River behaviour kept for parity (and tested): after a detection River keeps the
    newest ``stat_size`` values as the new window, but its next ``update`` resets the
    detector, so the window restarts empty (no test for the next ``window_size - 1``
    values) and the generator is re-seeded with ``seed``. ``window`` (values to
    start with) is used at construction and by :meth:`reset`, not after a detection.
    With ``seed=None`` the generator is seeded from system entropy once per reset.

    Parameters
    ----------
    alpha
        Significance of the KS test; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.
    window_size
        Length of the sliding window.
    stat_size
        Length of each of the two compared samples; ``window_size - stat_size``
        must be at least ``stat_size``.
    seed
        Seed of the random draws.
    window
        Values already collected, to avoid a cold start.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import KSWIN
    >>> rng = np.random.default_rng(42)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(2, 1, 1000)])
    >>> KSWIN(alpha=0.0001, seed=42).update_many(stream)
    array([1017])

    References
    ----------
    C. Raab, M. Heusinger, F.-M. Schleif (2020). Reactive soft prototype computing
    for concept drift streams. Neurocomputing 416, 340-351.
    """

    _sensitivity = ("alpha", -1)

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
        window: Iterable[float] | None = None,
    ) -> None:
        self.alpha = alpha
        self.window_size = window_size
        self.stat_size = stat_size
        self.seed = seed
        self.window = window
        super().__init__()

    def _check_params(self) -> None:
        check_open_unit(self, "alpha", self.alpha, closed=True)
        check_positive(self, "window_size", self.window_size, integer=True)
        check_positive(self, "stat_size", self.stat_size, integer=True)
        if self.window_size - self.stat_size < self.stat_size:
            raise ParameterError(
                f"The 'window_size' parameter of KSWIN must be at least twice 'stat_size' "
                f"({self.stat_size!r}) so that the older part can be sampled. "
                f"Got {self.window_size!r} instead."
            )
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ParameterError(
                f"The 'seed' parameter of KSWIN must be a non-negative integer or None. "
                f"Got {self.seed!r} instead."
            )

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        words = random.Random(self.seed).getstate()[1]
        mt = np.array(words[:624], dtype=np.uint32)
        sc = np.zeros(6)
        sc[_MTI] = sc[_MTI_SEED] = float(words[624])
        window = np.zeros(int(self.window_size))
        if self.window is not None:
            init = as_stream(list(self.window), owner="KSWIN window")[-int(self.window_size) :]
            window[: init.shape[0]] = init
            sc[_WLEN] = float(init.shape[0])
        return {"sc": sc, "window": window, "mt": mt, "mt_seed": mt.copy()}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        r = int(self.stat_size)
        pop = int(self.window_size) - r
        setsize = 21
        if r > 5:
            setsize += 4 ** math.ceil(math.log(r * 3, 4))
        st = self._state
        pick(_kswin_kernel)(
            x,
            codes,
            st["sc"],
            st["window"],
            st["mt"],
            st["mt_seed"],
            rejects(r, float(self.alpha)),
            r,
            pop <= setsize,
        )
