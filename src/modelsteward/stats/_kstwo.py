"""``scipy.stats.kstwo.sf`` on large samples, without importing ``scipy.stats``.

``kstwo.sf(d, n)`` is the survival function of the two-sided one-sample KS statistic
``D_n``; the two-sample KS test uses it with ``n = round(m*n/(m+n))``. scipy picks an
algorithm by ``n`` and ``n d²`` (Simard & L'Ecuyer 2011). On the samples the drift engine
sees (``n > 140``) two branches cover almost every case, and both are evaluated here
from their formulas, which keeps ``scipy.stats`` (about 0.7 s of CPU to import) out of a
drift run:

* ``d >= 0.5`` or ``2.2 <= n d² < 370`` (p-values from about 1e-300 to 0.025):
  ``2 * smirnov(n, d)``, the one-sided exact Smirnov probability, as the
  Birnbaum–Tingey sum

      smirnov(n, d) = d * sum_{v=0}^{floor(n (1 - d))} binom_pmf(v, n, d + v/n) / (d + v/n)

  scipy evaluates it in a scalar double-double loop (0.7 s at ``n = 500 000``, 1.7 s
  at ``n = 1 000 000`` on the bench machine); here the terms are one vectorised pass,
  each binomial probability in Loader's saddle-point form (:func:`_smirnov`); all terms are
  positive, so the sum keeps about 1e-12 relative accuracy. Above ``n = 1 000 000``
  ``scipy.special.smirnov`` itself switches to an asymptotic series, which is fast,
  and is called as scipy does (the sum would need memory in proportion to ``n``).
* ``n d² < 2.2`` with ``n > 100 000`` or ``n d^1.5 > 1.4``: ``1 - P(D_n <= d)`` from the
  Pelz–Good (1976) asymptotic series ``K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5``,
  ``z = d √n`` (:func:`_pelz_good_cdf`).
* ``n d² >= 370``: the probability is below 1e-300 and is 0.

The tests check every branch against ``scipy.stats.kstwo.sf`` to 1e-11 relative. The
remaining cases (``n <= 140``, ``d`` within ``1/n`` of 0 or 1, and Durbin's matrix for
small ``d`` at ``n <= 100 000``) are left to scipy, imported when one occurs.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["kstwo_sf"]

_LOG_2PI = math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_PI2 = math.pi**2
#: scipy.special.smirnov sums exactly up to this n and uses an asymptotic series above.
_SMIRNOV_EXACT_N = 1_000_000
#: ``log(k!) - log(sqrt(2 pi k) (k/e)^k)`` for k = 0..15, where the series is too short.
_STIRLING_ERROR_SMALL = np.array(
    [0.0]
    + [math.lgamma(k + 1.0) - (k + 0.5) * math.log(k) + k - 0.5 * _LOG_2PI for k in range(1, 16)]
)


def kstwo_sf(d: float, n: int) -> float:
    """``scipy.stats.kstwo.sf(d, n)``: P(D_n >= d) for the two-sided one-sample KS statistic.

    >>> round(kstwo_sf(0.002, 500_000), 6)   # Pelz-Good branch
    0.036582
    >>> f"{kstwo_sf(0.004, 500_000):.4e}"     # Smirnov branch
    '2.2446e-07'
    """
    if n > 140 and 0.0 < d < 1.0:
        t = n * d
        nd2 = t * d
        if 1.0 < t < n - 1:
            if d >= 0.5 or 2.2 <= nd2 < 370.0:
                return min(max(2.0 * _smirnov(n, d), 0.0), 1.0)
            if nd2 >= 370.0:
                return 0.0
            if n > 100_000 or n * d**1.5 > 1.4:
                return min(max(1.0 - _pelz_good_cdf(n, d), 0.0), 1.0)
    import scipy.stats  # lazily, as every scipy import here

    return float(np.clip(scipy.stats.kstwo.sf(d, n), 0.0, 1.0))


def _smirnov(n: int, d: float) -> float:
    """One-sided Smirnov survival function ``P(D+_n >= d)``: exact (Birnbaum–Tingey) up
    to ``n = 1 000 000``, scipy's own asymptotic series above.

    Term ``v`` is ``binom_pmf(v, n, p) / p`` with ``p = d + v/n``, in Loader's (2000)
    saddle-point form: Stirling's error terms, and the deviance of ``v`` from the mean
    ``n p = v + n d`` written with ``log1p`` so that no digits cancel at large ``n``.
    """
    if n > _SMIRNOV_EXACT_N:
        import scipy.special  # lazily, as every scipy import here

        return float(scipy.special.smirnov(n, d))
    nd = n * d
    last = math.floor(n * (1.0 - d))
    if n - last <= nd:  # p = 1 at the last term, whose probability is then 0
        last -= 1
    total = math.exp(n * math.log1p(-d)) / d  # v = 0: (1 - d)^n / p
    if last >= 1:
        v = np.arange(1, last + 1, dtype=np.float64)
        rest = n - v
        deviance = -v * np.log1p(nd / v) - rest * np.log1p(-nd / rest)
        log_pmf = (
            _stirling_error(float(n))
            - _stirling_errors(v)
            - _stirling_errors(rest)
            - deviance
            - 0.5 * (_LOG_2PI + np.log(v * (rest / n)))
        )
        total += float(np.sum(np.exp(log_pmf) / (d + v / n)))
    return d * total


def _pelz_good_cdf(n: int, d: float) -> float:
    """P(D_n <= d) by the Pelz–Good series (Simard & L'Ecuyer 2011, section 3)."""
    z = d * math.sqrt(n)
    z2 = z * z
    if _PI2 / (8.0 * z2) > 745.0:  # every term underflows: z < 0.042
        return 0.0
    kmax = math.ceil(16.0 * z / math.pi)
    # Sums over odd m = 2k - 1 (that is, (k - 1/2)^2 = m^2 / 4) with weights exp(-pi^2 m^2 / 8z^2).
    m2 = (2.0 * np.arange(1, kmax + 1) - 1.0) ** 2
    w = np.exp(-_PI2 * m2 / (8.0 * z2))
    a = _PI2 * m2 / 4.0  # pi^2 (k - 1/2)^2
    k0 = np.sum(w) / z
    k1 = np.sum((a - z2) * w) / (6.0 * z2 * z2)
    k2 = np.sum(
        ((6.0 * z2**3 + 2.0 * z2**2) + (2.0 * z2**2 - 5.0 * z2) * a + (1.0 - 2.0 * z2) * a * a) * w
    ) / (72.0 * z**7)
    k3 = np.sum(
        (
            (-30.0 * z2**3 - 90.0 * z2**4)
            + (135.0 * z2**2 - 96.0 * z2**3) * a
            + (212.0 * z2**2 - 60.0 * z2) * a * a
            + (5.0 - 30.0 * z2) * a**3
        )
        * w
    ) / (6480.0 * z2**5)
    # Sums over all integers k with weights exp(-pi^2 k^2 / 2z^2), in K2 and K3 only.
    k_sq = np.arange(1, kmax + 1, dtype=np.float64) ** 2
    u = np.exp(-_PI2 * k_sq / (2.0 * z2))
    k2 -= _PI2 * np.sum(k_sq * u) / (36.0 * z2 * z)
    k3 += _PI2 * np.sum((3.0 * z2 - _PI2 * k_sq) * k_sq * u) / (216.0 * z2**3)
    root_n = math.sqrt(n)
    return float(_SQRT_2PI * (k0 + k1 / root_n + k2 / n + k3 / (n * root_n)))


def _stirling_error(x: float) -> float:
    """``log(x!) - log(sqrt(2 pi x) (x/e)^x)`` for an integer-valued ``x >= 0``."""
    return float(_stirling_errors(np.array([x]))[0])


def _stirling_errors(x: np.ndarray) -> np.ndarray:
    """:func:`_stirling_error` of each element: the series above 15, a table below."""
    inv2 = 1.0 / (x * x)
    out: np.ndarray = (
        1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - inv2 / 1188) * inv2) * inv2) * inv2
    ) / x
    small = x <= 15
    if small.any():
        out[small] = _STIRLING_ERROR_SMALL[x[small].astype(np.int64)]
    return out
