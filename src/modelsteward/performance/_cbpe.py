"""CBPE: confidence-based performance estimation for classifiers, without labels.

If the model's probabilities are calibrated, each row is a fractional positive ``p``
and a fractional negative ``1 - p``: the expected confusion matrix is the sum of
those fractions in each predicted column, and every metric follows from it. ROC AUC
is the AUC with each row weighted ``p`` as a positive and ``1 - p`` as a negative
(pairs of a row with itself left out) — the expected AUC, computed in O(n log n).

Calibration: fit on reference labels. ``calibration="auto"`` (default) calibrates
(bagged isotonic) only when the raw scores are miscalibrated beyond chance on the reference
and cross-fitted isotonic probabilities are better calibrated out of fold (see
:mod:`~modelsteward.performance._calibration`); learned: ``calibrated_``,
``calibration_p_value_``, ``ece_raw_``, ``ece_calibrated_``;
``"isotonic"`` always calibrates, ``"none"`` never. Multiclass: one-vs-rest isotonic per
class, rows renormalised. Multiclass precision, recall and F1 are macro averages.

Sampling error: the standard deviation of the metric that labels drawn from the
calibrated probabilities would realise on data of this size — simulated (200 draws,
vectorised; above 20,000 rows on a subsample, scaled by ``sqrt(m / n)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from modelsteward.errors import InputError, NotFittedError, ParameterError
from modelsteward.performance._calibration import (
    apply_isotonic,
    bagged_isotonic,
    cross_fitted,
    equal_count_ece,
    miscalibration_p_value,
)
from modelsteward.performance._classification import batch_confusion, prf_from_confusion
from modelsteward.performance._intervals import _z
from modelsteward.performance._ranking import batch_auc, weighted_auc
from modelsteward.performance._validate import check_known_classes, check_probabilities

__all__ = ["CBPE"]

FloatArray = NDArray[np.float64]
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


class CBPE:
    """Estimate accuracy, precision, recall, F1 and ROC AUC of a classifier without labels.

    Parameters
    ----------
    problem : ``"binary"`` or ``"multiclass"``.
    metrics : any of ``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc``.
    threshold : binary decision threshold on the raw probability (predicted positive at
        ``p >= threshold``); multiclass predicts the most probable class.
    calibration : ``"auto"``, ``"isotonic"`` or ``"none"``.
    n_folds, seed : cross-fitting folds for the calibration check, and its seed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=5000); y = rng.uniform(size=5000) < p
    >>> est = CBPE(problem="binary", metrics=["accuracy", "roc_auc"]).fit(y, p)
    >>> est.calibrated_
    False
    >>> {k: round(v, 2) for k, v in est.estimate(rng.uniform(size=2000) ** 2).items()}
    {'accuracy': 0.81, 'roc_auc': 0.88}
    """

    def __init__(
        self,
        problem: str = "binary",
        metrics: Sequence[str] = METRICS,
        *,
        threshold: float = 0.5,
        calibration: str = "auto",
        n_folds: int = 5,
        seed: int = 0,
    ) -> None:
        self.problem = problem
        self.metrics = metrics
        self.threshold = threshold
        self.calibration = calibration
        self.n_folds = n_folds
        self.seed = seed

    def __repr__(self) -> str:
        return f"CBPE(problem={self.problem!r}, metrics={list(self.metrics)!r})"

    def _check_params(self) -> None:
        if self.problem not in ("binary", "multiclass"):
            raise ParameterError(
                "The 'problem' parameter of CBPE must be 'binary' or "
                f"'multiclass'. Got {self.problem!r} instead."
            )
        bad = [m for m in self.metrics if m not in METRICS]
        if bad or not self.metrics:
            raise ParameterError(
                f"The 'metrics' parameter of CBPE takes {list(METRICS)}. "
                f"Got {list(self.metrics)!r} instead."
            )
        if self.calibration not in ("auto", "isotonic", "none"):
            raise ParameterError(
                "The 'calibration' parameter of CBPE must be 'auto', "
                f"'isotonic' or 'none'. Got {self.calibration!r} instead."
            )
        if not 0.0 < self.threshold < 1.0:
            raise ParameterError(
                "The 'threshold' parameter of CBPE must be a float in (0, 1). "
                f"Got {self.threshold!r} instead."
            )

    def _matrix(self, y_proba: Any, where: str, classes: NDArray[Any] | None) -> FloatArray:
        """Probabilities as an ``(n, k)`` matrix in class order, validated."""
        if isinstance(y_proba, Mapping) or hasattr(y_proba, "columns"):
            keys = list(y_proba.keys()) if isinstance(y_proba, Mapping) else list(y_proba.columns)
            if classes is not None:
                check_known_classes(np.asarray(keys), classes.tolist(), where)
                missing = [c for c in classes.tolist() if c not in keys]
                if missing:
                    raise InputError(f"{where}: no probability column for class {missing[0]!r}")
                keys = classes.tolist()
            mat = np.column_stack([np.asarray(y_proba[c], dtype=np.float64) for c in keys])
        else:
            mat = np.asarray(y_proba, dtype=np.float64)
        if mat.ndim == 1:
            if self.problem != "binary":
                raise InputError(f"{where}: multiclass needs one probability column per class")
            check_probabilities(mat, where, rows_sum_to_one=False)
            mat = np.column_stack([1.0 - mat, mat])
        if mat.ndim != 2 or mat.shape[0] == 0:
            raise InputError(f"{where}: expected a non-empty 1-d or 2-d array of probabilities")
        check_probabilities(mat, where, rows_sum_to_one=True)
        k = (
            2
            if classes is None and self.problem == "binary"
            else (None if classes is None else classes.size)
        )
        if k is not None and mat.shape[1] != k:
            raise InputError(
                f"{where}: {mat.shape[1]} probability columns but the reference "
                f"has {k} classes; a class the reference never saw cannot be "
                "estimated — give one column per reference class"
            )
        return mat

    def fit(self, y_true_reference: ArrayLike, y_proba_reference: Any) -> CBPE:
        """Learn classes and calibration from labelled reference data; returns ``self``."""
        self._check_params()
        y = np.asarray(y_true_reference)
        keys = None
        if isinstance(y_proba_reference, Mapping) or hasattr(y_proba_reference, "columns"):
            keys = np.asarray(
                list(y_proba_reference.keys())
                if isinstance(y_proba_reference, Mapping)
                else list(y_proba_reference.columns)
            )
        classes = np.unique(y) if keys is None else np.sort(keys)
        if keys is not None:
            check_known_classes(y, classes.tolist(), "reference labels")
        if self.problem == "binary" and classes.size != 2:
            raise InputError(
                f"reference labels: a binary problem needs exactly 2 classes, got "
                f"{classes.tolist()[:10]}"
            )
        raw = self._matrix(
            y_proba_reference,
            "reference probabilities",
            classes if keys is not None or self.problem == "multiclass" else None,
        )
        if raw.shape[0] != y.size:
            raise InputError(f"reference: {y.size} labels but {raw.shape[0]} probability rows")
        codes = np.searchsorted(classes, y)
        onehot = np.eye(classes.size)[codes]
        cols = [1] if self.problem == "binary" else list(range(classes.size))
        p_values, ece_raw, ece_oof = [], [], []
        for j in cols:
            oof = cross_fitted(raw[:, j], onehot[:, j], n_folds=self.n_folds, seed=self.seed)
            p_values.append(miscalibration_p_value(onehot[:, j], raw[:, j], seed=self.seed))
            ece_raw.append(float(equal_count_ece(onehot[:, j], raw[:, j])[0]))
            ece_oof.append(float(equal_count_ece(onehot[:, j], oof)[0]))
        self.calibration_p_value_ = min(p_values)
        self.ece_raw_ = float(np.mean(ece_raw))
        self.ece_calibrated_ = float(np.mean(ece_oof))
        self.calibrated_ = self.calibration == "isotonic" or (
            self.calibration == "auto"
            and self.calibration_p_value_ < 0.1
            and self.ece_calibrated_ < self.ece_raw_
        )
        self.calibrators_ = {
            j: bagged_isotonic(raw[:, j], onehot[:, j], seed=self.seed) for j in cols
        }
        self.classes_ = classes
        self.reference_metrics_ = _realised(codes, raw, self.threshold, self.problem)
        self.reference_estimate_ = self._expected(raw)
        return self

    def _complete(self, proba: FloatArray) -> FloatArray:
        if self.problem == "binary":
            proba[:, 0] = 1.0 - proba[:, 1]
            return proba
        sums = proba.sum(axis=1, keepdims=True)
        return np.where(sums > 0, proba / np.where(sums > 0, sums, 1.0), 1.0 / proba.shape[1])

    def _calibrate(self, raw: FloatArray) -> FloatArray:
        if not self.calibrated_:
            return raw
        out = raw.copy()
        for j, knots in self.calibrators_.items():
            out[:, j] = apply_isotonic(knots, raw[:, j])
        return self._complete(out)

    def _predicted(self, raw: FloatArray) -> NDArray[np.int64]:
        if self.problem == "binary":
            return (raw[:, 1] >= self.threshold).astype(np.int64)
        return np.asarray(np.argmax(raw, axis=1), dtype=np.int64)

    def _expected(self, raw: FloatArray) -> dict[str, float]:
        p = self._calibrate(raw)
        pred = self._predicted(raw)
        k = p.shape[1]
        cm = np.zeros((k, k))
        for col in range(k):  # loop over classes, not rows
            cm[:, col] = p[pred == col].sum(axis=0)
        out = {}
        avg = "binary" if self.problem == "binary" else "macro"
        prec, rec, f1 = (float(v[0]) for v in prf_from_confusion(cm[None], avg, 1))
        values = {
            "accuracy": float(np.trace(cm) / p.shape[0]),
            "precision": prec,
            "recall": rec,
            "f1": f1,
        }
        for name in self.metrics:
            if name == "roc_auc":
                cols = [1] if self.problem == "binary" else range(k)
                out[name] = float(
                    np.mean(
                        [
                            weighted_auc(raw[:, j], p[:, j], 1.0 - p[:, j], exclude_self=True)
                            for j in cols
                        ]
                    )
                )
            else:
                out[name] = values[name]
        return out

    def _fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                "This CBPE instance is not fitted yet; call fit with reference data first"
            )

    def estimate(self, y_proba: Any) -> dict[str, float]:
        """Estimated metrics of unlabelled data, keyed by metric name."""
        self._fitted()
        return self._expected(self._matrix(y_proba, "current probabilities", self.classes_))

    def estimate_with_error(
        self, y_proba: Any, *, confidence: float = 0.95, n_sim: int = 200
    ) -> dict[str, dict[str, float]]:
        """Each estimate with its sampling error and an interval ``estimate ± z·error``.

        >>> rng = np.random.default_rng(1)
        >>> p = rng.uniform(size=4000); y = rng.uniform(size=4000) < p
        >>> out = CBPE(metrics=["accuracy"]).fit(y, p).estimate_with_error(p[:1000])
        >>> round(out["accuracy"]["sampling_error"], 3)
        0.014
        """
        self._fitted()
        raw = self._matrix(y_proba, "current probabilities", self.classes_)
        values = self._expected(raw)
        errors = self._simulated_errors(raw, n_sim)
        z = _z(confidence)
        return {
            name: {
                "estimate": v,
                "sampling_error": errors[name],
                "lower": max(0.0, v - z * errors[name]),
                "upper": min(1.0, v + z * errors[name]),
            }
            for name, v in values.items()
        }

    def _simulated_errors(self, raw: FloatArray, n_sim: int) -> dict[str, float]:
        n = raw.shape[0]
        m = min(n, 20_000)
        rng = np.random.default_rng(self.seed)
        rows = rng.choice(n, m, replace=False) if m < n else np.arange(n)
        sub = raw[rows]
        p = self._calibrate(sub)
        cum = np.cumsum(p, axis=1)
        draws = (rng.uniform(size=(n_sim, m, 1)) > cum[None]).sum(axis=2)
        draws = np.minimum(draws, p.shape[1] - 1)
        sims = _realised_batch(draws, sub, self._predicted(sub), self.problem, self.metrics)
        scale = np.sqrt(m / n)
        return {k: float(np.nanstd(v, ddof=1) * scale) for k, v in sims.items()}


def _realised_batch(
    true: NDArray[np.int64],
    raw: FloatArray,
    pred: NDArray[np.int64],
    problem: str,
    metrics: Sequence[str],
) -> dict[str, FloatArray]:
    """Realised metrics for each row of ``true`` ``(B, m)`` against fixed predictions."""
    k = raw.shape[1]
    preds = np.broadcast_to(pred, true.shape)
    cm = batch_confusion(true, preds, k)
    avg = "binary" if problem == "binary" else "macro"
    prec, rec, f1 = prf_from_confusion(cm, avg, 1)
    out: dict[str, FloatArray] = {
        "accuracy": np.mean(true == preds, axis=1),
        "precision": prec,
        "recall": rec,
        "f1": f1,
    }
    if "roc_auc" in metrics:
        cols = [1] if problem == "binary" else range(k)
        out["roc_auc"] = np.mean(
            [batch_auc(true == j, np.broadcast_to(raw[:, j], true.shape)) for j in cols], axis=0
        )
    return {name: out[name] for name in metrics}


def _realised(
    codes: NDArray[np.int64], raw: FloatArray, threshold: float, problem: str
) -> dict[str, float]:
    pred = (
        (raw[:, 1] >= threshold).astype(np.int64)
        if problem == "binary"
        else np.argmax(raw, axis=1).astype(np.int64)
    )
    got = _realised_batch(codes[None], raw, pred, problem, METRICS)
    return {k: float(v[0]) for k, v in got.items()}
