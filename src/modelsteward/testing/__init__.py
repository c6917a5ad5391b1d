"""Conformance suites that check every implementation of a kind the same way.

Detectors (:mod:`modelsteward.detectors`) and drift methods
(:data:`modelsteward.datadrift.METHODS`) are covered by the checks below; run each suite
from one parametrised test:

>>> from modelsteward.testing import all_methods, check_method
>>> for method in all_methods():
...     check_method(method)

>>> from modelsteward.testing import DETECTOR_CHECKS, all_detectors, check_detector
>>> names = [type(d).__name__ for d in all_detectors()]
>>> "ADWIN" in names and "CUSUM" in names
True
>>> check_detector(all_detectors()[0])
"""

from __future__ import annotations

from modelsteward.testing._detectors import (
    DETECTOR_CHECKS,
    all_detectors,
    check_clone,
    check_detector,
    check_detects_clear_shift,
    check_deterministic,
    check_no_detection_on_constant_data,
    check_rejects_bad_input,
    check_repr,
    check_reset,
    check_serialisation_round_trip,
    check_update_many_equals_update_loop,
)
from modelsteward.testing._statistics import STATISTIC_CHECKS, all_methods, check_method

__all__ = [
    "DETECTOR_CHECKS",
    "STATISTIC_CHECKS",
    "all_detectors",
    "all_methods",
    "check_clone",
    "check_detector",
    "check_detects_clear_shift",
    "check_deterministic",
    "check_method",
    "check_no_detection_on_constant_data",
    "check_rejects_bad_input",
    "check_repr",
    "check_reset",
    "check_serialisation_round_trip",
    "check_update_many_equals_update_loop",
]
