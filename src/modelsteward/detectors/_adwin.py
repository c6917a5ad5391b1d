"""ADaptive WINdowing (Bifet & Gavaldà 2007; River's ``drift.ADWIN``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from modelsteward.detectors._base import (
    CodeArray,
    DriftDetector,
    FloatArray,
    check_open_unit,
    check_positive,
)
from modelsteward.detectors._compile import kernel, pick
from modelsteward.errors import ParameterError

__all__ = ["ADWIN"]

_LEVELS = 64  # bucket rows: row i holds buckets of 2**i elements
# state["sc"] layout: 0 drift, 1 warning (unused), then:
_TOTAL, _VAR, _WIDTH, _TOTAL_WIDTH, _NB, _MAX_NB, _TICK, _N_DET, _N_LEVELS = range(2, 11)


@kernel
def _adwin_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    tot: FloatArray,
    var: FloatArray,
    cnt: FloatArray,
    params: tuple[float, int, int, float, float],
) -> None:
    delta, clock, max_buckets, min_window_length, grace_period = params
    # The arithmetic follows River's Rust implementation operation by operation so
    # that detections are bit-for-bit identical.
    for i in range(x.shape[0]):
        if sc[0] != 0.0:  # River starts a fresh window after every detection
            sc[:] = 0.0
            tot[:, :] = 0.0
            var[:, :] = 0.0
            cnt[:] = 0.0
            sc[_N_LEVELS] = 1.0
        value = x[i]
        # insert_element
        tot[0, int(cnt[0])] = value
        var[0, int(cnt[0])] = 0.0
        cnt[0] += 1.0
        sc[_NB] += 1.0
        if sc[_NB] > sc[_MAX_NB]:
            sc[_MAX_NB] = sc[_NB]
        sc[_WIDTH] += 1.0
        width = sc[_WIDTH]
        inc = 0.0
        if width > 1.0:
            dv = value - sc[_TOTAL] / (width - 1.0)
            inc = (width - 1.0) * dv * dv / width
        sc[_VAR] += inc
        sc[_TOTAL] += value
        # compress_buckets
        idx = 0
        while int(cnt[idx]) == max_buckets + 1:
            n1 = float(1 << idx)
            t0 = tot[idx, 0]
            t1 = tot[idx, 1]
            mu1 = t0 / n1
            mu2 = t1 / n1
            temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            v12 = var[idx, 0] + var[idx, 1] + temp
            if idx + 1 >= int(sc[_N_LEVELS]):
                sc[_N_LEVELS] += 1.0
            j = int(cnt[idx + 1])
            tot[idx + 1, j] = t0 + t1
            var[idx + 1, j] = v12
            cnt[idx + 1] += 1.0
            sc[_NB] += 1.0
            k = int(cnt[idx])
            for m in range(k - 2):
                tot[idx, m] = tot[idx, m + 2]
                var[idx, m] = var[idx, m + 2]
            for m in range(k - 2, k):
                tot[idx, m] = 0.0
                var[idx, m] = 0.0
            cnt[idx] -= 2.0
            if int(cnt[idx + 1]) <= max_buckets:
                break
            idx += 1
        # detect_change
        change = False
        sc[_TICK] += 1.0
        if int(sc[_TICK]) % clock == 0 and sc[_WIDTH] > grace_period:
            reduce_width = True
            while reduce_width:
                reduce_width = False
                exit_flag = False
                n0 = 0.0
                n1w = sc[_WIDTH]
                u0 = 0.0
                u1 = sc[_TOTAL]
                n_levels = int(sc[_N_LEVELS])
                stop = False
                # constant within a pass (the width only changes when a pass ends);
                # computed at the first cut evaluated, as River computes it per cut
                w = sc[_WIDTH]
                delta_prime = math.nan
                var_w = sc[_VAR] / w
                for lv in range(n_levels - 1, -1, -1):
                    if exit_flag or stop:
                        break
                    size = float(1 << lv)
                    k = int(cnt[lv])
                    for b in range(k):
                        n0 += size
                        n1w -= size
                        t = tot[lv, b]
                        u0 += t
                        u1 -= t
                        if lv == 0 and b == k - 1:
                            exit_flag = True
                            break
                        delta_mean = (u0 / n0) - (u1 / n1w)
                        if n1w >= min_window_length and n0 >= min_window_length:
                            if math.isnan(delta_prime):
                                delta_prime = math.log(2.0 * math.log(w) / delta)
                            m_recip = 1.0 / (n0 - min_window_length + 1.0) + 1.0 / (
                                n1w - min_window_length + 1.0
                            )
                            eps = (
                                math.sqrt(2.0 * m_recip * var_w * delta_prime)
                                + 2.0 / 3.0 * delta_prime * m_recip
                            )
                            if abs(delta_mean) > eps:
                                reduce_width = True
                                change = True
                                if sc[_WIDTH] > 0.0:
                                    # delete_element: drop the oldest bucket
                                    last = int(sc[_N_LEVELS]) - 1
                                    nb = float(1 << last)
                                    u = tot[last, 0]
                                    vv = var[last, 0]
                                    mu = u / nb
                                    sc[_WIDTH] -= nb
                                    sc[_TOTAL] -= u
                                    mu_w = sc[_TOTAL] / sc[_WIDTH]
                                    sc[_VAR] -= vv + nb * sc[_WIDTH] * (mu - mu_w) * (mu - mu_w) / (
                                        nb + sc[_WIDTH]
                                    )
                                    kk = int(cnt[last])
                                    for m in range(kk - 1):
                                        tot[last, m] = tot[last, m + 1]
                                        var[last, m] = var[last, m + 1]
                                    tot[last, kk - 1] = 0.0
                                    var[last, kk - 1] = 0.0
                                    cnt[last] -= 1.0
                                    sc[_NB] -= 1.0
                                    if cnt[last] == 0.0:
                                        sc[_N_LEVELS] -= 1.0
                                    stop = True
                                    break
        sc[_TOTAL_WIDTH] += sc[_WIDTH]
        if change:
            sc[_N_DET] += 1.0
            sc[0] = 1.0
            codes[i] = 2


class ADWIN(DriftDetector):
    """ADaptive WINdowing: drop the old part of the window when its mean differs.

    ADWIN keeps a window of recent values compressed into exponential buckets
    (at most ``max_buckets`` of each size). Every ``clock`` values it compares the
    means of every split of the window into an older and a newer part; when they
    differ by more than a Hoeffding-style bound at confidence ``delta`` it drops the
    oldest bucket and signals a change. As in River 0.26 (kept for parity), the
    detector then starts a fresh, empty window at the next value; the paper keeps the
    newer part of the window instead. Same parameters, defaults and detections as
    River 0.26's ``drift.ADWIN`` (the arithmetic follows its Rust core step by step).

    River bug: with ``max_buckets=1`` merging empties a row of buckets, River's
    bucket list keeps the empty row, and once a detection deletes down to it River
    panics ("slice index starts at 1 but ends at 0"). ``max_buckets`` must therefore
    be at least 2 here (:class:`~modelsteward.errors.ParameterError` otherwise).

    Parameters
    ----------
    delta
        Significance of the test; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.
    clock
        Check for changes every ``clock`` values.
    max_buckets
        Buckets of each size kept before two are merged.
    min_window_length
        Smallest sub-window considered at a split.
    grace_period
        No check before the window holds more than this many values.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import ADWIN
    >>> rng = np.random.default_rng(42)
    >>> stream = np.concatenate([rng.integers(0, 2, 1000), rng.integers(4, 8, 1000)])
    >>> ADWIN().update_many(stream)
    array([1023])

    References
    ----------
    A. Bifet, R. Gavaldà (2007). Learning from time-changing data with adaptive
    windowing. SIAM International Conference on Data Mining, 443-448.
    """

    _sensitivity = ("delta", -1)

    def __init__(
        self,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        self.delta = delta
        self.clock = clock
        self.max_buckets = max_buckets
        self.min_window_length = min_window_length
        self.grace_period = grace_period
        super().__init__()

    def _check_params(self) -> None:
        check_open_unit(self, "delta", self.delta)
        check_positive(self, "clock", self.clock, integer=True)
        check_positive(self, "max_buckets", self.max_buckets, integer=True)
        if self.max_buckets < 2:
            raise ParameterError(
                "The 'max_buckets' parameter of ADWIN must be at least 2 (River 0.26 crashes "
                f"with 1). Got {self.max_buckets!r} instead."
            )
        for name in ("min_window_length", "grace_period"):
            check_positive(self, name, getattr(self, name), integer=True, allow_zero=True)

    @property
    def width(self) -> int:
        """Number of values in the current window."""
        return int(self._state["sc"][_WIDTH])

    @property
    def estimation(self) -> float:
        """Mean of the current window (0 when empty)."""
        sc = self._state["sc"]
        return float(sc[_TOTAL] / sc[_WIDTH]) if sc[_WIDTH] else 0.0

    @property
    def n_detections(self) -> int:
        """Detections since the last (re)start of the window."""
        return int(self._state["sc"][_N_DET])

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(11)
        sc[_N_LEVELS] = 1.0
        cap = int(self.max_buckets) + 1
        return {
            "sc": sc,
            "totals": np.zeros((_LEVELS, cap)),
            "variances": np.zeros((_LEVELS, cap)),
            "counts": np.zeros(_LEVELS),
        }

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        st = self._state
        params = (
            float(self.delta),
            int(self.clock),
            int(self.max_buckets),
            float(self.min_window_length),
            float(self.grace_period),
        )
        kernel = pick(_adwin_kernel)
        kernel(x, codes, st["sc"], st["totals"], st["variances"], st["counts"], params)
