"""HDDM with the weighted moving-average test (Frías-Blanco et al. 2014; River's ``HDDM_W``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelsteward.detectors._base import CodeArray, FloatArray, check_open_unit
from modelsteward.detectors._compile import kernel
from modelsteward.detectors._hddm import HDDM

__all__ = ["HDDM_W"]

# state["sc"]: 0 drift, 1 warning, 2 increase cut point, 3 decrease cut point, then
# five samples (EWMA, initialised flag, independent bound condition) of 3 slots each.
_INCR_CUT, _DECR_CUT = 2, 3
_TOTAL, _S1_INCR, _S2_INCR, _S1_DECR, _S2_DECR = 4, 7, 10, 13, 16


@kernel
def _hddm_w_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    drift_confidence: float,
    warning_confidence: float,
    two_sided: bool,
    lam: float,
    lam_sq: float,
    c_lam_sq: float,
) -> None:
    one_minus_lam = 1.0 - lam
    log_d = math.log(1 / drift_confidence)
    log_w = math.log(1 / warning_confidence)
    for i in range(x.shape[0]):
        v = x[i]
        if sc[0] != 0.0:
            sc[0] = 0.0
            sc[1] = 0.0
            sc[_INCR_CUT] = math.inf
            sc[_DECR_CUT] = -math.inf
            for s in range(_TOTAL, _S2_DECR + 3, 3):
                sc[s] = 0.0
                sc[s + 1] = 0.0
                sc[s + 2] = 1.0
        # total sample
        sc[_TOTAL] = v if sc[_TOTAL + 1] == 0.0 else lam * v + one_minus_lam * sc[_TOTAL]
        sc[_TOTAL + 1] = 1.0
        sc[_TOTAL + 2] = lam_sq + c_lam_sq * sc[_TOTAL + 2]
        # increase statistics
        eps = math.sqrt(sc[_TOTAL + 2] * log_d / 2)
        if sc[_TOTAL] + eps < sc[_INCR_CUT]:
            sc[_INCR_CUT] = sc[_TOTAL] + eps
            for k in range(3):
                sc[_S1_INCR + k] = sc[_TOTAL + k]
            sc[_S2_INCR] = 0.0
            sc[_S2_INCR + 1] = 0.0
            sc[_S2_INCR + 2] = 1.0
        else:
            s = _S2_INCR
            sc[s] = v if sc[s + 1] == 0.0 else lam * v + one_minus_lam * sc[s]
            sc[s + 1] = 1.0
            sc[s + 2] = lam_sq + c_lam_sq * sc[s + 2]
        drift = False
        warning = False
        if sc[_S1_INCR + 1] != 0.0 and sc[_S2_INCR + 1] != 0.0:
            ibc = sc[_S1_INCR + 2] + sc[_S2_INCR + 2]
            diff = sc[_S2_INCR] - sc[_S1_INCR]
            if diff > math.sqrt(ibc * log_d / 2):
                drift = True
            elif diff > math.sqrt(ibc * log_w / 2):
                warning = True
        # decrease statistics
        eps = math.sqrt(sc[_TOTAL + 2] * log_d / 2)
        if sc[_TOTAL] - eps > sc[_DECR_CUT]:
            sc[_DECR_CUT] = sc[_TOTAL] - eps
            for k in range(3):
                sc[_S1_DECR + k] = sc[_TOTAL + k]
            sc[_S2_DECR] = 0.0
            sc[_S2_DECR + 1] = 0.0
            sc[_S2_DECR + 2] = 1.0
        else:
            s = _S2_DECR
            sc[s] = v if sc[s + 1] == 0.0 else lam * v + one_minus_lam * sc[s]
            sc[s + 1] = 1.0
            sc[s + 2] = lam_sq + c_lam_sq * sc[s + 2]
        if two_sided and sc[_S2_DECR + 1] != 0.0 and sc[_S1_DECR + 1] != 0.0:
            ibc = sc[_S2_DECR + 2] + sc[_S1_DECR + 2]
            diff = sc[_S1_DECR] - sc[_S2_DECR]
            if diff > math.sqrt(ibc * log_d / 2):
                drift = True
            elif diff > math.sqrt(ibc * log_w / 2):
                warning = True
        sc[0] = 1.0 if drift else 0.0
        sc[1] = 1.0 if warning else 0.0
        codes[i] = (2 if drift else 0) | (1 if warning else 0)


class HDDM_W(HDDM):
    """Hoeffding's-bound drift detection with the weighted moving-average test (HDDM_W).

    Compares exponentially weighted moving averages (weight ``lambda_val`` on the
    newest value) before and after a cut point, with McDiarmid's bound at
    ``drift_confidence`` (warning at ``warning_confidence``); ``two_sided_test``
    also watches decreases. Same parameters, defaults and detections as River
    0.26's ``drift.binary.HDDM_W``. Values must lie in [0, 1] (see
    :class:`~modelsteward.detectors.HDDM_A` for why fractions are accepted).

    Parameters
    ----------
    drift_confidence
        Significance of the drift test; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.
    warning_confidence
        Significance of the warning test.
    lambda_val
        Weight of the newest value in the moving averages.
    two_sided_test
        Also detect decreases of the mean when true.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import HDDM_W
    >>> rng = np.random.default_rng(42)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> HDDM_W().update_many(errors)
    array([1184])

    References
    ----------
    I. Frías-Blanco, J. del Campo-Ávila, G. Ramos-Jiménez, R. Morales-Bueno,
    A. Ortiz-Díaz, Y. Caballero-Mota (2015). Online and non-parametric drift
    detection methods based on Hoeffding's bounds. IEEE TKDE 27(3), 810-823.
    """

    def __init__(
        self,
        drift_confidence: float = 0.001,
        warning_confidence: float = 0.005,
        lambda_val: float = 0.05,
        two_sided_test: bool = False,
    ) -> None:
        self.lambda_val = lambda_val
        super().__init__(drift_confidence, warning_confidence, two_sided_test)

    def _check_params(self) -> None:
        super()._check_params()
        check_open_unit(self, "lambda_val", self.lambda_val, closed=True)

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(_S2_DECR + 3)
        sc[_INCR_CUT] = math.inf
        sc[_DECR_CUT] = -math.inf
        for s in range(_TOTAL, _S2_DECR + 3, 3):
            sc[s + 2] = 1.0
        return {"sc": sc}

    def _kernel(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        lam = float(self.lambda_val)
        return _hddm_w_kernel, (lam, lam * lam, (1 - lam) ** 2)
