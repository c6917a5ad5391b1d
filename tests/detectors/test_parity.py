"""Same detection indices as River 0.26 (the oracle) on generated streams."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from modelsteward import detectors as ms
from modelsteward.errors import ParameterError
from tests.detectors.streams import KINDS, binary, real, unit

river_drift = pytest.importorskip("river.drift")
river_binary = pytest.importorskip("river.drift.binary")


def river_indices(det: Any, values: np.ndarray) -> list[int]:
    out = []
    for i, v in enumerate(values.tolist()):
        det.update(v)
        if det.drift_detected:
            out.append(i)
    return out


# (our class, River factory, parameter sets, stream families)
CASES: list[tuple[type[ms.DriftDetector], Any, list[dict[str, Any]], tuple[Any, ...]]] = [
    (
        ms.ADWIN,
        lambda **p: river_drift.ADWIN(**p),
        [
            {},
            {"delta": 0.05, "clock": 1},
            {"max_buckets": 2, "min_window_length": 20, "grace_period": 0},
        ],
        (binary, real),
    ),
    (
        ms.PageHinkley,
        lambda **p: river_drift.PageHinkley(**p),
        [{}, {"threshold": 10.0, "mode": "up"}, {"threshold": 15.0, "mode": "down", "alpha": 1.0}],
        (binary, real),
    ),
    (
        ms.DDM,
        lambda **p: river_binary.DDM(**p),
        [{}, {"warm_start": 100, "drift_threshold": 2.5}],
        (binary,),
    ),
    (
        ms.EDDM,
        lambda **p: river_binary.EDDM(**p),
        [{}, {"alpha": 0.8, "beta": 0.7, "warm_start": 10}],
        (binary,),
    ),
    (
        ms.HDDM_A,
        lambda **p: river_binary.HDDMA(**p),
        [{}, {"two_sided_test": True, "drift_confidence": 0.01}],
        (binary, unit),
    ),
    (
        ms.HDDM_W,
        lambda **p: river_binary.HDDMW(**p),
        [{}, {"two_sided_test": True, "lambda_val": 0.1}],
        (binary, unit),
    ),
]

PARAMS = [
    pytest.param(
        ours, theirs, params, family, kind, id=f"{ours.__name__}-{i}-{family.__name__}-{kind}"
    )
    for ours, theirs, sets, families in CASES
    for i, params in enumerate(sets)
    for family in families
    for kind in KINDS
]


@pytest.mark.parametrize(("ours", "theirs", "params", "family", "kind"), PARAMS)
def test_same_detections_as_river(
    ours: type[ms.DriftDetector], theirs: Any, params: dict[str, Any], family: Any, kind: str
) -> None:
    values = family(kind, n=12_000, seed=len(params))
    expected = river_indices(theirs(**params), values)
    assert ours(**params).update_many(values).tolist() == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("params", "family"),
    [
        ({"seed": 1}, real),
        ({"seed": 7, "alpha": 0.01}, binary),
        ({"seed": 3, "window_size": 300, "stat_size": 50}, real),  # the set-based sampler
        ({"seed": 5, "window_size": 60, "stat_size": 20, "alpha": 0.05}, real),
    ],
)
def test_kswin_same_detections_as_river(params: dict[str, Any], family: Any, kind: str) -> None:
    values = family(kind, n=1500, seed=2)
    expected = river_indices(river_drift.KSWIN(**params), values)
    assert ms.KSWIN(**params).update_many(values).tolist() == expected


def test_kswin_initial_window_as_river() -> None:
    values = real("abrupt", n=1500, seed=4)
    start = list(real("none", n=150, seed=5))
    expected = river_indices(river_drift.KSWIN(seed=2, window=start), values)
    assert ms.KSWIN(seed=2, window=start).update_many(values).tolist() == expected


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ms.DDM, river_binary.DDM),
        (ms.EDDM, river_binary.EDDM),
        (ms.HDDM_A, river_binary.HDDMA),
        (ms.HDDM_W, river_binary.HDDMW),
    ],
)
def test_warning_flags_as_river(ours: type[ms.DriftDetector], theirs: Any) -> None:
    values = binary("gradual", n=8000, seed=11)
    a, b = ours(), theirs()
    for v in values.tolist():
        a.update(v)
        b.update(v)
        assert (a.drift_detected, a.warning_detected) == (b.drift_detected, b.warning_detected)  # type: ignore[attr-defined]


def test_adwin_window_statistics_as_river() -> None:
    values = real("abrupt", n=5000, seed=3)
    a, b = ms.ADWIN(), river_drift.ADWIN()
    a.update_many(values[:3000])
    for v in values[:3000].tolist():
        b.update(v)
    assert a.width == b.width
    assert a.estimation == pytest.approx(b.estimation, rel=1e-12)


def test_river_adwin_crashes_with_one_bucket_so_we_refuse_it() -> None:
    """River bug: ADWIN(max_buckets=1) panics after a detection; ours rejects the value."""
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(0, 1, 3000), rng.normal(2, 1, 3000)]
    river_adwin = river_drift.ADWIN(delta=0.3, max_buckets=1)
    with pytest.raises(BaseException, match="slice index"):  # pyo3 PanicException
        for v in values.tolist():
            river_adwin.update(v)
    with pytest.raises(ParameterError, match="'max_buckets' parameter of ADWIN must be at least 2"):
        ms.ADWIN(max_buckets=1)
