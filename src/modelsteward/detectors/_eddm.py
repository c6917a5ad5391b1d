"""Early Drift Detection Method (Baena-García et al. 2006; River's ``drift.binary.EDDM``)."""

from __future__ import annotations

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

__all__ = ["EDDM"]

# state["sc"] layout: 0 drift, 1 warning, then:
_N, _LAST_ERR, _N_ERR, _P2S_MAX, _D_N, _D_MEAN, _D_S = 2, 3, 4, 5, 6, 7, 8


@kernel
def _eddm_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    warm_start: float,
    alpha: float,
    beta: float,
) -> None:
    drift = sc[0] != 0.0
    warning = sc[1] != 0.0
    n = sc[_N]
    last_err = sc[_LAST_ERR]
    n_err = sc[_N_ERR]
    p2s_max = sc[_P2S_MAX]
    d_n = sc[_D_N]
    d_mean = sc[_D_MEAN]
    d_s = sc[_D_S]
    for i in range(x.shape[0]):
        if drift:
            drift = False
            warning = False
            n = 0.0
            last_err = 0.0
            n_err = 0.0
            p2s_max = -1.0
            d_n = 0.0
            d_mean = 0.0
            d_s = 0.0
        n += 1.0
        if x[i] == 1.0:
            n_err += 1.0
            dist = n - last_err
            mean_old = d_mean
            d_n += 1.0
            d_mean += (1.0 / d_n) * (dist - d_mean)
            d_s += 1.0 * (dist - mean_old) * (dist - d_mean)
            if n > warm_start:
                var = d_s / (d_n - 1.0) if d_n > 1.0 else 0.0
                p2s = d_mean + 2 * var**0.5
                if p2s > p2s_max:
                    p2s_max = p2s
                elif n_err > warm_start:
                    level = p2s / p2s_max
                    if level < beta:
                        drift = True
                    elif level < alpha:
                        warning = True
                    else:
                        warning = False
            last_err = n
        codes[i] = (2 if drift else 0) | (1 if warning else 0)
    sc[0] = 1.0 if drift else 0.0
    sc[1] = 1.0 if warning else 0.0
    sc[_N] = n
    sc[_LAST_ERR] = last_err
    sc[_N_ERR] = n_err
    sc[_P2S_MAX] = p2s_max
    sc[_D_N] = d_n
    sc[_D_MEAN] = d_mean
    sc[_D_S] = d_s


class EDDM(DriftDetector):
    """Early Drift Detection Method: the distance between errors shrinking.

    Input is a stream of 0/1 values (1 = the model erred). EDDM tracks the mean
    ``p'`` and standard deviation ``s'`` of the distance between consecutive errors
    and remembers the largest ``p' + 2 s'``. When the ratio of the current value to
    that maximum falls below ``alpha`` it warns, below ``beta`` it signals a drift.
    Same parameters, defaults and detections as River 0.26's
    ``drift.binary.EDDM``; values other than 0/1 are rejected.

    River behaviour kept for parity (and tested): the warning flag is only
    re-evaluated on errors, so it stays set across correct predictions and is not
    cleared when a drift fires; ``warm_start`` counts elements for the maximum but
    errors for the level test.

    Parameters
    ----------
    warm_start
        Minimum number of elements, and of errors, before drifts can fire.
    alpha
        Warning ratio, in (0, 1]; must be at least ``beta``.
    beta
        Drift ratio, in (0, 1]; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import EDDM
    >>> rng = np.random.default_rng(42)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> EDDM(alpha=0.8, beta=0.75).update_many(errors)
    array([1392])

    References
    ----------
    M. Baena-García, J. del Campo-Ávila, R. Fidalgo, A. Bifet, R. Gavaldà,
    R. Morales-Bueno (2006). Early drift detection method. Fourth International
    Workshop on Knowledge Discovery from Data Streams.
    """

    _has_warning = True
    _domain = "binary"
    _sensitivity = ("beta", -1)

    def __init__(self, warm_start: int = 30, alpha: float = 0.95, beta: float = 0.9) -> None:
        self.warm_start = warm_start
        self.alpha = alpha
        self.beta = beta
        super().__init__()

    def _check_params(self) -> None:
        check_positive(self, "warm_start", self.warm_start, integer=True, allow_zero=True)
        check_open_unit(self, "alpha", self.alpha, closed=True)
        check_open_unit(self, "beta", self.beta, closed=True)
        if self.alpha < self.beta:
            raise ParameterError(
                f"The 'alpha' parameter of EDDM must be at least 'beta' ({self.beta!r}). "
                f"Got {self.alpha!r} instead."
            )

    @property
    def warning_detected(self) -> bool:
        """Whether the detector is in its warning zone after the last element."""
        return bool(self._state["sc"][1])

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(9)
        sc[_P2S_MAX] = -1.0
        return {"sc": sc}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        pick(_eddm_kernel)(
            x,
            codes,
            self._state["sc"],
            float(self.warm_start),
            float(self.alpha),
            float(self.beta),
        )
