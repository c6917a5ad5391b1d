"""Kolmogorov-Smirnov windowing (Raab et al. 2020; River's ``drift.KSWIN``)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from typing import Any

import numpy as np

from modelsteward.detectors._base import (
    CodeArray,
    DriftDetector,
    FloatArray,
    as_stream,
    check_open_unit,
    check_positive,
)
from modelsteward.detectors._compile import pick
from modelsteward.detectors._ks import rejects
from modelsteward.detectors._kswin_kernel import _MTI, _MTI_SEED, _WLEN, kswin_scan
from modelsteward.errors import ParameterError

__all__ = ["KSWIN"]


class KSWIN(DriftDetector):
    r"""Kolmogorov-Smirnov windowing: compare the newest values with older ones.

    Keeps the last ``window_size`` values. Once full, each new value triggers a
    two-sample KS test between the newest ``stat_size`` values and ``stat_size``
    values drawn at random (seeded by ``seed``) from the older part; a change is
    signalled when the p-value is at most ``alpha`` and the statistic exceeds 0.1.
    Same parameters, defaults and detections as River 0.26's ``drift.KSWIN``: the
    random draws reproduce Python's ``random.Random(seed).sample`` and the test
    reproduces ``scipy.stats.ks_2samp``, but run in one compiled loop (River calls
    scipy per element, about 2,000 values/s).

    River behaviour kept for parity (and tested): after a detection River keeps the
    newest ``stat_size`` values as the new window, but its next ``update`` resets the
    detector, so the window restarts empty (no test for the next ``window_size - 1``
    values) and the generator is re-seeded with ``seed``. ``window`` (values to
    start with) is used at construction and by :meth:`reset`, not after a detection.
    With ``seed=None`` the generator is seeded from system entropy once per reset.

    Parameters
    ----------
    alpha
        Significance of the KS test; smaller means fewer detections. This is what
        :func:`~modelsteward.detectors.calibrate` sets.
    window_size
        Length of the sliding window.
    stat_size
        Length of each of the two compared samples; ``window_size - stat_size``
        must be at least ``stat_size``.
    seed
        Seed of the random draws.
    window
        Values already collected, to avoid a cold start.

    Examples
    --------
    >>> import numpy as np
    >>> from modelsteward.detectors import KSWIN
    >>> rng = np.random.default_rng(42)
    >>> stream = np.concatenate([rng.normal(0, 1, 1000), rng.normal(2, 1, 1000)])
    >>> KSWIN(alpha=0.0001, seed=42).update_many(stream)
    array([1017])

    References
    ----------
    C. Raab, M. Heusinger, F.-M. Schleif (2020). Reactive soft prototype computing
    for concept drift streams. Neurocomputing 416, 340-351.
    """

    _sensitivity = ("alpha", -1)

    def __init__(
        self,
        alpha: float = 0.005,
        window_size: int = 100,
        stat_size: int = 30,
        seed: int | None = None,
        window: Iterable[float] | None = None,
    ) -> None:
        self.alpha = alpha
        self.window_size = window_size
        self.stat_size = stat_size
        self.seed = seed
        self.window = window
        super().__init__()

    def _check_params(self) -> None:
        check_open_unit(self, "alpha", self.alpha, closed=True)
        check_positive(self, "window_size", self.window_size, integer=True)
        check_positive(self, "stat_size", self.stat_size, integer=True)
        if self.window_size - self.stat_size < self.stat_size:
            raise ParameterError(
                f"The 'window_size' parameter of KSWIN must be at least twice 'stat_size' "
                f"({self.stat_size!r}) so that the older part can be sampled. "
                f"Got {self.window_size!r} instead."
            )
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ParameterError(
                f"The 'seed' parameter of KSWIN must be a non-negative integer or None. "
                f"Got {self.seed!r} instead."
            )

    def _initial_state(self) -> dict[str, np.ndarray[Any, Any]]:
        words = random.Random(self.seed).getstate()[1]
        mt = np.array(words[:624], dtype=np.uint32)
        sc = np.zeros(6)
        sc[_MTI] = sc[_MTI_SEED] = float(words[624])
        window = np.zeros(int(self.window_size))
        if self.window is not None:
            init = as_stream(list(self.window), owner="KSWIN window")[-int(self.window_size) :]
            window[: init.shape[0]] = init
            sc[_WLEN] = float(init.shape[0])
        return {"sc": sc, "window": window, "mt": mt, "mt_seed": mt.copy()}

    def _scan(self, x: FloatArray, codes: CodeArray) -> None:
        r = int(self.stat_size)
        pop = int(self.window_size) - r
        setsize = 21
        if r > 5:
            setsize += 4 ** math.ceil(math.log(r * 3, 4))
        st = self._state
        pick(kswin_scan)(
            x,
            codes,
            st["sc"],
            st["window"],
            st["mt"],
            st["mt_seed"],
            rejects(r, float(self.alpha)),
            r,
            pop <= setsize,
        )
