"""Every detector passes the same conformance checks (modelsteward.testing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelsteward.detectors import DriftDetector
from modelsteward.testing import DETECTOR_CHECKS, all_detectors

CASES = [(det, check) for det in all_detectors() for check in DETECTOR_CHECKS]


@pytest.mark.parametrize(
    ("detector", "check"),
    CASES,
    ids=[f"{type(d).__name__}-{c.__name__}" for d, c in CASES],
)
def test_conformance(detector: DriftDetector, check: Callable[[DriftDetector], None]) -> None:
    check(detector)


def test_every_detector_is_discovered() -> None:
    names = {type(d).__name__ for d in all_detectors()}
    assert names == {"ADWIN", "CUSUM", "DDM", "EDDM", "HDDM_A", "HDDM_W", "KSWIN", "PageHinkley"}
