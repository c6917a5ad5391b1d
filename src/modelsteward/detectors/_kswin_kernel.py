"""KSWIN's compiled kernel: a sliding window, Python's ``random.Random.sample`` and
``scipy.stats.ks_2samp``'s statistic, reproduced exactly in one loop.

Kept apart from :mod:`._kswin` (the detector class); see
:class:`~modelsteward.detectors.KSWIN`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from modelsteward.detectors._base import CodeArray, FloatArray
from modelsteward.detectors._compile import kernel

__all__ = ["kswin_scan"]

# state["sc"] layout: 0 drift, 1 warning (unused), 2 values in window, 3 ring start,
# 4 position in the Mersenne Twister state, 5 that position right after seeding.
_WLEN, _WSTART, _MTI, _MTI_SEED = 2, 3, 4, 5


@kernel
def kswin_scan(
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
