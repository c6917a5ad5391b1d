"""Documented behaviours: River quirks kept for parity, CUSUM, warnings, public surface."""

from __future__ import annotations

import itertools
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward import detectors as ms
from tests.detectors.streams import binary, real


def test_public_surface() -> None:
    assert sorted(ms.__all__) == sorted(
        [
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
    )


def test_kswin_restarts_empty_after_a_detection() -> None:
    """River quirk kept: the window kept after a drift is discarded by the next update."""
    values = np.r_[np.zeros(100), np.full(40, 5.0), np.random.default_rng(0).normal(size=400)]
    det = ms.KSWIN(seed=0)
    found = det.update_many(values)
    assert found.size >= 1
    first = int(found[0])
    # no test (so no detection) during the next window_size - 1 values
    assert not ((found > first) & (found < first + det.window_size)).any()
    after = det.to_dict()["state"]["sc"]["data"]
    assert after[2] == min(det.window_size, values.shape[0] - 1 - int(found[-1]))


def test_kswin_reseeds_after_each_detection() -> None:
    """After a detection the random draws restart from ``seed``: same data, same answer."""
    rng = np.random.default_rng(1)
    block = np.r_[rng.normal(size=100), rng.normal(3.0, 1.0, 60)]
    fresh = ms.KSWIN(seed=3).update_many(block)
    assert fresh.size
    det = ms.KSWIN(seed=3)
    det.update_many(block[: fresh[0] + 1])
    assert det.drift_detected
    assert det.update_many(block).tolist() == fresh.tolist()


def test_ddm_fires_on_first_error_after_an_error_free_warm_up() -> None:
    """DDM property kept for parity: s_min = 0, so no threshold prevents this alarm."""
    values = np.r_[np.zeros(40), 1.0]
    assert ms.DDM(drift_threshold=1e6).update_many(values).tolist() == [40]


def test_eddm_warning_survives_correct_predictions_and_drift() -> None:
    """River quirk kept: EDDM re-evaluates its warning only on errors."""
    det = ms.EDDM(warm_start=5, alpha=0.99, beta=0.2)
    stream = np.r_[np.tile([1, 0, 0, 0, 0, 0, 0, 0], 30), [1, 1]].astype(float)
    det.update_many(stream)
    assert det.warning_detected
    det.update_many(np.zeros(50))
    assert det.warning_detected  # not cleared by fifty correct predictions


def test_scan_reports_where_warning_zones_start() -> None:
    values = binary("abrupt", n=20_000, seed=1)
    det = ms.DDM()
    drifts, warnings = det.clone().scan(values)
    assert drifts.tolist() == det.clone().update_many(values).tolist()
    flags = []
    loop = det.clone()
    for v in values:
        loop.update(float(v))
        flags.append(loop.warning_detected)
    entered = [i for i, w in enumerate(flags) if w and (i == 0 or not flags[i - 1])]
    assert warnings.tolist() == entered


def test_detectors_without_warning_zone_report_none() -> None:
    drifts, warnings = ms.ADWIN().scan(real("abrupt", n=5000))
    assert drifts.size and warnings.size == 0
    assert not hasattr(ms.ADWIN(), "warning_detected")


def test_cusum_known_targets_skip_the_warm_up() -> None:
    values = np.r_[np.zeros(10), np.full(10, 1.0)]
    det = ms.CUSUM(target_mean=0.0, target_sd=1.0, k=0.5, h=2.0)
    # C+ grows by 0.5 per value after index 10: exceeds 2 at the fifth
    assert det.update_many(values).tolist() == [14, 19]


def test_cusum_one_sided_modes() -> None:
    down = np.r_[np.zeros(10), np.full(10, -1.0)]
    kw = {"target_mean": 0.0, "target_sd": 1.0, "h": 2.0}
    assert ms.CUSUM(mode="up", **kw).update_many(down).size == 0
    assert ms.CUSUM(mode="down", **kw).update_many(down).tolist() == [14, 19]


def test_cusum_estimates_targets_and_restarts() -> None:
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(10, 2, 500), rng.normal(14, 2, 500)]
    det = ms.CUSUM(h=8.0)
    found = det.update_many(values)
    assert found.tolist() and 500 <= found[0] < 520
    state = det.to_dict()["state"]["sc"]["data"]
    assert abs(state[5] - 14) < 1.5  # re-estimated target mean after the restart


def test_serialised_state_is_strict_json() -> None:
    det = ms.DDM()
    det.update_many([0, 1, 0])
    text = json.dumps(det.to_dict(), allow_nan=False)
    back = ms.DriftDetector.from_dict(json.loads(text))
    assert np.array_equal(back._state["sc"], det._state["sc"], equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0]), min_size=0, max_size=400),
    st.lists(st.integers(0, 400), max_size=4),
)
def test_update_many_over_any_split_equals_the_loop(bits: list[float], cuts: list[int]) -> None:
    for template in (ms.PageHinkley(threshold=3.0), ms.DDM(warm_start=5), ms.ADWIN(clock=1)):
        loop = template.clone()
        expected = [i for i, v in enumerate(bits) if loop.update(v).drift_detected]
        det = template.clone()
        got: list[int] = []
        edges = sorted({0, len(bits), *(c for c in cuts if c <= len(bits))})
        for a, b in itertools.pairwise(edges):
            got.extend(int(i) + a for i in det.update_many(bits[a:b]))
            det = type(det).from_dict(json.loads(json.dumps(det.to_dict())))
        assert got == expected
