"""Bad input: non-finite or non-numeric values, values outside a binary detector's domain."""

from __future__ import annotations

import json

import numpy as np
import pytest

from modelsteward import detectors as ms
from modelsteward.errors import InputError, ParameterError


def test_nan_names_the_position() -> None:
    values = np.zeros(40)
    values[17] = np.nan
    with pytest.raises(InputError, match=r"value at index 17 is NaN; detectors need finite"):
        ms.PageHinkley().update_many(values)


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        (float("inf"), "is inf"),
        (-float("inf"), "is -inf"),
        ("abc", "'abc' (str)"),
        (None, "None (NoneType)"),
        (b"1", "(bytes)"),
    ],
)
def test_non_numbers_name_the_position(bad: object, text: str) -> None:
    values: list[object] = [0.0] * 10
    values[3] = bad
    with pytest.raises(InputError, match="index 3") as info:
        ms.ADWIN().update_many(values)
    assert text in str(info.value)


def test_strings_in_a_numpy_array_are_rejected() -> None:
    with pytest.raises(InputError, match="index 0"):
        ms.KSWIN(seed=0).update_many(np.array(["1.0", "2.0"]))


def test_update_rejects_nan_and_text() -> None:
    det = ms.CUSUM()
    with pytest.raises(InputError, match="NaN"):
        det.update(float("nan"))
    with pytest.raises(InputError, match="not a number"):
        det.update("3")  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [ms.DDM, ms.EDDM])
def test_binary_detectors_take_only_zero_and_one(cls: type[ms.DriftDetector]) -> None:
    with pytest.raises(InputError, match=r"index 2 is 0\.5; .* takes 0/1 values"):
        cls().update_many([0, 1, 0.5, 1])
    with pytest.raises(InputError, match=r"index 0 is 2\.0"):
        cls().update(2)
    assert cls().update_many(np.array([True, False, True])).size == 0


@pytest.mark.parametrize("cls", [ms.HDDM_A, ms.HDDM_W])
def test_hoeffding_detectors_take_values_in_unit_interval(cls: type[ms.DriftDetector]) -> None:
    assert cls().update_many([0.0, 0.25, 1.0]).size == 0
    with pytest.raises(InputError, match=r"index 1 is 1\.5; .* takes values in \[0, 1\]"):
        cls().update_many([0.0, 1.5])
    with pytest.raises(InputError, match=r"index 0 is -0\.1"):
        cls().update_many([-0.1])


def test_rejected_block_leaves_state_untouched() -> None:
    det = ms.HDDM_W()
    det.update_many(np.r_[np.zeros(100), np.ones(5)])
    before = json.dumps(det.to_dict())
    with pytest.raises(InputError):
        det.update_many([0.0, 1.0, np.nan])
    assert json.dumps(det.to_dict()) == before


def test_two_dimensional_input_is_rejected() -> None:
    with pytest.raises(InputError, match="one-dimensional"):
        ms.ADWIN().update_many(np.zeros((3, 2)))


def test_empty_block_is_fine() -> None:
    assert ms.ADWIN().update_many([]).tolist() == []


@pytest.mark.parametrize(
    ("factory", "text"),
    [
        (lambda: ms.ADWIN(delta=0), "'delta' parameter of ADWIN must be a float in \\(0, 1\\)"),
        (lambda: ms.PageHinkley(mode="sideways"), "'mode' parameter of PageHinkley"),
        (lambda: ms.EDDM(alpha=0.5, beta=0.9), "'alpha' parameter of EDDM must be at least"),
        (lambda: ms.KSWIN(window_size=50, stat_size=30), "at least twice 'stat_size'"),
        (lambda: ms.KSWIN(seed=-1), "'seed' parameter of KSWIN"),
        (lambda: ms.CUSUM(h=-1), "'h' parameter of CUSUM"),
        (lambda: ms.DDM(warm_start=2.5), "'warm_start' parameter of DDM must be an integer"),
        (lambda: ms.ADWIN().clone(speed=3), "ADWIN has no parameter 'speed'"),
    ],
)
def test_bad_parameters_say_what_was_expected(factory: object, text: str) -> None:
    with pytest.raises(ParameterError, match=text):
        factory()  # type: ignore[operator]


def test_kswin_initial_window_is_checked() -> None:
    with pytest.raises(InputError, match="index 1 is NaN"):
        ms.KSWIN(window=[0.0, float("nan")])


def test_cusum_target_must_be_a_number() -> None:
    with pytest.raises(ParameterError, match="'target_mean' parameter of CUSUM"):
        ms.CUSUM(target_mean="zero")  # type: ignore[arg-type]


def test_from_dict_rejects_garbage() -> None:
    with pytest.raises(InputError, match="not a serialised detector"):
        ms.DriftDetector.from_dict({"detector": "Nope"})
    with pytest.raises(InputError, match="is a DDM, not a ADWIN"):
        ms.ADWIN.from_dict(ms.DDM().to_dict())
    good = ms.ADWIN().to_dict()
    good["state"]["counts"]["shape"] = [3]
    with pytest.raises(InputError, match="malformed"):
        ms.ADWIN.from_dict(good)
    good = ms.ADWIN().to_dict()
    good["state"]["counts"] = {"dtype": "float64", "shape": [2], "data": [0, 0]}
    with pytest.raises(InputError, match="expected"):
        ms.ADWIN.from_dict(good)
