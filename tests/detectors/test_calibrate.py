"""calibrate(): a threshold with no false alarms on resampled reference data."""

from __future__ import annotations

import numpy as np
import pytest

from modelsteward import detectors as ms
from modelsteward.errors import InputError, ParameterError
from tests.detectors.streams import binary, real

RATE = 1e-4  # 30,000 simulated values: quick


@pytest.mark.parametrize(
    "template",
    [
        ms.PageHinkley(),
        ms.ADWIN(),
        ms.DDM(),
        ms.EDDM(),
        ms.HDDM_A(),
        ms.HDDM_W(),
        ms.CUSUM(mode="up"),
        ms.KSWIN(seed=0),
    ],
    ids=lambda d: type(d).__name__,
)
def test_calibrated_detector_is_quiet_on_the_reference_and_still_detects(
    template: ms.DriftDetector,
) -> None:
    family = binary if template._domain != "real" else real
    reference = family("none", n=20_000, seed=1)
    tuned = ms.calibrate(template, reference, false_alarm_rate=RATE, seed=0)
    assert type(tuned) is type(template)
    info = tuned.calibration_
    name = info["parameter"]
    assert getattr(tuned, name) == info["value"]
    # fresh stable data from the same process: at most about RATE per element
    stable = family("none", n=40_000, seed=99)
    assert tuned.clone().update_many(stable).size <= RATE * 40_000
    # a clear change is still found soon after it happens
    rng = np.random.default_rng(6)
    after = (rng.random(5000) < 0.7) if family is binary else rng.normal(2.0, 1.0, 5000)
    shifted = np.r_[family("none", n=5000, seed=5), after.astype(float)]
    found = tuned.clone().update_many(shifted)
    # DDM and EDDM react slowly by design (statistics cumulated since the last reset)
    horizon = 5000 if isinstance(template, ms.DDM | ms.EDDM) else 1000
    assert ((found >= 5000) & (found < 5000 + horizon)).any(), found


def test_calibration_is_deterministic_under_a_seed() -> None:
    reference = real("none", n=5000, seed=2)
    a = ms.calibrate(ms.PageHinkley(), reference, false_alarm_rate=RATE, seed=4)
    b = ms.calibrate(ms.PageHinkley(), reference, false_alarm_rate=RATE, seed=4)
    assert a.threshold == b.threshold


def test_lower_rate_means_stricter_threshold() -> None:
    reference = real("none", n=5000, seed=2)
    loose = ms.calibrate(ms.CUSUM(), reference, false_alarm_rate=1e-2)
    strict = ms.calibrate(ms.CUSUM(), reference, false_alarm_rate=1e-4)
    assert strict.h > loose.h


def test_pagehinkley_default_fires_on_stable_errors_calibrated_does_not() -> None:
    reference = binary("none", n=20_000, seed=3)
    stable = binary("none", n=100_000, seed=4)
    assert ms.PageHinkley().update_many(stable).size > 0
    tuned = ms.calibrate(ms.PageHinkley(), reference, false_alarm_rate=1e-5)
    assert tuned.update_many(stable).size == 0


def test_eddm_keeps_alpha_at_least_beta() -> None:
    reference = binary("none", n=20_000, seed=3)
    tuned = ms.calibrate(ms.EDDM(alpha=0.3, beta=0.3), reference, false_alarm_rate=RATE)
    assert tuned.alpha >= tuned.beta


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"false_alarm_rate": 0.0}, ParameterError, "false_alarm_rate"),
        ({"false_alarm_rate": 2}, ParameterError, "false_alarm_rate"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        ms.calibrate(ms.ADWIN(), np.zeros(100), **kwargs)


def test_bad_reference() -> None:
    with pytest.raises(InputError, match="at least 30"):
        ms.calibrate(ms.ADWIN(), np.zeros(10))
    with pytest.raises(InputError, match="index 3 is NaN"):
        ms.calibrate(ms.ADWIN(), [0.0, 1.0, 2.0, float("nan")] * 10)
    with pytest.raises(ParameterError, match="needs a detector"):
        ms.calibrate("ADWIN", np.zeros(100))  # type: ignore[type-var]


def test_cusum_takes_its_targets_from_the_reference() -> None:
    reference = real("none", n=5000, seed=2) * 2.0 + 10.0
    tuned = ms.calibrate(ms.CUSUM(), reference, false_alarm_rate=RATE)
    assert tuned.target_mean == pytest.approx(float(reference.mean()))
    assert tuned.target_sd == pytest.approx(float(reference.std(ddof=1)))
    assert tuned.calibration_["changed"].keys() >= {"target_mean", "target_sd", "h"}  # type: ignore[index]
