"""Streaming concept-drift detectors with River's protocol, compiled and calibratable.

Every detector River 0.26 also has takes its parameter names and defaults and
reports the same detection indices on the same stream. ``update(x)`` feeds one
value and returns the detector; ``drift_detected`` (and ``warning_detected`` where
the method has a warning zone) tell what the last value did;
``update_many(values)`` runs a whole block in one compiled loop (numba, optional;
identical results without it) and returns the indices of detections.
:func:`calibrate` sets a detector's threshold from reference data.

>>> import numpy as np
>>> from modelsteward.detectors import ADWIN
>>> rng = np.random.default_rng(0)
>>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(2000) < 0.4])
>>> ADWIN().update_many(errors)
array([2047])
"""

from __future__ import annotations

from modelsteward.detectors._adwin import ADWIN
from modelsteward.detectors._base import DriftDetector, detector_classes
from modelsteward.detectors._calibrate import calibrate
from modelsteward.detectors._cusum import CUSUM
from modelsteward.detectors._ddm import DDM
from modelsteward.detectors._eddm import EDDM
from modelsteward.detectors._hddm_a import HDDM_A
from modelsteward.detectors._hddm_w import HDDM_W
from modelsteward.detectors._kswin import KSWIN
from modelsteward.detectors._page_hinkley import PageHinkley

__all__ = [
    "ADWIN",
    "CUSUM",
    "DDM",
    "EDDM",
    "HDDM_A",
    "HDDM_W",
    "KSWIN",
    "DriftDetector",
    "PageHinkley",
    "calibrate",
    "detector_classes",
]
