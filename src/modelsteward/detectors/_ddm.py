"""Drift Detection Method (Gama et al. 2004; River's ``drift.binary.DDM``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from modelsteward.detectors._base import CodeArray, DriftDetector, FloatArray, check_positive
from modelsteward.detectors._compile import kernel, pick

__all__ = ["DDM"]

# state["sc"] layout: 0 drift, 1 warning, then:
_N, _P, _P_MIN, _S_MIN, _PS_MIN = 2, 3, 4, 5, 6


@kernel
def _ddm_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    warm_start: float,
    warning_threshold: float,
    drift_threshold: float,
) -> None:
    drift = sc[0] != 0.0
    warning = sc[1] != 0.0
    n = sc[_N]
    p = sc[_P]
    p_min = sc[_P_MIN]
    s_min = sc[_S_MIN]
    ps_min = sc[_PS_MIN]
    for i in range(x.shape[0]):
        if drift:
            drift = False
            warning = False
            n = 0.0
            p = 0.0
            p_min = math.nan
            s_min = math.nan
            ps_min = math.inf
        n += 1.0
        p += (1.0 / n) * (x[i] - p)
        s = math.sqrt(p * (1 - p) / n)
        if n > warm_start:
            if p + s <= ps_min:
                p_min = p
                s_min = s
                ps_min = p_min + s_min
            warning = p + s > p_min + warning_threshold * s_min
            if p + s > p_min + drift_threshold * s_min:
                drift = True
                warning = False
        codes[i] = (2 if drift else 0) | (1 if warning else 0)
    sc[0] = 1.0 if drift else 0.0
    sc[1] = 1.0 if warning else 0.0
    sc[_N] = n
    sc[_P] = p
    sc[_P_MIN] = p_min
    sc[_S_MIN] = s_min
    sc[_PS_MIN] = ps_min


class DDM(DriftDetector):
    """Drift Detection Method: the error rate rising above its best level.

    Input is a stream of 0/1 values (1 = the model erred). With ``p`` the error
    rate since the last reset and ``s = sqrt(p (1 - p) / n)``, DDM remembers the
    point where ``p + s`` was smallest (``p_min``, ``s_min``) and signals a warning
    when ``p + s > p_min + warning_threshold * s_min`` and a drift when
    ``p + s > p_min + drift_threshold * s_min``. Same parameters, defaults and
    detections as River 0.26's ``drift.binary.DDM``. Values other than 0/1 are
    rejected with :class:`~modelsteward.errors.InputError` (River would compute
    the square root of a negative number for values above 1).

    A property of DDM (River's too, kept for parity and tested): if no error
    arrives during the warm-up, ``s_min`` is 0 and the first error afterwards is a
    drift whatever ``drift_threshold`` is. :func:`~modelsteward.detectors.calibrate`
    lengthens ``warm_start`` when that alone would exceed the false-alarm rate.

    Parameters
    ----------
    warm_start
        Number of values since the last reset before warnings or drifts can fire.
    warning_threshold
        Warning level, in standard deviations (2 gives about 95% confidence).
    drift_threshold
        Drift level, in standard deviations (3 gives about 99% confidence); this is
        what :func:`~modelsteward.detectors.calibrate` sets.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import DDM
    >>> rng = np.random.default_rng(42)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> DDM().update_many(errors)
    array([1243])

    References
    ----------
    J. Gama, P. Medas, G. Castillo, P. Rodrigues (2004). Learning with drift
    detection. SBIA 2004, LNCS 3171, 286-295.
    """

    _has_warning = True
    _domain = "binary"
    _sensitivity = ("drift_threshold", 1)

    def __init__(
        self, warm_start: int = 30, warning_threshold: float = 2.0, drift_threshold: float = 3.0
    ) -> None:
        self.warm_start = warm_start
        self.warning_threshold = warning_threshold
        self.drift_threshold = drift_threshold
        super().__init__()

    def _check_params(self) -> None:
        check_positive(self, "warm_start", self.warm_start, integer=True, allow_zero=True)
        check_positive(self, "warning_threshold", self.warning_threshold, allow_zero=True)
        check_positive(self, "drift_threshold", self.drift_threshold, allow_zero=True)

    @property
    def warning_detected(self) -> bool:
        """Whether the last element put the detector in its warning zone."""
        return bool(self._state["sc"][1])

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(7)
        sc[_P_MIN] = math.nan
        sc[_S_MIN] = math.nan
        sc[_PS_MIN] = math.inf
        return {"sc": sc}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        pick(_ddm_kernel)(
            x,
            codes,
            self._state["sc"],
            float(self.warm_start),
            float(self.warning_threshold),
            float(self.drift_threshold),
        )
