from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.retrain import GateConfig, evaluate_candidate

N = 400
RNG = np.random.default_rng(0)
X = RNG.normal(size=N)
Y = (X > 0).astype(int)
HOLDOUT = pa.table({"x": X, "y": Y})


def flipping(rate: float, seed: int) -> Callable[[pa.Table], np.ndarray]:
    """A classifier right except on a random ``rate`` share of rows."""
    flip = np.random.default_rng(seed).random(N) < rate

    def predict(features: pa.Table) -> np.ndarray:
        truth = (features["x"].to_numpy() > 0).astype(int)
        return np.asarray(np.where(flip[: features.num_rows], 1 - truth, truth))

    return predict


CLS = GateConfig(task="classification")


def test_better_candidate_passes_with_evidence() -> None:
    r = evaluate_candidate(flipping(0.05, 1), flipping(0.3, 2), HOLDOUT, label="y", config=CLS)
    assert r.passed, r.reasons
    ev = r.evidence
    assert ev["n"] == N and ev["test"]["name"] == "mcnemar"
    assert ev["candidate"]["accuracy"] > ev["champion"]["accuracy"]
    assert ev["test"]["c"] > ev["test"]["b"] and ev["test"]["p_mid"] < 0.05
    assert "latency_ms_per_row" in ev["candidate"]
    assert r.to_dict()["passed"] is True


def test_worse_candidate_fails_on_margin_and_test() -> None:
    r = evaluate_candidate(flipping(0.3, 2), flipping(0.05, 1), HOLDOUT, label="y", config=CLS)
    assert not r.passed
    text = " | ".join(r.reasons)
    assert "below the champion's" in text and "significantly worse" in text


def test_equal_candidate_passes_unless_improvement_required() -> None:
    same = flipping(0.1, 4)
    assert evaluate_candidate(same, same, HOLDOUT, label="y", config=CLS).passed
    strict = GateConfig(task="classification", require_improvement=True)
    r = evaluate_candidate(same, same, HOLDOUT, label="y", config=strict)
    assert not r.passed and "not significantly better" in r.reasons[0]


def test_too_few_samples_is_inconclusive_not_passed() -> None:
    small = HOLDOUT.slice(0, 20)
    r = evaluate_candidate(flipping(0.0, 1), flipping(0.5, 2), small, label="y", config=CLS)
    assert not r.passed and r.reasons[0].startswith("inconclusive")
    empty = HOLDOUT.slice(0, 0)
    assert not evaluate_candidate(flipping(0, 1), None, empty, label="y", config=CLS).passed


def test_schema_mismatch_fails() -> None:
    r = evaluate_candidate(
        flipping(0.05, 1),
        flipping(0.3, 2),
        HOLDOUT,
        label="y",
        config=CLS,
        candidate_schema={"x": "float"},
        champion_schema={"x": "double"},
    )
    assert not r.passed
    assert r.evidence["schema_difference"] == {
        "missing": [],
        "extra": [],
        "changed": {"x": ["double", "float"]},
    }


def test_each_model_gets_its_own_columns() -> None:
    table = HOLDOUT.append_column("new", pa.array(np.ones(N)))

    def strict_champion(features: pa.Table) -> np.ndarray:
        assert features.column_names == ["x"]
        return flipping(0.2, 3)(features)

    r = evaluate_candidate(
        flipping(0.05, 1),
        strict_champion,
        table,
        label="y",
        config=CLS,
        candidate_schema={"x": "double", "new": "double"},
        champion_schema={"x": "double"},
    )
    assert "champion" in r.evidence and "error" not in r.evidence["champion"]
    assert r.evidence["schema_difference"]["extra"] == ["new"] and not r.passed


def fake_timer(step: float) -> Callable[[], float]:
    ticks: Iterator[float] = iter(np.arange(0, 1000, step))
    return lambda: float(next(ticks))


def test_latency_budget_from_an_injected_timer() -> None:
    cfg = GateConfig(task="classification", max_latency_ms_per_row=1.0)
    # each predict call takes 0.8 s by the fake timer: 2 ms per row over 400 rows
    r = evaluate_candidate(
        flipping(0.05, 1), flipping(0.3, 2), HOLDOUT, label="y", config=cfg, timer=fake_timer(0.8)
    )
    assert not r.passed and "latency" in r.reasons[0]
    assert r.evidence["candidate"]["latency_ms_per_row"] == pytest.approx(2.0)
    r2 = evaluate_candidate(
        flipping(0.05, 1), flipping(0.3, 2), HOLDOUT, label="y", config=cfg, timer=fake_timer(0.2)
    )
    assert r2.passed


def test_candidate_that_raises_or_gives_wrong_length_fails() -> None:
    def boom(features: pa.Table) -> np.ndarray:
        raise RuntimeError("no")

    r = evaluate_candidate(boom, None, HOLDOUT, label="y", config=CLS)
    assert not r.passed and "RuntimeError: no" in r.reasons[0]
    r = evaluate_candidate(lambda f: np.zeros(3), None, HOLDOUT, label="y", config=CLS)
    assert not r.passed and "shape" in r.reasons[0]


