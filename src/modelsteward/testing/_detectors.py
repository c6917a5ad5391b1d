"""Conformance checks every streaming change detector must pass, the same way.

Each check takes a detector (used as a template: checks work on clones) and raises
``AssertionError`` with a message saying what broke. :func:`check_detector` runs
them all; :data:`DETECTOR_CHECKS` lists them for a parametrised test; and
:func:`all_detectors` discovers every detector class registered in
:mod:`modelsteward.detectors`, built with its defaults (and ``seed=0`` where it
takes one).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

import modelsteward.detectors as detectors_module
from modelsteward.detectors import DriftDetector, detector_classes
from modelsteward.errors import InputError

__all__ = [
    "DETECTOR_CHECKS",
    "all_detectors",
    "check_clone",
    "check_detector",
    "check_detects_clear_shift",
    "check_deterministic",
    "check_no_detection_on_constant_data",
    "check_rejects_bad_input",
    "check_repr",
    "check_reset",
    "check_serialisation_round_trip",
    "check_update_many_equals_update_loop",
]

Stream = npt.NDArray[np.float64]


def all_detectors() -> list[DriftDetector]:
    """One instance of every registered detector class, with default parameters."""
    out = []
    for name, cls in sorted(detector_classes().items()):
        params = {"seed": 0} if "seed" in cls._param_names() else {}
        out.append(cls(**params))
        del name
    return out


def _stream(det: DriftDetector, n: int = 3000, seed: int = 7, shift: bool = True) -> Stream:
    """A stream in the detector's domain, with a change in the middle when ``shift``."""
    rng = np.random.default_rng(seed)
    half = n // 2
    if det._domain in ("binary", "unit"):
        p1 = 0.6 if shift else 0.1
        first = rng.random(half) < 0.1
        return np.concatenate([first, rng.random(n - half) < p1]).astype(np.float64)
    mu1 = 4.0 if shift else 0.0
    return np.concatenate([rng.normal(0.0, 1.0, half), rng.normal(mu1, 1.0, n - half)])


def _trace(det: DriftDetector, values: Stream) -> list[tuple[bool, bool]]:
    """(drift, warning) after each element, fed one at a time."""
    out = []
    for v in values:
        det.update(float(v))
        out.append((det.drift_detected, bool(getattr(det, "warning_detected", False))))
    return out


def check_repr(template: DriftDetector) -> None:
    """``repr`` shows the class and every hyperparameter, and evaluates back to equal ones."""
    text = repr(template)
    name = type(template).__name__
    assert text.startswith(f"{name}("), f"repr {text!r} does not start with {name}("
    for param in template.get_params():
        assert f"{param}=" in text, f"repr {text!r} does not show {param!r}"
    namespace = {n: getattr(detectors_module, n) for n in detectors_module.__all__}
    again = eval(text, namespace)
    assert again.get_params() == template.get_params(), f"eval(repr) changed parameters: {text}"


def check_clone(template: DriftDetector) -> None:
    """``clone`` copies hyperparameters, not state."""
    det = template.clone()
    det.update_many(_stream(det))
    copy = det.clone()
    assert copy is not det and type(copy) is type(det), "clone must be a new detector"
    assert copy.get_params() == det.get_params(), "clone changed hyperparameters"
    fresh = template.clone().update_many(_stream(det, seed=8))
    got = copy.update_many(_stream(det, seed=8))
    assert np.array_equal(got, fresh), "clone carried state over from the original"


def check_reset(template: DriftDetector) -> None:
    """After ``reset`` a detector behaves like a new one."""
    det = template.clone()
    det.update_many(_stream(det, seed=3))
    det.reset()
    assert not det.drift_detected, "drift_detected still set after reset"
    expected = template.clone().update_many(_stream(det, seed=4))
    assert np.array_equal(det.update_many(_stream(det, seed=4)), expected), (
        "reset did not restore the initial state"
    )


