"""ADWIN's compiled kernel: River 0.26's Rust core (``rust_src/adwin.rs``), step by step.

Kept apart from :mod:`._adwin` (the detector class) as River keeps it apart, in Rust.
The arithmetic follows River operation by operation so detections are bit-for-bit
identical; see :class:`~modelsteward.detectors.ADWIN`.
"""

from __future__ import annotations

import math

from modelsteward.detectors._base import CodeArray, FloatArray
from modelsteward.detectors._compile import kernel

__all__ = ["adwin_scan"]

_LEVELS = 64  # bucket rows: row i holds buckets of 2**i elements
# state["sc"] layout: 0 drift, 1 warning (unused), then:
_TOTAL, _VAR, _WIDTH, _TOTAL_WIDTH, _NB, _MAX_NB, _TICK, _N_DET, _N_LEVELS = range(2, 11)


@kernel
def adwin_scan(
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