def test_broken_champion_is_recorded_and_candidate_judged_alone() -> None:
    def boom(features: pa.Table) -> np.ndarray:
        raise ValueError("stale")

    r = evaluate_candidate(flipping(0.05, 1), boom, HOLDOUT, label="y", config=CLS)
    assert r.passed and "stale" in r.evidence["champion"]["error"]


def test_no_champion_min_accuracy() -> None:
    cfg = GateConfig(task="classification", min_accuracy=0.9)
    assert evaluate_candidate(flipping(0.05, 1), None, HOLDOUT, label="y", config=cfg).passed
    assert not evaluate_candidate(flipping(0.3, 1), None, HOLDOUT, label="y", config=cfg).passed


def test_string_labels_against_numeric_predictions() -> None:
    table = pa.table({"x": X, "y": Y.astype(str)})
    r = evaluate_candidate(flipping(0.0, 1), None, table, label="y", config=CLS)
    assert r.evidence["candidate"]["accuracy"] == 1.0


REG_Y = 2 * X + RNG.normal(0, 0.1, N)
REG = pa.table({"x": X, "y": REG_Y})


def linear(slope: float, noise: float, seed: int) -> Callable[[pa.Table], np.ndarray]:
    e = np.random.default_rng(seed).normal(0, noise, N)
    return lambda f: slope * f["x"].to_numpy() + e[: f.num_rows]


def test_regression_bootstrap_better_and_worse() -> None:
    cfg = GateConfig(task="regression", n_resamples=500)
    good = evaluate_candidate(linear(2.0, 0.1, 1), linear(1.5, 0.1, 2), REG, label="y", config=cfg)
    assert good.passed and good.evidence["test"]["name"] == "paired_bootstrap"
    assert good.evidence["test"]["ci_high"] < 0
    bad = evaluate_candidate(linear(1.5, 0.1, 2), linear(2.0, 0.1, 1), REG, label="y", config=cfg)
    assert not bad.passed and any("significantly worse" in r for r in bad.reasons)
    again = evaluate_candidate(linear(1.5, 0.1, 2), linear(2.0, 0.1, 1), REG, label="y", config=cfg)
    assert again.evidence["test"] == bad.evidence["test"]  # seeded


def test_regression_absolute_loss_and_no_champion() -> None:
    cfg = GateConfig(task="regression", loss="absolute")
    r = evaluate_candidate(linear(2.0, 0.0, 1), None, REG, label="y", config=cfg)
    assert r.passed and r.evidence["loss"] == "absolute"


def test_bad_config_and_missing_label() -> None:
    with pytest.raises(ParameterError, match="'task' parameter"):
        GateConfig(task="ranking")  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        GateConfig(task="regression", alpha=1.5)
    with pytest.raises(SchemaError, match="no label column 'target'"):
        evaluate_candidate(
            linear(2, 0, 1), None, REG, label="target", config=GateConfig(task="regression")
        )


def test_non_finite_predictions_fail_the_candidate() -> None:
    def nan_some(features: pa.Table) -> np.ndarray:
        out = 2 * features["x"].to_numpy()
        out[:3] = np.nan
        return np.asarray(out)

    r = evaluate_candidate(
        nan_some, linear(2.0, 0.1, 1), REG, label="y", config=GateConfig(task="regression")
    )
    assert not r.passed and "3 of 400 predictions are NaN" in r.reasons[0]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 120),
    min_samples=st.integers(1, 150),
    rate=st.floats(0.0, 0.5),
    seed=st.integers(0, 50),
)
def test_gate_properties(n: int, min_samples: int, rate: float, seed: int) -> None:
    table = HOLDOUT.slice(0, n)
    cfg = GateConfig(task="classification", min_samples=min_samples)
    same = flipping(rate, seed)
    r = evaluate_candidate(same, same, table, label="y", config=cfg)
    # too few rows never pass; an exact copy of the champion passes whenever there are enough
    assert r.passed == (n >= min_samples)
    assert r.evidence["test"]["b"] == r.evidence["test"]["c"] == 0
    # swapping the models swaps the discordant counts
    a = evaluate_candidate(
        flipping(rate, seed), flipping(0.2, seed + 1), table, label="y", config=cfg
    )
    b = evaluate_candidate(
        flipping(0.2, seed + 1), flipping(rate, seed), table, label="y", config=cfg
    )
    assert (a.evidence["test"]["b"], a.evidence["test"]["c"]) == (
        b.evidence["test"]["c"],
        b.evidence["test"]["b"],
    )
    assert a.evidence["test"]["p_mid"] == pytest.approx(b.evidence["test"]["p_mid"])
