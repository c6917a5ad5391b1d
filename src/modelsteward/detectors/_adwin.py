"""ADaptive WINdowing (Bifet & Gavaldà 2007; River's ``drift.ADWIN``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from modelsteward.detectors._adwin_kernel import (
    _LEVELS,
    _N_DET,
    _N_LEVELS,
    _TOTAL,
    _WIDTH,
    adwin_scan,
)
from modelsteward.detectors._base import (
    CodeArray,
    DriftDetector,
    FloatArray,
    check_open_unit,
    check_positive,
)
from modelsteward.detectors._compile import pick
from modelsteward.errors import ParameterError

__all__ = ["ADWIN"]


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
        kernel = pick(adwin_scan)
        kernel(x, codes, st["sc"], st["totals"], st["variances"], st["counts"], params)
