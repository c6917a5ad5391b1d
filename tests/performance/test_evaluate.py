"""``evaluate``: windows, segments, references, delayed labels and bad input."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from modelsteward.errors import InputError, ParameterError, SchemaError
from modelsteward.performance import LabelAccumulator, evaluate
from modelsteward.performance import accuracy as acc_fn


def _binary(n: int = 2000, seed: int = 0, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, n) - shift * y, 0, 1)
    start = np.datetime64("2026-03-01T00:00:00")
    return pa.table(
        {
            "id": np.arange(n) + 10_000 * seed,
            "label": y,
            "prediction": (p >= 0.5).astype(int),
            "score": p,
            "ts": pa.array(start + (np.arange(n) * 90).astype("timedelta64[s]")),
            "region": rng.choice(["eu", "us", "apac"], n),
        }
    )


def test_windows_by_time_and_count_agree_with_direct_metrics() -> None:
    t = _binary()
    r = evaluate(
        t, task="binary", score="score", time="ts", window="1d", metrics=["accuracy", "roc_auc"]
    )
    assert [w.n for w in r.windows] == [960, 960, 80]
    y, pred = t["label"].to_numpy(), t["prediction"].to_numpy()
    assert r.windows[0].metrics["accuracy"].value == pytest.approx(acc_fn(y[:960], pred[:960]))
    assert r.windows[0].start == "2026-03-01T00:00:00+00:00"
    by_count = evaluate(t, task="binary", window=500, metrics=["accuracy"])
    assert [w.n for w in by_count.windows] == [500] * 4
    assert by_count.windows[1].key == "rows 500-999"


def test_window_without_labels_is_insufficient_data_never_zero() -> None:
    t = _binary(300)
    labels = pa.table({"id": t["id"].to_numpy()[:100], "label": t["label"].to_numpy()[:100]})
    r = evaluate(t.drop_columns(["label"]), labels, task="binary", score="score", window=100)
    last = r.windows[-1]
    assert last.status == "insufficient data"
    assert last.n_labelled == 0 and last.coverage == 0.0
    for m in last.metrics.values():
        assert m.status == "insufficient data" and m.value is None
    d = r.to_dict()
    assert d["windows"][2]["metrics"]["accuracy"]["value"] is None


def test_single_class_window_makes_roc_auc_undefined_with_reason() -> None:
    t = pa.table({"label": [1, 1, 1, 0], "prediction": [1, 1, 0, 0], "score": [0.9, 0.8, 0.4, 0.1]})
    r = evaluate(t, task="binary", score="score", window=3)
    auc = r.windows[0].metrics["roc_auc"]
    assert auc.status == "undefined" and auc.value is None
    assert "one class" in (auc.reason or "")
    assert r.windows[0].metrics["accuracy"].status == "ok"


def test_segments_carry_the_reference_value_and_change_tests() -> None:
    ref = _binary(3000, seed=1)
    cur = _binary(3000, seed=2, shift=0.2)
    r = evaluate(
        cur,
        task="binary",
        score="score",
        segment="region",
        reference=ref,
        metrics=["accuracy", "roc_auc", "f1"],
    )
    assert [s.key for s in r.segments] == ["apac", "eu", "us"]
    for s in r.segments:
        acc = s.metrics["accuracy"]
        assert acc.reference is not None and acc.change is not None
        assert acc.change.difference == pytest.approx(acc.value - acc.reference)
    assert r.overall.metrics["roc_auc"].change.degraded  # type: ignore[union-attr]
    assert r.degraded
    json.dumps(r.to_dict(), allow_nan=False)


def test_no_degradation_on_same_distribution() -> None:
    r = evaluate(
        _binary(3000, seed=3), task="binary", score="score", reference=_binary(3000, seed=4)
    )
    assert not r.degraded


def test_delayed_labels_recompute_as_they_arrive() -> None:
    t = _binary(1000)
    preds = t.drop_columns(["label"])
    ids, y = t["id"].to_numpy(), t["label"].to_numpy()
    acc = LabelAccumulator(preds["id"])
    coverages = []
    for part in np.array_split(np.random.default_rng(0).permutation(1000)[:700], 3):
        acc.add(pa.array(ids[part]), pa.array(y[part]))
        coverages.append(
            evaluate(preds, acc, task="binary", metrics=["accuracy"]).labels["coverage"]
        )
    assert coverages == pytest.approx([0.234, 0.467, 0.7])
    table = pa.table({"id": ids[:500], "label": y[:500]})
    assert evaluate(preds, table, task="binary").labels["coverage"] == 0.5


def test_unknown_label_ids_are_reported() -> None:
    t = _binary(50)
    labels = pa.table({"id": [0, 1, 999_999], "label": [0, 1, 1]})
    r = evaluate(t.drop_columns(["label"]), labels, task="binary")
    assert r.labels["unknown_ids"] == 1 and r.labels["unknown_id_examples"] == [999_999]


def test_multiclass_with_score_mapping_and_regression() -> None:
    rng = np.random.default_rng(5)
    n = 900
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 2 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    names = np.array(["cat", "dog", "eel"])
    t = pa.table(
        {
            "label": names[y],
            "prediction": names[proba.argmax(1)],
            **{f"p_{c}": proba[:, i] for i, c in enumerate(names)},
        }
    )
    r = evaluate(t, task="multiclass", score={c: f"p_{c}" for c in names})
    from sklearn.metrics import f1_score, roc_auc_score

    assert r.classes == ["cat", "dog", "eel"]
    assert r.overall.metrics["f1_macro"].value == pytest.approx(
        f1_score(names[y], names[proba.argmax(1)], average="macro")
    )
    assert r.overall.metrics["roc_auc"].value == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr")
    )
    yr = rng.normal(size=n)
    reg = evaluate(pa.table({"label": yr, "prediction": yr + 0.5}), task="regression")
    assert reg.overall.metrics["mae"].value == pytest.approx(0.5)


def test_bad_probabilities_and_rows_not_summing_to_one() -> None:
    t = pa.table({"label": [0, 1], "prediction": [0, 1], "score": [0.2, 1.5]})
    with pytest.raises(InputError, match=r"probability 1.5 in row 1 is outside \[0, 1\]"):
        evaluate(t, task="binary", score="score")
    m = pa.table(
        {"label": ["a", "b"], "prediction": ["a", "b"], "pa": [0.6, 0.5], "pb": [0.4, 0.6]}
    )
    with pytest.raises(InputError, match=r"row 1 sum to 1\.1"):
        evaluate(m, task="multiclass", score={"a": "pa", "b": "pb"})


def test_class_unseen_in_reference_is_an_error() -> None:
    ref = pa.table({"label": ["a", "b"], "prediction": ["a", "b"]})
    cur = pa.table({"label": ["a", "c"], "prediction": ["a", "a"]})
    with pytest.raises(InputError, match="class 'c' never appears in the reference"):
        evaluate(cur, task="multiclass", reference=ref)


def test_duplicate_prediction_ids_are_rejected() -> None:
    preds = pa.table({"id": [1, 2, 2], "prediction": [0, 1, 1]})
    with pytest.raises(InputError, match="prediction id 2 appears 2 times"):
        evaluate(preds, pa.table({"id": [1], "label": [0]}), task="binary")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"task": "ranking"}, ParameterError, "task must be one of"),
        ({"task": "binary", "window": "1d"}, ParameterError, "pass the time column"),
        ({"task": "binary", "window": "soon"}, ParameterError, "window must be"),
        ({"task": "binary", "metrics": ["mae"]}, ParameterError, "unknown metric 'mae'"),
        ({"task": "binary", "metrics": ["roc_auc"]}, ParameterError, "needs scores"),
        ({"task": "binary", "label": "nope"}, SchemaError, "no label column 'nope'"),
    ],
)
def test_parameter_errors(kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        evaluate(_binary(20), **kwargs)  # type: ignore[arg-type]


def test_binary_task_with_three_classes_is_a_schema_error() -> None:
    t = pa.table({"label": [0, 1, 2], "prediction": [0, 1, 1]})
    with pytest.raises(SchemaError, match="use task='multiclass'"):
        evaluate(t, task="binary")
