"""DLE: direct loss estimation of a regression model's MAE and RMSE, without labels.

On the reference, two gradient-boosted regressors (scikit-learn's
``HistGradientBoostingRegressor``, the ``ml`` extra) learn the expected absolute error
``E[|y - ŷ| | x, ŷ]`` and squared error ``E[(y - ŷ)² | x, ŷ]`` from the features and
the prediction. On current data the estimates are ``mean(abs_model)`` and
``sqrt(mean(sq_model))``.

Sampling error: MAE's is ``sqrt(Σ Var|e_i|) / n`` with ``Var|e_i| = E[e²] − E[|e|]²``
from the two models; RMSE's is the delta-method error of ``sqrt(MSE)`` with
``Var(e_i²) ≈ 2 E[e_i²]²`` (normal errors).

Features: a 2-d array, or a table (pandas/polars/Arrow) whose numeric columns are used
as they are and whose text columns become categories learned on the reference
(a category the reference never saw counts as missing).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from modelsteward.data import open_table
from modelsteward.errors import InputError, NotFittedError, ParameterError, require
from modelsteward.performance._intervals import _z

__all__ = ["DLE"]

FloatArray = NDArray[np.float64]
METRICS = ("mae", "rmse")


def _table_columns(X: Any) -> list[tuple[str, NDArray[Any]]] | None:
    if isinstance(X, np.ndarray | list):
        return None
    src = open_table(X, name="features")
    out = []
    for name in src.column_names:
        col = src.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        out.append((name, np.asarray(col.to_numpy(zero_copy_only=False))))
    return out


class DLE:
    """Estimate MAE and RMSE of a regression model on unlabelled data.

    Parameters
    ----------
    metrics : any of ``mae``, ``rmse``.
    max_iter, learning_rate : boosting rounds and step of both loss models.
    seed : random state of the loss models.
    n_threads : OpenMP threads for fitting and predicting (None: all cores; 1 avoids
        oversubscription when other processes share the machine).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 2)); noise = 0.2 + np.abs(X[:, 0])
    >>> y = X[:, 1] + rng.normal(size=3000) * noise
    >>> est = DLE(max_iter=50, n_threads=1).fit(X, X[:, 1], y)
    >>> Xc = rng.normal(size=(2000, 2)) + [1.0, 0.0]
    >>> {k: round(v, 1) for k, v in est.estimate(Xc, Xc[:, 1]).items()}
    {'mae': 1.1, 'rmse': 1.5}
    """

    def __init__(
        self,
        metrics: Sequence[str] = METRICS,
        *,
        max_iter: int = 200,
        learning_rate: float = 0.1,
        seed: int = 0,
        n_threads: int | None = None,
    ) -> None:
        self.metrics = metrics
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.seed = seed
        self.n_threads = n_threads

    def _threads(self) -> Any:
        """A context limiting OpenMP threads to ``n_threads`` (a no-op when None)."""
        if self.n_threads is None:
            return contextlib.nullcontext()
        limits: Any = require("threadpoolctl", "ml", "DLE thread limits")
        return limits.threadpool_limits(self.n_threads)

    def __repr__(self) -> str:
        return f"DLE(metrics={list(self.metrics)!r})"

    def _design(self, X: Any, y_pred: ArrayLike, where: str) -> FloatArray:
        pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
        cols = _table_columns(X)
        if cols is None:
            mat = np.asarray(X, dtype=np.float64)
            mat = mat.reshape(-1, 1) if mat.ndim == 1 else mat
            if hasattr(self, "categories_") and mat.shape[1] != len(self.categories_):
                raise InputError(
                    f"{where}: {mat.shape[1]} feature columns, the reference had "
                    f"{len(self.categories_)}"
                )
            if not hasattr(self, "categories_"):
                self.categories_: list[NDArray[Any] | None] = [None] * mat.shape[1]
        else:
            if not hasattr(self, "categories_"):
                self.feature_names_ = [c for c, _ in cols]
                self.categories_ = [
                    None if v.dtype.kind in "biuf" else np.unique(v.astype(str)) for _, v in cols
                ]
            names = [c for c, _ in cols]
            if names != self.feature_names_:
                raise InputError(
                    f"{where}: feature columns {names} differ from the reference's "
                    f"{self.feature_names_}"
                )
            mat = np.column_stack(
                [self._encode(v, cats) for (_, v), cats in zip(cols, self.categories_, strict=True)]
            )
        if mat.shape[0] != pred.size:
            raise InputError(f"{where}: {mat.shape[0]} feature rows but {pred.size} predictions")
        if np.isnan(pred).any():
            raise InputError(f"{where}: prediction missing in row {int(np.isnan(pred).argmax())}")
        return np.column_stack([mat, pred])

    @staticmethod
    def _encode(values: NDArray[Any], cats: NDArray[Any] | None) -> FloatArray:
        if cats is None:
            return np.asarray(values, dtype=np.float64)
        text = values.astype(str)
        idx = np.searchsorted(cats, text).clip(0, max(cats.size - 1, 0))
        found = cats[idx] == text if cats.size else np.zeros(text.size, bool)
        return np.where(found, idx, np.nan)

    def fit(
        self, X_reference: Any, y_pred_reference: ArrayLike, y_true_reference: ArrayLike
    ) -> DLE:
        """Learn the expected absolute and squared error on the reference; returns ``self``."""
        bad = [m for m in self.metrics if m not in METRICS]
        if bad or not self.metrics:
            raise ParameterError(
                f"The 'metrics' parameter of DLE takes {list(METRICS)}. "
                f"Got {list(self.metrics)!r} instead."
            )
        ensemble: Any = require("sklearn.ensemble", "ml", "DLE (label-free regression metrics)")
        for attr in ("categories_", "feature_names_"):
            self.__dict__.pop(attr, None)
        design = self._design(X_reference, y_pred_reference, "reference")
        y = np.asarray(y_true_reference, dtype=np.float64)
        if y.size != design.shape[0] or np.isnan(y).any():
            raise InputError("reference: labels must be numbers, one per prediction")
        err = y - design[:, -1]
        cat_mask = [c is not None and c.size <= 250 for c in self.categories_] + [False]
        models = []
        for target in (np.abs(err), err**2):
            model = ensemble.HistGradientBoostingRegressor(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                categorical_features=np.asarray(cat_mask),
                random_state=self.seed,
            )
            with self._threads():
                models.append(model.fit(design, target))
        self.abs_model_, self.sq_model_ = models
        self.reference_metrics_ = {
            "mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))),
        }
        return self

    def _losses(self, X: Any, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
        if not hasattr(self, "abs_model_"):
            raise NotFittedError(
                "This DLE instance is not fitted yet; call fit with reference data first"
            )
        design = self._design(X, y_pred, "current")
        with self._threads():
            abs_e = np.maximum(self.abs_model_.predict(design), 0.0)
            sq_e = np.maximum(self.sq_model_.predict(design), abs_e**2)
        return abs_e, sq_e

    def estimate(self, X: Any, y_pred: ArrayLike) -> dict[str, float]:
        """Estimated metrics for unlabelled data, keyed by metric name."""
        abs_e, sq_e = self._losses(X, y_pred)
        values = {"mae": float(abs_e.mean()), "rmse": float(np.sqrt(sq_e.mean()))}
        return {m: values[m] for m in self.metrics}

    def estimate_with_error(
        self, X: Any, y_pred: ArrayLike, *, confidence: float = 0.95
    ) -> dict[str, dict[str, float]]:
        """Each estimate with its sampling error and an interval ``estimate ± z·error``."""
        abs_e, sq_e = self._losses(X, y_pred)
        n = abs_e.size
        mae = float(abs_e.mean())
        rmse = float(np.sqrt(sq_e.mean()))
        se_mae = float(np.sqrt(np.sum(sq_e - abs_e**2)) / n)
        se_mse = float(np.sqrt(np.sum(2.0 * sq_e**2)) / n)
        se_rmse = se_mse / (2.0 * rmse) if rmse > 0 else 0.0
        z = _z(confidence)
        both = {"mae": (mae, se_mae), "rmse": (rmse, se_rmse)}
        return {
            m: {
                "estimate": both[m][0],
                "sampling_error": both[m][1],
                "lower": max(0.0, both[m][0] - z * both[m][1]),
                "upper": both[m][0] + z * both[m][1],
            }
            for m in self.metrics
        }
