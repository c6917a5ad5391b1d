"""Two-sided tabular CUSUM (Page 1954; Montgomery, *Statistical Quality Control*)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from modelsteward.detectors._base import CodeArray, DriftDetector, FloatArray, check_positive
from modelsteward.detectors._compile import kernel, pick
from modelsteward.errors import ParameterError

__all__ = ["CUSUM"]

_MODES = {"up": 0, "down": 1, "both": 2}
# state["sc"] layout: 0 drift, 1 warning (unused), then:
_N, _WMEAN, _WM2, _MU, _SD, _CPLUS, _CMINUS = 2, 3, 4, 5, 6, 7, 8


@kernel
def _cusum_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    min_instances: float,
    target_mean: float,
    target_sd: float,
    k: float,
    h: float,
    mode: int,
) -> None:
    drift = sc[0] != 0.0
    n = sc[_N]
    wmean = sc[_WMEAN]
    wm2 = sc[_WM2]
    mu = sc[_MU]
    sd = sc[_SD]
    cp = sc[_CPLUS]
    cm = sc[_CMINUS]
    for i in range(x.shape[0]):
        v = x[i]
        if drift:
            drift = False
            n = 0.0
            wmean = 0.0
            wm2 = 0.0
            mu = target_mean
            sd = target_sd
            cp = 0.0
            cm = 0.0
        n += 1.0
        if n <= min_instances and (math.isnan(target_mean) or math.isnan(target_sd)):
            # warm-up: estimate what was not given (Welford), signal nothing
            delta = v - wmean
            wmean += delta / n
            wm2 += delta * (v - wmean)
            if n == min_instances:
                if math.isnan(target_mean):
                    mu = wmean
                if math.isnan(target_sd):
                    sd = math.sqrt(wm2 / (n - 1.0))
            continue
        cp = max(0.0, cp + (v - mu) - k * sd)
        cm = max(0.0, cm + (mu - v) - k * sd)
        limit = h * sd
        if mode == 0:
            drift = cp > limit
        elif mode == 1:
            drift = cm > limit
        else:
            drift = cp > limit or cm > limit
        if drift:
            codes[i] = 2
    sc[0] = 1.0 if drift else 0.0
    sc[_N] = n
    sc[_WMEAN] = wmean
    sc[_WM2] = wm2
    sc[_MU] = mu
    sc[_SD] = sd
    sc[_CPLUS] = cp
    sc[_CMINUS] = cm


class CUSUM(DriftDetector):
    r"""Two-sided tabular CUSUM chart for a shift of the mean.

    With target mean :math:`\mu_0` and standard deviation :math:`\sigma`,
    it accumulates
    :math:`C^+_i = \max(0, C^+_{i-1} + x_i - \mu_0 - k\sigma)` and
    :math:`C^-_i = \max(0, C^-_{i-1} + \mu_0 - x_i - k\sigma)`
    and signals a change when either exceeds :math:`h\sigma`. The allowance ``k``
    is half the shift (in sd units) the chart is tuned to find fastest; ``h`` sets
    the false-alarm rate (``k=0.5, h=5`` gives an in-control average run length of
    about 465 for normal data, Montgomery table 9.3). When ``target_mean`` or
    ``target_sd`` is None it is estimated from the first ``min_instances`` values
    (a warm-up, during which nothing is signalled), and re-estimated after each
    detection, when the chart restarts; with both given there is no warm-up. If
    the warm-up is constant the estimated sd is 0 and any departure signals. No
    warning zone. CUSUM has no River counterpart.

    Parameters
    ----------
    min_instances
        Length of the warm-up that estimates the target mean and sd.
    target_mean
        In-control mean; None estimates it during the warm-up.
    target_sd
        In-control standard deviation; None estimates it during the warm-up.
    k
        Allowance, in sd units.
    h
        Decision threshold, in sd units; larger means fewer and later detections.
        This is what :func:`~modelsteward.detectors.calibrate` sets.
    mode
        ``"up"`` (increases only, e.g. for error rates), ``"down"`` or ``"both"``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import CUSUM
    >>> rng = np.random.default_rng(42)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)])
    >>> CUSUM(min_instances=200, h=8.0).update_many(stream)
    array([1006])

    References
    ----------
    E. S. Page (1954). Continuous inspection schemes. Biometrika 41(1/2), 100-115.
    D. C. Montgomery (2019). Introduction to Statistical Quality Control, 8th ed.,
    section 9.1 (the tabular CUSUM). Wiley.
    """

    _sensitivity = ("h", 1)

    def __init__(
        self,
        min_instances: int = 30,
        target_mean: float | None = None,
        target_sd: float | None = None,
        k: float = 0.5,
        h: float = 5.0,
        mode: str = "both",
    ) -> None:
        self.min_instances = min_instances
        self.target_mean = target_mean
        self.target_sd = target_sd
        self.k = k
        self.h = h
        self.mode = mode
        super().__init__()

    def _check_params(self) -> None:
        check_positive(self, "min_instances", self.min_instances, integer=True, allow_zero=True)
        if self.target_mean is not None and not (
            isinstance(self.target_mean, int | float) and math.isfinite(self.target_mean)
        ):
            raise ParameterError(
                f"The 'target_mean' parameter of CUSUM must be a finite number or None. "
                f"Got {self.target_mean!r} instead."
            )
        if self.target_sd is not None:
            check_positive(self, "target_sd", self.target_sd, allow_zero=True)
        if (self.target_mean is None or self.target_sd is None) and self.min_instances < 2:
            raise ParameterError(
                "The 'min_instances' parameter of CUSUM must be at least 2 when "
                f"'target_mean' or 'target_sd' is estimated. Got {self.min_instances!r} instead."
            )
        check_positive(self, "k", self.k, allow_zero=True)
        check_positive(self, "h", self.h, allow_zero=True)
        if self.mode not in _MODES:
            raise ParameterError(
                f"The 'mode' parameter of CUSUM must be one of 'up', 'down', 'both'. "
                f"Got {self.mode!r} instead."
            )

    def _targets(self) -> tuple[float, float]:
        mu = math.nan if self.target_mean is None else float(self.target_mean)
        sd = math.nan if self.target_sd is None else float(self.target_sd)
        return mu, sd

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(9)
        sc[_MU], sc[_SD] = self._targets()
        return {"sc": sc}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        mu, sd = self._targets()
        pick(_cusum_kernel)(
            x,
            codes,
            self._state["sc"],
            float(self.min_instances),
            mu,
            sd,
            float(self.k),
            float(self.h),
            _MODES[self.mode],
        )
