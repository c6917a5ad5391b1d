"""Set a detector's threshold from reference data: a target false-alarm rate.

Procedure (``calibrate``):

1. Resample the reference with a moving-block bootstrap into
   ``N = ceil(10 / false_alarm_rate)`` values. Two thirds of them form one long
   stream (how the detector behaves long after a restart: statistics such as
   Page-Hinkley's running extreme make alarms more likely the longer a detector
   runs), the rest independent streams of 10,000 values, each starting a fresh
   detector (behaviour soon after a restart, warm-up included). ``N`` is capped at
   10,000,000 values (300,000 for KSWIN, whose test is costlier). Blocks of
   ``block_length`` consecutive values keep short-range autocorrelation. By
   default the length is 1 (plain resampling) unless one of the reference's first
   ten autocorrelations exceeds ``3 / sqrt(n)``, then ``round(n ** (1/3))``: longer
   blocks than needed only repeat the reference's own local patterns, which hides
   the rare runs that cause false alarms.
2. A parameter value is accepted when it raises no alarm on those streams. Zero
   alarms in ``10 / rate`` values put the one-sided 95% upper bound on the rate at
   ``3 / N``, a third of ``false_alarm_rate``. That margin is on purpose: alarms
   cluster (a detector restarted by an alarm is often alarm-prone, e.g. DDM right
   after its warm-up), so allowing a Poisson count of alarms would under-state the
   rate. When the cap leaves ``N < 10 / rate`` the bound is ``3 / N`` instead.
3. The sensitivity parameter (PageHinkley ``threshold``, ADWIN ``delta``, DDM
   ``drift_threshold``, EDDM ``beta``, HDDM ``drift_confidence``, KSWIN ``alpha``,
   CUSUM ``h``) is searched on a log scale: from its current value in steps of 4x
   until one side passes and the other fails, then by bisection (8 halvings, a
   resolution of about 0.5%). The same resampled streams serve every candidate
   (common random numbers), which keeps the alarm count monotone in practice.
   KSWIN's threshold only matters through which multiple of ``1 / stat_size`` the
   KS statistic must reach, so its candidates are scipy's p-values at those
   multiples.
4. CUSUM without ``target_mean`` / ``target_sd`` would estimate them from a short
   warm-up after every restart, and a quiet warm-up (no error among the first 30
   values of a 10% error stream) makes any later error an alarm. ``calibrate`` sets
   the missing targets from the whole reference first (Phase I estimation, as
   Montgomery prescribes) and then searches ``h``.
5. Some alarms no threshold can prevent: DDM fires on the first error after a
   warm-up without errors (its ``s_min`` is 0), whatever ``drift_threshold`` is.
   When the threshold alone cannot reach the rate, the warm-up parameter (DDM and
   EDDM ``warm_start``, PageHinkley and CUSUM ``min_instances``) is doubled, up to
   64 times its value, and the search repeated.

Cost: about 10-14 runs of ``update_many`` over at most ``N`` values each (a failing
run stops at its first alarm): at the default rate of 1e-5 about 10-14 million
updates, well under a second for most compiled detectors, one to two seconds for
ADWIN and HDDM_A, and a few seconds for KSWIN (300,000 values a run). At 1e-6
(10,000,000 values a run) it is ten times that.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar, cast

import numpy as np

from modelsteward.detectors._base import DriftDetector, FloatArray, as_stream
from modelsteward.detectors._cusum import CUSUM
from modelsteward.detectors._ks import ks_pvalues
from modelsteward.detectors._kswin import KSWIN
from modelsteward.errors import InputError, ParameterError

__all__ = ["calibrate"]

D = TypeVar("D", bound=DriftDetector)

_STREAM = 10_000
_MAX_ELEMENTS = 10_000_000
_MAX_ELEMENTS_KSWIN = 300_000
_STEP = math.log(4.0)
_HALVINGS = 8
# parameters that live in (0, 1]: never searched above 1
_UNIT = {"delta", "drift_confidence", "alpha", "beta"}
# warm-up parameters calibrate may lengthen when the threshold alone cannot do it
_WARM_UP = {
    "DDM": "warm_start",
    "EDDM": "warm_start",
    "PageHinkley": "min_instances",
    "CUSUM": "min_instances",
}


class _Unreachable(Exception):
    """No value of the sensitivity parameter reaches the false-alarm rate."""


def _bootstrap(ref: FloatArray, n: int, block: int, seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    block = max(1, min(block, ref.shape[0]))
    n_blocks = -(-n // block)
    starts = rng.integers(0, ref.shape[0] - block + 1, size=n_blocks)
    idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:n]
    out: FloatArray = ref[idx]
    return out


def _default_block(ref: FloatArray) -> int:
    """1 for a reference without short-range autocorrelation, else ``round(n ** (1/3))``."""
    n = int(ref.shape[0])
    centred = ref - ref.mean()
    var = float(centred @ centred)
    if var == 0.0:
        return 1
    acf = [float(centred[:-lag] @ centred[lag:]) / var for lag in range(1, min(11, n))]
    if max(abs(a) for a in acf) > 3.0 / math.sqrt(n):
        return max(1, round(math.pow(n, 1 / 3)))
    return 1


def _params_for(detector: DriftDetector, name: str, value: float) -> dict[str, Any]:
    params = {name: value}
    current = detector.get_params()
    if name == "beta" and current.get("alpha", 1.0) < value:  # EDDM: alpha >= beta
        params["alpha"] = value
    return params


def _alarms(
    template: DriftDetector, params: dict[str, Any], streams: list[FloatArray], limit: int
) -> int:
    """Alarms over all streams, counting no further than ``limit + 1``."""
    total = 0
    for s in streams:
        total += int(template.clone(**params).update_many(s).shape[0])
        if total > limit:
            break
    return total


def calibrate(
    detector: D,
    reference_values: Any,
    *,
    false_alarm_rate: float = 1e-5,
    seed: int = 0,
    block_length: int | None = None,
) -> D:
    """A new detector like ``detector`` whose threshold targets ``false_alarm_rate``.

    The returned detector raises at most ``false_alarm_rate`` false alarms per
    element on data like ``reference_values`` (estimated by resampling it; see the
    module docstring for the procedure and its cost). It also carries
    ``calibration_``: the parameter set, its value, and the simulation size.

    >>> import numpy as np
    >>> from modelsteward.detectors import PageHinkley, calibrate
    >>> rng = np.random.default_rng(0)
    >>> reference = (rng.random(20_000) < 0.1).astype(float)
    >>> ph = calibrate(PageHinkley(), reference)
    >>> ph.calibration_["parameter"], ph.threshold > PageHinkley().threshold
    ('threshold', True)
    >>> stable = (rng.random(200_000) < 0.1).astype(float)  # more of the same
    >>> len(PageHinkley().update_many(stable)), len(ph.update_many(stable))
    (6, 0)
    """
    if not isinstance(detector, DriftDetector):
        raise ParameterError(f"calibrate needs a detector, got {type(detector).__name__}")
    if not (isinstance(false_alarm_rate, int | float) and 0.0 < false_alarm_rate < 1.0):
        raise ParameterError(
            f"The 'false_alarm_rate' parameter of calibrate must be a float in (0, 1). "
            f"Got {false_alarm_rate!r} instead."
        )
    ref = as_stream(reference_values, domain=detector._domain, owner=type(detector).__name__)
    if ref.shape[0] < 30:
        raise InputError(
            f"calibrate needs at least 30 reference values to resample, got {ref.shape[0]}"
        )
    name, direction = detector._sensitivity
    cap = _MAX_ELEMENTS_KSWIN if isinstance(detector, KSWIN) else _MAX_ELEMENTS
    n = int(min(max(math.ceil(10.0 / false_alarm_rate), 1_000), cap))
    allowed = 0
    block = block_length if block_length is not None else _default_block(ref)
    data = _bootstrap(ref, n, int(block), seed)
    long = 2 * n // 3
    streams = [data[:long]] + [data[i : i + _STREAM] for i in range(long, n, _STREAM)]
    evaluations = 0
    template: DriftDetector = detector
    if isinstance(detector, CUSUM):
        phase_one: dict[str, float] = {}
        if detector.target_mean is None:
            phase_one["target_mean"] = float(ref.mean())
        if detector.target_sd is None:
            phase_one["target_sd"] = float(ref.std(ddof=1))
        template = detector.clone(**phase_one)

    def passes(value: float) -> bool:
        nonlocal evaluations
        evaluations += 1
        found = _alarms(template, _params_for(template, name, value), streams, allowed)
        return found <= allowed

    warm = _WARM_UP.get(type(detector).__name__)
    value: float | None = None
    for _ in range(7):
        try:
            if isinstance(template, KSWIN):
                value = _search_grid(template, passes)
            else:
                start = float(getattr(template, name))
                value = _search_log(start, direction, name in _UNIT, passes)
        except _Unreachable:
            if warm is None:
                break
            template = template.clone(**{warm: max(2, 2 * int(getattr(template, warm)))})
            continue
        break
    if value is None:
        raise InputError(
            "calibrate could not find a threshold without false alarms on the resampled "
            "reference; is the reference itself drifting?"
        )
    out = cast(D, template.clone(**_params_for(template, name, value)))
    out.calibration_ = {
        "parameter": name,
        "value": value,
        "changed": {k: v for k, v in out.get_params().items() if v != detector.get_params()[k]},
        "false_alarm_rate": false_alarm_rate,
        "elements": n,
        "block_length": int(block),
        "evaluations": evaluations,
    }
    return out


def _search_log(start: float, direction: int, unit: bool, passes: Any) -> float:
    """Least strict value that passes, searching s = direction * log(value)."""
    # unit parameters stay <= 1, i.e. s = direction * log(value) on one side of 0
    upper_s = 0.0 if (unit and direction > 0) else math.inf
    lower_s = 0.0 if (unit and direction < 0) else -math.inf

    def value_of(s: float) -> float:
        return math.exp(direction * s)

    s0 = direction * math.log(start) if start > 0 else -20.0
    if passes(value_of(s0)):
        good = s0
        for _ in range(12):  # relax until it fails
            s = max(good - _STEP, lower_s)
            if s == good:
                return value_of(good)
            if not passes(value_of(s)):
                bad = s
                break
            good = s
        else:
            return value_of(good)
    else:
        bad = s0
        for _ in range(20):  # tighten until it passes (4**20: beyond any useful value)
            s = min(bad + _STEP, upper_s)
            if s != bad and passes(value_of(s)):
                good = s
                break
            if s == bad:
                break
            bad = s
        else:
            s = bad
        if s == bad:
            raise _Unreachable
    for _ in range(_HALVINGS):
        mid = (good + bad) / 2
        if passes(value_of(mid)):
            good = mid
        else:
            bad = mid
    return value_of(good)


def _search_grid(detector: KSWIN, passes: Any) -> float:
    """KSWIN: choose among the p-values at multiples of 1 / stat_size."""
    r = int(detector.stat_size)
    grid = ks_pvalues(r)
    # candidate alphas, strictest (smallest) first; alpha = p_h rejects from multiple h on
    cands = sorted({p for h, p in enumerate(grid) if h / r > 0.1 and 0.0 < p < 1.0})
    if not cands:
        raise InputError("calibrate: KSWIN's stat_size is too small to calibrate")
    lo, hi = 0, len(cands) - 1
    if not passes(cands[lo]):
        raise _Unreachable
    while lo < hi:  # invariant: cands[lo] passes
        mid = (lo + hi + 1) // 2
        if passes(cands[mid]):
            lo = mid
        else:
            hi = mid - 1
    return cands[lo]
