"""CBPE and DLE: estimates track realised metrics under covariate shift; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from modelsteward.errors import InputError, NotFittedError, ParameterError
from modelsteward.performance import CBPE, DLE


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _binary(n: int, shift: float, seed: int, sharpen: float = 1.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    p_true = _sigmoid(2.0 * x - 0.5)
    y = (rng.uniform(size=n) < p_true).astype(int)
    return y, _sigmoid(sharpen * (2.0 * x - 0.5))


def _realised(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    pred = (p >= 0.5).astype(int)
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, p),
    }


@pytest.mark.parametrize("sharpen", [1.0, 3.0])
def test_cbpe_tracks_realised_metrics_under_covariate_shift(sharpen: float) -> None:
    y_ref, p_ref = _binary(20_000, 0.0, 0, sharpen)
    est = CBPE(problem="binary").fit(y_ref, p_ref)
    assert est.calibrated_ is (sharpen != 1.0)
    for shift, seed in ((0.5, 1), (1.0, 2), (-0.7, 3)):
        y, p = _binary(20_000, shift, seed, sharpen)
        got = est.estimate(p)
        truth = _realised(y, p)
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            assert got[name] == pytest.approx(truth[name], abs=0.02), (name, shift)


def test_uncalibrated_scores_are_badly_estimated_without_calibration() -> None:
    y_ref, p_ref = _binary(20_000, 0.0, 0, 3.0)
    y, p = _binary(20_000, 0.8, 1, 3.0)
    truth = _realised(y, p)["accuracy"]
    raw = CBPE(metrics=["accuracy"], calibration="none").fit(y_ref, p_ref).estimate(p)
    cal = CBPE(metrics=["accuracy"]).fit(y_ref, p_ref).estimate(p)
    assert abs(cal["accuracy"] - truth) < abs(raw["accuracy"] - truth)


def test_sampling_error_matches_spread_of_realised_metric() -> None:
    y_ref, p_ref = _binary(20_000, 0.0, 0)
    est = CBPE().fit(y_ref, p_ref)
    realised = np.array([list(_realised(*_binary(1000, 0.5, s)).values()) for s in range(1, 101)])
    errors = est.estimate_with_error(_binary(1000, 0.5, 999)[1])
    for j, name in enumerate(["accuracy", "precision", "recall", "f1", "roc_auc"]):
        ratio = errors[name]["sampling_error"] / realised[:, j].std(ddof=1)
        assert 0.6 < ratio < 1.6, (name, ratio)
        assert errors[name]["lower"] <= errors[name]["estimate"] <= errors[name]["upper"]


def test_multiclass_cbpe_with_class_mapping() -> None:
    rng = np.random.default_rng(4)

    def draw(n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(shift, 1.0, (n, 3))
        logits = 1.5 * x
        proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        y = (rng.uniform(size=(n, 1)) > np.cumsum(proba, 1)).sum(1)
        return np.array(["a", "b", "c"])[np.minimum(y, 2)], proba

    y_ref, p_ref = draw(20_000, 0.0)
    est = CBPE(problem="multiclass").fit(
        y_ref, {"a": p_ref[:, 0], "b": p_ref[:, 1], "c": p_ref[:, 2]}
    )
    assert est.classes_.tolist() == ["a", "b", "c"]
    y, p = draw(20_000, 0.0)
    p[:, 0] *= 0.5
    p /= p.sum(1, keepdims=True)
    got = est.estimate(p)
    pred = np.array(["a", "b", "c"])[p.argmax(1)]
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=0.03)
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=0.04)
    with pytest.raises(InputError, match="class 'd' never appears in the reference"):
        est.estimate({"a": p[:, 0], "b": p[:, 1], "d": p[:, 2]})
    with pytest.raises(InputError, match="2 probability columns but the reference has 3"):
        est.estimate(p[:, :2] / p[:, :2].sum(1, keepdims=True))


def test_cbpe_bad_input_and_parameters() -> None:
    y_ref, p_ref = _binary(500, 0.0, 0)
    with pytest.raises(NotFittedError, match="call fit with reference data first"):
        CBPE().estimate(p_ref)
    with pytest.raises(InputError, match="outside"):
        CBPE().fit(y_ref, p_ref * 2)
    est = CBPE().fit(y_ref, p_ref)
    with pytest.raises(InputError, match="outside"):
        est.estimate(np.array([0.3, -0.1]))
    with pytest.raises(InputError, match="sum to"):
        CBPE(problem="multiclass").fit([0, 1, 2], np.array([[0.5, 0.5, 0.1]] * 3))
    with pytest.raises(InputError, match="exactly 2 classes"):
        CBPE().fit([0, 1, 2], np.array([0.1, 0.5, 0.9]))
    with pytest.raises(ParameterError, match="'problem' parameter of CBPE"):
        CBPE(problem="ranking").fit(y_ref, p_ref)
    with pytest.raises(ParameterError, match="'metrics' parameter of CBPE"):
        CBPE(metrics=["mae"]).fit(y_ref, p_ref)


def test_dle_tracks_mae_and_rmse_under_shift() -> None:
    rng = np.random.default_rng(0)

    def draw(n: int, shift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X = rng.normal(size=(n, 3)) + np.array([shift, 0.0, 0.0])
        y_pred = X[:, 1] + 0.5 * X[:, 2]
        y = y_pred + rng.normal(size=n) * (0.3 + 0.5 * np.abs(X[:, 0]))
        return X, y_pred, y

    est = DLE(max_iter=60, n_threads=1).fit(*draw(6000, 0.0))
    X, y_pred, y = draw(4000, 1.0)
    got = est.estimate_with_error(X, y_pred)
    mae = float(np.mean(np.abs(y - y_pred)))
    rmse = float(np.sqrt(np.mean((y - y_pred) ** 2)))
    assert got["mae"]["estimate"] == pytest.approx(mae, rel=0.08)
    assert got["rmse"]["estimate"] == pytest.approx(rmse, rel=0.1)
    assert abs(got["mae"]["estimate"] - mae) < abs(est.reference_metrics_["mae"] - mae)
    assert 0 < got["mae"]["sampling_error"] < 0.05
    with pytest.raises(NotFittedError, match="call fit with reference data first"):
        DLE().estimate(X, y_pred)
    with pytest.raises(InputError, match="feature columns"):
        est.estimate(X[:, :2], y_pred)


def test_dle_accepts_tables_with_categories() -> None:
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 3000
    cat = rng.choice(["calm", "wild"], n)
    noise = np.where(cat == "wild", 2.0, 0.2)
    frame = pd.DataFrame({"x": rng.normal(size=n), "kind": cat})
    y_pred = frame["x"].to_numpy()
    y = y_pred + rng.normal(size=n) * noise
    est = DLE(max_iter=40, n_threads=1).fit(frame, y_pred, y)
    wild = frame[cat == "wild"]
    assert est.estimate(wild, wild["x"].to_numpy())["mae"] == pytest.approx(1.6, rel=0.15)
    unseen = wild.assign(kind="new")
    assert np.isfinite(est.estimate(unseen, unseen["x"].to_numpy())["mae"])
