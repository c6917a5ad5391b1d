"""HDDM with the moving-average test (Frías-Blanco et al. 2014; River's ``HDDM_A``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelsteward.detectors._base import CodeArray, FloatArray
from modelsteward.detectors._compile import kernel
from modelsteward.detectors._hddm import HDDM

__all__ = ["HDDM_A"]

# state["sc"] layout: 0 drift, 1 warning, then the three running means (n, mean):
_ZN, _ZM, _LN, _LM, _HN, _HM = 2, 3, 4, 5, 6, 7


@kernel
def _hddm_a_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    drift_confidence: float,
    warning_confidence: float,
    two_sided: bool,
) -> None:
    drift = sc[0] != 0.0
    warning = sc[1] != 0.0
    zn = sc[_ZN]
    zm = sc[_ZM]
    ln = sc[_LN]  # cut point for increases (River's _x_min)
    lm = sc[_LM]
    hn = sc[_HN]  # cut point for decreases (River's _x_max)
    hm = sc[_HM]
    log_d = math.log(1.0 / drift_confidence)
    for i in range(x.shape[0]):
        if drift:
            drift = False
            warning = False
            zn = 0.0
            zm = 0.0
            ln = 0.0
            lm = 0.0
            hn = 0.0
            hm = 0.0
        zn += 1.0
        zm += (1.0 / zn) * (x[i] - zm)
        if ln == 0.0:
            ln = zn
            lm = zm
        if hn == 0.0:
            hn = zn
            hm = zm
        eps_z = math.sqrt(1.0 / (2 * zn) * log_d)
        eps_x = math.sqrt(1.0 / (2 * ln) * log_d)
        if lm + eps_x >= zm + eps_z:
            ln = zn
            lm = zm
        eps_x = math.sqrt(1.0 / (2 * hn) * log_d)
        if hm - eps_x <= zm - eps_z:
            hn = zn
            hm = zm
        # has the mean increased since the cut point?
        incr_d = False
        incr_w = False
        if ln != zn:
            m = (zn - ln) / ln * (1.0 / zn)
            incr_d = zm - lm >= math.sqrt(m / 2 * math.log(2.0 / drift_confidence))
            incr_w = zm - lm >= math.sqrt(m / 2 * math.log(2.0 / warning_confidence))
        if incr_d:
            warning = False
            drift = True
        elif incr_w:
            warning = True
            drift = False
        else:
            warning = False
            drift = False
        if two_sided and hn != zn:
            m = (zn - hn) / hn * (1.0 / zn)
            if hm - zm >= math.sqrt(m / 2 * math.log(2.0 / drift_confidence)):
                drift = True
            elif hm - zm >= math.sqrt(m / 2 * math.log(2.0 / warning_confidence)):
                warning = True
        codes[i] = (2 if drift else 0) | (1 if warning else 0)
    sc[0] = 1.0 if drift else 0.0
    sc[1] = 1.0 if warning else 0.0
    sc[_ZN] = zn
    sc[_ZM] = zm
    sc[_LN] = ln
    sc[_LM] = lm
    sc[_HN] = hn
    sc[_HM] = hm


class HDDM_A(HDDM):
    """Hoeffding's-bound drift detection with the moving-average test (HDDM_A).

    Keeps the mean since the last reset and a cut point: the prefix whose mean plus
    its Hoeffding bound was lowest. A change is signalled when the mean since then
    exceeds the cut point's mean by more than the Hoeffding bound at
    ``drift_confidence`` (warning at ``warning_confidence``); ``two_sided_test``
    also watches decreases. Same parameters, defaults and detections as River
    0.26's ``drift.binary.HDDM_A``.

    Input values must lie in [0, 1] (1 = error). River documents 0/1 bits; the
    Hoeffding bound holds for any variable bounded in [0, 1], so fractions (for
    example a per-batch error rate) are accepted too, and values outside [0, 1]
    are rejected with :class:`~modelsteward.errors.InputError`.

    Parameters
    ----------
    drift_confidence
        Significance of the drift test; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.
    warning_confidence
        Significance of the warning test.
    two_sided_test
        Also detect decreases of the mean when true.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import HDDM_A
    >>> rng = np.random.default_rng(42)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> HDDM_A().update_many(errors)
    array([1157])

    References
    ----------
    I. Frías-Blanco, J. del Campo-Ávila, G. Ramos-Jiménez, R. Morales-Bueno,
    A. Ortiz-Díaz, Y. Caballero-Mota (2015). Online and non-parametric drift
    detection methods based on Hoeffding's bounds. IEEE TKDE 27(3), 810-823.
    """

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        return {"sc": np.zeros(8)}

    def _kernel(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return _hddm_a_kernel, ()