def check_deterministic(template: DriftDetector) -> None:
    """Two detectors with the same parameters (and seed) agree on the same stream."""
    a = template.clone().update_many(_stream(template, seed=5))
    b = template.clone().update_many(_stream(template, seed=5))
    assert np.array_equal(a, b), f"{template!r} is not deterministic: {a} vs {b}"


def check_serialisation_round_trip(template: DriftDetector) -> None:
    """to_dict -> JSON -> from_dict mid-stream continues exactly like the original."""
    values = _stream(template, seed=6)
    cut = values.shape[0] // 3
    whole = template.clone()
    expected = _trace(whole, values)
    first = template.clone()
    head = _trace(first, values[:cut])
    text = json.dumps(first.to_dict(), allow_nan=False)
    second = type(template).from_dict(json.loads(text))
    assert repr(second) == repr(first), "round trip changed hyperparameters"
    generic = DriftDetector.from_dict(json.loads(text))
    assert type(generic) is type(template), "DriftDetector.from_dict picked the wrong class"
    tail = _trace(second, values[cut:])
    assert head + tail == expected, "a restored detector does not continue the stream exactly"


def check_no_detection_on_constant_data(template: DriftDetector) -> None:
    """Identical values never signal a change."""
    levels = [0.0, 1.0] if template._domain in ("binary", "unit") else [0.0, 3.25, -7.0]
    for level in levels:
        found = template.clone().update_many(np.full(5000, level))
        assert found.size == 0, f"{template!r} detected {found[:5]} on a constant {level}"


def check_detects_clear_shift(template: DriftDetector) -> None:
    """A large shift in the middle of the stream is detected within 1,000 elements."""
    values = _stream(template, n=6000, seed=9)
    found = template.clone().update_many(values)
    after = found[(found >= 3000) & (found < 4000)]
    assert after.size, f"{template!r} missed a clear shift at 3000 (detections: {found[:10]})"


def check_update_many_equals_update_loop(template: DriftDetector) -> None:
    """update_many over blocks of any size equals update on each element in turn."""
    values = _stream(template, seed=10)
    loop = template.clone()
    trace = _trace(loop, values)
    expected = [i for i, (d, _) in enumerate(trace) if d]
    det = template.clone()
    got: list[int] = []
    rng = np.random.default_rng(0)
    start = 0
    while start < values.shape[0]:
        stop = start + int(rng.integers(0, 400))
        got.extend(int(i) + start for i in det.update_many(values[start:stop]))
        if stop > start:
            assert det.drift_detected == trace[min(stop, values.shape[0]) - 1][0], (
                "drift_detected after update_many differs from the update loop"
            )
        start = stop
    assert got == expected, f"update_many gave {got[:10]}, the update loop {expected[:10]}"


def check_rejects_bad_input(template: DriftDetector) -> None:
    """NaN and non-numbers raise InputError naming the position, consuming nothing."""
    det = template.clone()
    values = _stream(template, n=200, shift=False)
    before = json.dumps(det.to_dict())
    for bad, word in ((float("nan"), "NaN"), ("x", "'x'"), (float("inf"), "inf")):
        data = list(values)
        data[17] = bad
        try:
            det.update_many(data)
        except InputError as exc:
            assert "index 17" in str(exc) and word in str(exc), f"unclear message: {exc}"
        else:
            raise AssertionError(f"{template!r} accepted {bad!r} at index 17")
    assert json.dumps(det.to_dict()) == before, "a rejected block changed the state"


#: Every check, in the order :func:`check_detector` runs them.
DETECTOR_CHECKS: tuple[Callable[[DriftDetector], None], ...] = (
    check_repr,
    check_clone,
    check_reset,
    check_deterministic,
    check_serialisation_round_trip,
    check_no_detection_on_constant_data,
    check_detects_clear_shift,
    check_update_many_equals_update_loop,
    check_rejects_bad_input,
)


def check_detector(template: DriftDetector) -> None:
    """Run every conformance check on ``template``."""
    for check in DETECTOR_CHECKS:
        check(template)
