"""Page-Hinkley test for a change in the mean (River's ``drift.PageHinkley``)."""

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

__all__ = ["PageHinkley"]

_MODES = {"up": 0, "down": 1, "both": 2}

# state["sc"] layout
_N, _MEAN, _SUM_INC, _SUM_DEC, _MIN_INC, _MAX_DEC = 2, 3, 4, 5, 6, 7


@kernel
def _ph_kernel(
    x: FloatArray,
    codes: CodeArray,
    sc: FloatArray,
    min_instances: float,
    delta: float,
    threshold: float,
    alpha: float,
    mode: int,
) -> None:
    n = sc[_N]
    mean = sc[_MEAN]
    s_inc = sc[_SUM_INC]
    s_dec = sc[_SUM_DEC]
    min_inc = sc[_MIN_INC]
    max_dec = sc[_MAX_DEC]
    drift = sc[0] != 0.0
    for i in range(x.shape[0]):
        v = x[i]
        if drift:
            drift = False
            n = 0.0
            mean = 0.0
            s_inc = 0.0
            s_dec = 0.0
            min_inc = math.inf
            max_dec = -1.0
        n += 1.0
        mean += (1.0 / n) * (v - mean)
        dev = v - mean
        s_inc = alpha * s_inc + dev - delta
        s_dec = alpha * s_dec + dev + delta
        if s_inc < min_inc:
            min_inc = s_inc
        if s_dec > max_dec:
            max_dec = s_dec
        if n >= min_instances:
            up = s_inc - min_inc > threshold
            down = max_dec - s_dec > threshold
            if mode == 0:
                drift = up
            elif mode == 1:
                drift = down
            else:
                drift = up or down
            if drift:
                codes[i] = 2
    sc[0] = 1.0 if drift else 0.0
    sc[_N] = n
    sc[_MEAN] = mean
    sc[_SUM_INC] = s_inc
    sc[_SUM_DEC] = s_dec
    sc[_MIN_INC] = min_inc
    sc[_MAX_DEC] = max_dec


class PageHinkley(DriftDetector):
    """Page-Hinkley test: a cumulative sum of deviations from the running mean.

    Keeps the running mean of everything seen since the last detection and two
    faded cumulative sums of the deviations from it (minus / plus ``delta``). A
    change is detected when a sum moves more than ``threshold`` away from its
    extreme. Page-Hinkley has no warning zone. Same parameters, defaults and
    detections as River 0.26's ``drift.PageHinkley``.

    Parameters
    ----------
    min_instances
        Number of values since the last reset before a change can be detected.
    delta
        Magnitude of change tolerated (subtracted from each deviation).
    threshold
        Detection threshold (lambda); larger means fewer and later detections.
        This is what :func:`~modelsteward.detectors.calibrate` sets.
    alpha
        Forgetting factor applied to the cumulative sums.
    mode
        ``"up"`` (increases only), ``"down"`` (decreases only) or ``"both"``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import PageHinkley
    >>> rng = np.random.default_rng(42)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(3, 1, 1000)])
    >>> PageHinkley().update_many(stream)
    array([1011, 1920])

    References
    ----------
    E. S. Page (1954). Continuous inspection schemes. Biometrika 41(1/2), 100-115.
    D. V. Hinkley (1971). Inference about the change-point from cumulative sum tests.
    Biometrika 58(3), 509-523.
    """

    _sensitivity = ("threshold", 1)

    def __init__(
        self,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: str = "both",
    ) -> None:
        self.min_instances = min_instances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.mode = mode
        super().__init__()

    def _check_params(self) -> None:
        check_positive(self, "min_instances", self.min_instances, integer=True, allow_zero=True)
        check_positive(self, "delta", self.delta, allow_zero=True)
        check_positive(self, "threshold", self.threshold, allow_zero=True)
        check_open_unit(self, "alpha", self.alpha, closed=True)
        if self.mode not in _MODES:
            raise ParameterError(
                f"The 'mode' parameter of PageHinkley must be one of 'up', 'down', 'both'. "
                f"Got {self.mode!r} instead."
            )

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        sc = np.zeros(8)
        sc[_MIN_INC] = math.inf
        sc[_MAX_DEC] = -1.0
        return {"sc": sc}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        pick(_ph_kernel)(
            x,
            codes,
            self._state["sc"],
            float(self.min_instances),
            float(self.delta),
            float(self.threshold),
            float(self.alpha),
            _MODES[self.mode],
        )
