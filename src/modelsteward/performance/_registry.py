"""The metric catalogue: how each metric is computed, which interval it gets, which way is better.

A :class:`Sample` holds one window's labelled rows, already encoded. :func:`measure`
turns a metric name and a sample into a :class:`Measurement` (value, interval and the
state a change test needs); :func:`compare` tests current against reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelsteward.errors import ParameterError
from modelsteward.performance import _classification as cls
from modelsteward.performance import _intervals as iv
from modelsteward.performance._ranking import batch_auc, delong
from modelsteward.performance._regression import batch_r2, mape_rows, pinball_rows
from modelsteward.performance._reliability import bin_index, confidence_rows, reliability_from_rows

__all__ = ["METRICS", "Measurement", "Sample", "compare", "default_metrics", "measure"]

Arrays = Sequence[NDArray[Any]]
FloatArray = NDArray[np.float64]


@dataclass
class Sample:
    """Labelled rows of one window. Classification: integer codes (binary: positive is 1) and an
    ``(n, k)`` probability matrix or None; regression: floats."""

    task: str
    true: NDArray[Any]
    pred: NDArray[Any]
    proba: FloatArray | None = None
    k: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.true.shape[0])


@dataclass(frozen=True)
class Spec:
    tasks: frozenset[str]
    higher_is_better: bool
    rows: Callable[[Sample], list[NDArray[Any]]]
    batch: Callable[[Sample, Arrays], FloatArray]
    undefined: str
    needs_score: bool = False
    proportion: Callable[[Sample], tuple[float, float]] | None = None


@dataclass
class Measurement:
    name: str
    value: float
    lower: float
    upper: float
    method: str
    state: Any
    reason: str | None = None
    details: dict[str, Any] | None = None


def _mean(rows: Arrays) -> FloatArray:
    return np.asarray(np.nanmean(rows[0], axis=1), dtype=np.float64)


def _prf(which: int, average: str) -> Callable[[Sample, Arrays], FloatArray]:
    def batch(s: Sample, a: Arrays) -> FloatArray:
        avg = "macro" if average == "binary" and s.task == "multiclass" else average
        return cls.prf_from_confusion(cls.batch_confusion(a[0], a[1], s.k), avg, 1)[which]

    return batch


def _true_pred(s: Sample) -> list[NDArray[Any]]:
    return [s.true, s.pred]


def _score_rows(s: Sample) -> list[NDArray[Any]]:
    assert s.proba is not None
    cols = [s.proba[:, 1]] if s.task == "binary" else list(s.proba.T)
    return [s.true, *cols]


def _ap_rows(s: Sample) -> list[NDArray[Any]]:
    """Binary: rows sorted once by descending score, so resamples need no sort."""
    if s.task != "binary":
        return _score_rows(s)
    assert s.proba is not None
    order = np.argsort(-s.proba[:, 1], kind="stable")
    return [s.true[order], s.proba[order, 1]]


def _ap_batch(s: Sample, a: Arrays) -> FloatArray:
    if s.task == "binary":
        return cls.batch_average_precision_sorted(a[0] == 1, a[1])
    return _ovr(cls.batch_average_precision)(s, a)


def _ovr(
    fn: Callable[[NDArray[np.bool_], FloatArray], FloatArray],
) -> Callable[[Sample, Arrays], FloatArray]:
    def batch(s: Sample, a: Arrays) -> FloatArray:
        if s.task == "binary":
            return fn(a[0] == 1, a[1])
        per_class = np.stack([fn(a[0] == j, a[1 + j]) for j in range(s.k)])
        return np.asarray(
            per_class.mean(axis=0), dtype=np.float64
        )  # NaN when a class is absent, as scikit-learn refuses it

    return batch


def _loss_rows(kind: str) -> Callable[[Sample], list[NDArray[Any]]]:
    def rows(s: Sample) -> list[NDArray[Any]]:
        assert s.proba is not None
        if kind == "log_loss":
            return [cls.log_loss_rows(s.true, s.proba)]
        return [cls.brier_rows(s.true, s.proba, s.task == "binary")]

    return rows


def _ece_rows(s: Sample) -> list[NDArray[Any]]:
    assert s.proba is not None
    conf, outcome = confidence_rows(s.true, s.proba, s.task == "binary")
    return [bin_index(conf, s.options.get("n_bins", 10)), conf, outcome]


def _ece_batch(s: Sample, a: Arrays) -> FloatArray:
    return cls.batch_ece(a[0], a[1], a[2], s.options.get("n_bins", 10))


def _reg_rows(kind: str) -> Callable[[Sample], list[NDArray[Any]]]:
    def rows(s: Sample) -> list[NDArray[Any]]:
        t, p = s.true, s.pred
        if kind == "mae":
            return [np.abs(t - p)]
        if kind == "mse":
            return [(t - p) ** 2]
        if kind == "mape":
            return [mape_rows(t, p, s.options.get("mape_zeros", "epsilon"))]
        return [pinball_rows(t, p, s.options.get("quantile", 0.5))]

    return rows


def _accuracy_prop(s: Sample) -> tuple[float, float]:
    return float(np.sum(s.true == s.pred)), float(s.n)


def _precision_prop(s: Sample) -> tuple[float, float]:
    return float(np.sum((s.true == 1) & (s.pred == 1))), float(np.sum(s.pred == 1))


def _recall_prop(s: Sample) -> tuple[float, float]:
    return float(np.sum((s.true == 1) & (s.pred == 1))), float(np.sum(s.true == 1))


CLF = frozenset({"binary", "multiclass"})
REG = frozenset({"regression"})

METRICS: dict[str, Spec] = {
    "accuracy": Spec(
        CLF,
        True,
        _true_pred,
        lambda s, a: np.mean(a[0] == a[1], axis=1),
        "no labelled rows",
        proportion=_accuracy_prop,
    ),
    "precision": Spec(
        CLF,
        True,
        _true_pred,
        _prf(0, "binary"),
        "no predicted positives",
        proportion=_precision_prop,
    ),
    "recall": Spec(
        CLF, True, _true_pred, _prf(1, "binary"), "no actual positives", proportion=_recall_prop
    ),
    "f1": Spec(CLF, True, _true_pred, _prf(2, "binary"), "no positives predicted or labelled"),
    "precision_macro": Spec(CLF, True, _true_pred, _prf(0, "macro"), "no labelled rows"),
    "recall_macro": Spec(CLF, True, _true_pred, _prf(1, "macro"), "no labelled rows"),
    "f1_macro": Spec(CLF, True, _true_pred, _prf(2, "macro"), "no labelled rows"),
    "f1_weighted": Spec(CLF, True, _true_pred, _prf(2, "weighted"), "no labelled rows"),
    "roc_auc": Spec(
        CLF,
        True,
        _score_rows,
        _ovr(batch_auc),
        "only one class among the labels (ROC AUC needs positives and negatives)",
        needs_score=True,
    ),
    "pr_auc": Spec(
        CLF,
        True,
        _ap_rows,
        _ap_batch,
        "no positive labels",
        needs_score=True,
    ),
    "log_loss": Spec(
        CLF,
        False,
        _loss_rows("log_loss"),
        lambda s, a: _mean(a),
        "no labelled rows",
        needs_score=True,
    ),
    "brier": Spec(
        CLF, False, _loss_rows("brier"), lambda s, a: _mean(a), "no labelled rows", needs_score=True
    ),
    "ece": Spec(CLF, False, _ece_rows, _ece_batch, "no labelled rows", needs_score=True),
    "mae": Spec(REG, False, _reg_rows("mae"), lambda s, a: _mean(a), "no labelled rows"),
    "rmse": Spec(REG, False, _reg_rows("mse"), lambda s, a: np.sqrt(_mean(a)), "no labelled rows"),
    "mape": Spec(REG, False, _reg_rows("mape"), lambda s, a: _mean(a), "no non-zero targets"),
    "r2": Spec(
        REG, True, lambda s: [s.true, s.pred], lambda s, a: batch_r2(a[0], a[1]), "constant targets"
    ),
    "quantile_loss": Spec(
        REG, False, _reg_rows("pinball"), lambda s, a: _mean(a), "no labelled rows"
    ),
}


def default_metrics(task: str, has_score: bool) -> list[str]:
    """The metrics reported when none are asked for.

    >>> default_metrics("regression", False)
    ['mae', 'rmse', 'mape', 'r2', 'quantile_loss']
    """
    if task == "regression":
        return ["mae", "rmse", "mape", "r2", "quantile_loss"]
    names = (
        ["accuracy", "precision", "recall", "f1"]
        if task == "binary"
        else ["accuracy", "precision_macro", "recall_macro", "f1_macro", "f1_weighted"]
    )
    if has_score:
        names += ["roc_auc", "pr_auc", "log_loss", "brier", "ece"]
    return names


def check_metrics(names: Sequence[str], task: str, has_score: bool) -> list[str]:
    """Validate requested metric names for ``task``."""
    out = []
    for name in names:
        spec = METRICS.get(name)
        if spec is None or task not in spec.tasks:
            valid = sorted(k for k, v in METRICS.items() if task in v.tasks)
            raise ParameterError(f"unknown metric {name!r} for a {task} task; choose from {valid}")
        if spec.needs_score and not has_score:
            raise ParameterError(f"metric {name!r} needs scores (probabilities); pass score=...")
        out.append(name)
    return out


def measure(
    name: str,
    sample: Sample,
    *,
    confidence: float,
    n_boot: int,
    seed: Sequence[int],
    max_rows: int = 20_000,
    indices: NDArray[np.int64] | None = None,
) -> Measurement:
    """Value, interval and change-test state of metric ``name`` on ``sample``.

    ``indices``: bootstrap resamples ``(B, m)`` shared by several metrics (see
    :func:`measure_all`); drawn from ``seed`` when None.
    """
    spec = METRICS[name]
    nan = float("nan")
    if sample.n == 0:
        return Measurement(name, nan, nan, nan, "none", None, "insufficient data")
    details = None
    if name == "ece":
        rows = _ece_rows(sample)
        details = reliability_from_rows(
            rows[1], rows[2], sample.options.get("n_bins", 10)
        ).to_dict()
    if spec.proportion is not None and (sample.task == "binary" or name == "accuracy"):
        x, n = spec.proportion(sample)
        if n == 0:
            return Measurement(name, nan, nan, nan, "wilson", None, spec.undefined)
        lo, hi = iv.wilson_interval(x, n, confidence)
        return Measurement(name, x / n, lo, hi, "wilson", (x, n))
    if name == "roc_auc" and sample.task == "binary":
        assert sample.proba is not None
        auc, var = delong(sample.true == 1, sample.proba[:, 1])
        if not np.isfinite(auc):
            return Measurement(name, nan, nan, nan, "delong", None, spec.undefined)
        lo, hi = iv.normal_interval(auc, var, confidence)
        return Measurement(name, auc, lo, hi, "delong", (auc, var))
    rows = spec.rows(sample)
    value = float(spec.batch(sample, [r[None] for r in rows])[0])
    if not np.isfinite(value):
        return Measurement(name, nan, nan, nan, "bootstrap", None, spec.undefined, details)
    draws = iv.bootstrap_draws(
        lambda a: spec.batch(sample, a),
        rows,
        value,
        n_boot=n_boot,
        seed=list(seed),
        max_rows=max_rows,
        sort_indices=name == "pr_auc" and sample.task == "binary",
        indices=indices,
    )
    lo, hi = iv.percentile_interval(draws, confidence)
    return Measurement(name, value, lo, hi, "bootstrap", (value, draws), None, details)


def measure_all(
    names: Sequence[str],
    sample: Sample,
    *,
    confidence: float,
    n_boot: int,
    seed: Sequence[int],
    max_rows: int = 20_000,
) -> dict[str, Measurement]:
    """:func:`measure` for several metrics on one sample, sharing one set of resamples.

    A binary sample with scores is first put in descending-score order and the resample
    indices are sorted, so rank metrics (PR AUC) never sort inside the bootstrap; the
    other metrics do not depend on row order.
    """
    if sample.task == "binary" and sample.proba is not None and sample.n:
        order = np.argsort(-sample.proba[:, 1], kind="stable")
        sample = Sample(
            sample.task,
            sample.true[order],
            sample.pred[order],
            sample.proba[order],
            sample.k,
            sample.options,
        )
    indices = None
    if sample.n and any(_uses_bootstrap(name, sample) for name in names):
        m = min(sample.n, max_rows)
        indices = sorted_draws(np.random.default_rng(list(seed)), sample.n, n_boot, m)
    return {
        name: measure(
            name,
            sample,
            confidence=confidence,
            n_boot=n_boot,
            seed=seed,
            max_rows=max_rows,
            indices=indices,
        )
        for name in names
    }


def sorted_draws(rng: np.random.Generator, n: int, b: int, m: int) -> NDArray[np.int64]:
    """``b`` rows of ``m`` uniform draws from ``range(n)``, each row in ascending order.

    Sorted without sorting: the normalised cumulative sums of ``m + 1`` exponential
    variables are distributed as ``m`` sorted uniforms (Rényi's representation).

    >>> d = sorted_draws(np.random.default_rng(0), 10, 3, 5)
    >>> d.shape, bool(np.all(np.diff(d, axis=1) >= 0)), int(d.min()) >= 0, int(d.max()) < 10
    ((3, 5), True, True, True)
    """
    out = np.empty((b, m), dtype=np.int64)
    chunk = max(1, 2_000_000 // max(m, 1))
    for start in range(0, b, chunk):
        rows = min(chunk, b - start)
        gaps = rng.standard_exponential(size=(rows, m + 1))
        cum = np.cumsum(gaps, axis=1)
        uniform = cum[:, :m] / cum[:, m:]
        out[start : start + rows] = np.minimum((uniform * n).astype(np.int64), n - 1)
    return out


def _uses_bootstrap(name: str, sample: Sample) -> bool:
    if METRICS[name].proportion is not None and (sample.task == "binary" or name == "accuracy"):
        return False
    return not (name == "roc_auc" and sample.task == "binary")


def compare(
    current: Measurement, reference: Measurement, *, confidence: float, alpha: float
) -> iv.Change | None:
    """Test whether ``current`` differs from ``reference``; None when either is undefined."""
    if current.state is None or reference.state is None or current.method != reference.method:
        return None
    better = METRICS[current.name].higher_is_better
    if current.method == "wilson":
        return iv.proportion_change(
            current.state,
            reference.state,
            confidence=confidence,
            alpha=alpha,
            higher_is_better=better,
        )
    if current.method == "delong":
        return iv.auc_change(current.state, reference.state, confidence=confidence, alpha=alpha)
    return iv.bootstrap_change(
        current.state, reference.state, confidence=confidence, alpha=alpha, higher_is_better=better
    )
