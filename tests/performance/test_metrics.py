"""Metrics against scikit-learn as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from modelsteward import performance as perf
from modelsteward.performance._ranking import batch_auc, delong, midranks, weighted_auc


@pytest.fixture(params=[0, 1, 2])
def binary(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(request.param)
    n = 500
    y = rng.integers(0, 2, n)
    p = np.clip(rng.beta(2, 2, n) * 0.6 + 0.4 * y, 0, 1)
    if request.param == 2:  # heavy ties
        p = np.round(p, 1)
    return y, (p >= 0.5).astype(int), p


@pytest.fixture
def multiclass() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n, k = 600, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y, proba.argmax(1), proba


def test_binary_label_metrics(binary: tuple[np.ndarray, ...]) -> None:
    y, pred, _ = binary
    assert perf.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    for avg in ("binary", "macro", "weighted"):
        assert perf.precision(y, pred, average=avg) == pytest.approx(
            skm.precision_score(y, pred, average=avg)
        )
        assert perf.recall(y, pred, average=avg) == pytest.approx(
            skm.recall_score(y, pred, average=avg)
        )
        assert perf.f1(y, pred, average=avg) == pytest.approx(skm.f1_score(y, pred, average=avg))


def test_binary_score_metrics(binary: tuple[np.ndarray, ...]) -> None:
    y, _, p = binary
    assert perf.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))
    assert perf.average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p))
    assert perf.log_loss(y, p) == pytest.approx(skm.log_loss(y, p))
    assert perf.brier_score(y, p) == pytest.approx(skm.brier_score_loss(y, p))
    curve = perf.reliability_curve(y, p, n_bins=10)
    true, pred = calibration_curve(y, p, n_bins=10)
    np.testing.assert_allclose(curve.observed, true)
    np.testing.assert_allclose(curve.mean_predicted, pred)
    counts = np.asarray(curve.counts)
    ece = np.sum(counts / counts.sum() * np.abs(true - pred))
    assert curve.ece == pytest.approx(ece)


def test_multiclass_metrics(multiclass: tuple[np.ndarray, ...]) -> None:
    y, pred, proba = multiclass
    for avg in ("macro", "weighted"):
        assert perf.f1(y, pred, average=avg) == pytest.approx(skm.f1_score(y, pred, average=avg))
        assert perf.precision(y, pred, average=avg) == pytest.approx(
            skm.precision_score(y, pred, average=avg)
        )
    assert perf.roc_auc(y, proba) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    onehot = np.eye(4)[y]
    assert perf.average_precision(y, proba) == pytest.approx(
        skm.average_precision_score(onehot, proba, average="macro")
    )
    assert perf.log_loss(y, proba) == pytest.approx(skm.log_loss(y, proba))
    assert perf.brier_score(y, proba) == pytest.approx(skm.brier_score_loss(y, proba))


def test_string_labels_and_pos_label() -> None:
    y = np.array(["no", "yes", "yes", "no", "yes"])
    pred = np.array(["no", "yes", "no", "yes", "yes"])
    assert perf.precision(y, pred, pos_label="yes") == pytest.approx(
        skm.precision_score(y, pred, pos_label="yes")
    )
    assert perf.roc_auc(y, [0.1, 0.8, 0.4, 0.6, 0.9], pos_label="yes") == pytest.approx(
        skm.roc_auc_score(y == "yes", [0.1, 0.8, 0.4, 0.6, 0.9])
    )


def test_regression_metrics() -> None:
    rng = np.random.default_rng(3)
    t = rng.normal(10, 3, 400)
    p = t + rng.normal(0, 1, 400)
    assert perf.mae(t, p) == pytest.approx(skm.mean_absolute_error(t, p))
    assert perf.rmse(t, p) == pytest.approx(skm.root_mean_squared_error(t, p))
    assert perf.mape(t, p) == pytest.approx(skm.mean_absolute_percentage_error(t, p))
    assert perf.r2(t, p) == pytest.approx(skm.r2_score(t, p))
    for q in (0.1, 0.5, 0.9):
        assert perf.quantile_loss(t, p, quantile=q) == pytest.approx(
            skm.mean_pinball_loss(t, p, alpha=q)
        )
    t0 = t.copy()
    t0[:3] = 0.0
    assert perf.mape(t0, p) == pytest.approx(skm.mean_absolute_percentage_error(t0, p))
    assert perf.mape(t0, p, zeros="exclude") == pytest.approx(
        skm.mean_absolute_percentage_error(t0[3:], p[3:])
    )


def test_undefined_values_are_nan() -> None:
    assert np.isnan(perf.roc_auc([1, 1, 1], [0.2, 0.4, 0.9]))
    assert np.isnan(perf.precision([0, 1], [0, 0]))
    assert np.isnan(perf.r2([2.0, 2.0], [1.0, 3.0]))


def test_midranks_and_batch_auc_match_scipy_and_sklearn() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, size=(5, 300)).astype(float)
    np.testing.assert_allclose(midranks(x), rankdata(x, axis=1))
    y = rng.integers(0, 2, size=(5, 300)).astype(bool)
    expected = [skm.roc_auc_score(y[i], x[i]) for i in range(5)]
    np.testing.assert_allclose(batch_auc(y, x), expected)
    np.testing.assert_allclose(weighted_auc(x[0], y[0] * 1.0, 1.0 - y[0]), expected[0])


def test_delong_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(bool)
    s = np.round(rng.normal(size=200) + y, 1)
    pos, neg = s[y], s[~y]
    psi = (pos[:, None] > neg[None]) + 0.5 * (pos[:, None] == neg[None])
    var = psi.mean(1).var(ddof=1) / pos.size + psi.mean(0).var(ddof=1) / neg.size
    auc, v = delong(y, s)
    assert auc == pytest.approx(psi.mean())
    assert v == pytest.approx(var)


def test_weighted_auc_is_expected_auc() -> None:
    """Expected AUC over labels drawn from p (self-pairs excluded) equals the weighted AUC."""
    rng = np.random.default_rng(2)
    p = rng.uniform(size=40)
    s = p + rng.normal(0, 0.1, 40)
    draws = rng.uniform(size=(20000, 40)) < p
    keep = draws.any(1) & (~draws).all(1) == False  # noqa: E712
    mc = np.nanmean(batch_auc(draws[keep], np.broadcast_to(s, draws[keep].shape)))
    est = weighted_auc(s, p, 1 - p, exclude_self=True)
    assert est == pytest.approx(mc, abs=0.01)


@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=2, max_size=80),
)
@settings(max_examples=80, deadline=None)
def test_auc_invariants(rows: list[tuple[bool, int]]) -> None:
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)
    auc, var = delong(y, s)
    if y.all() or not y.any():
        assert np.isnan(auc)
        return
    assert 0.0 <= auc <= 1.0 and var >= 0.0
    assert auc == pytest.approx(skm.roc_auc_score(y, s))
    assert delong(y, -s)[0] == pytest.approx(1.0 - auc)  # reversing the scores mirrors AUC
    assert weighted_auc(s, y * 1.0, 1.0 - y) == pytest.approx(auc)
    assert perf.average_precision(y.astype(int), s) == pytest.approx(
        skm.average_precision_score(y, s)
    )
