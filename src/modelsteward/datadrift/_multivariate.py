"""Multivariate drift: changes in the joint distribution that single columns can miss.

Two views, both computed on a random sample of rows from each side:

* **Domain classifier.** A gradient-boosted classifier (scikit-learn's
  ``HistGradientBoostingClassifier``) learns to tell reference rows from current rows;
  its cross-validated ROC AUC is 0.5 when the two are indistinguishable. Drift when the
  AUC reaches ``auc_threshold`` (0.55) *and* its 95 % interval (Hanley–McNeil standard
  error) lies above 0.5. The features that separate the sets most are ranked by
  permutation importance (drop in held-out AUC when a feature is shuffled).
* **PCA reconstruction error** (as NannyML's data-reconstruction drift). Numeric columns
  are standardised on the reference, a PCA keeping 65 % of the variance is fitted on
  half of the reference sample, and the mean reconstruction error is measured on the
  other half in 10 chunks. The band is the chunks' mean ± 3 standard deviations,
  rescaled to the current sample's size; drift when the current error leaves it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import numpy as np

from modelsteward.stats import batch_auc

__all__ = ["multivariate_drift"]

AUC_THRESHOLD = 0.55
CV_FOLDS = 3
TOP_FEATURES = 10
PCA_VARIANCE = 0.65
PCA_CHUNKS = 10
MIN_ROWS = 50

Sample = tuple[str, str, np.ndarray, np.ndarray]
MaybeSample = tuple[str, str, np.ndarray | None, np.ndarray | None]


def multivariate_drift(
    samples: list[MaybeSample], *, seed: int = 0, domain_classifier: bool = True
) -> dict[str, Any]:
    """Both multivariate views from per-column samples ``(name, kind, reference, current)``.

    ``domain_classifier=False`` skips the classifier (reported as skipped, with the
    reason) and computes the PCA view only.

    >>> rng = np.random.default_rng(1)
    >>> ref = rng.normal(size=(2, 600)); cur = rng.normal(size=(2, 600))
    >>> cur[1] = cur[0] + rng.normal(scale=0.1, size=600)   # a new correlation
    >>> columns = [("a", "numeric", ref[0], cur[0]), ("b", "numeric", ref[1], cur[1])]
    >>> out = multivariate_drift(columns)
    >>> out["pca_reconstruction"]["drifted"], out["domain_classifier"]["drifted"]
    (True, True)
    """
    usable: list[Sample] = [
        (name, kind, ref, cur)
        for name, kind, ref, cur in samples
        if ref is not None and cur is not None
    ]
    # One BLAS/OpenMP thread per call: the matrices are a few thousand rows, where
    # OpenBLAS's threads cost far more than they bring (an SVD of 1250 x 35 took 0.5 s
    # instead of 2 ms on a busy 2-core machine); parallelism comes from our own threads.
    with _one_thread_per_library() as single_threaded:
        return {
            "domain_classifier": (
                _domain_classifier(usable, seed, single_threaded)
                if domain_classifier
                else _skipped("turned off (domain_classifier=False)", **_classifier_blank())
            ),
            "pca_reconstruction": _pca_reconstruction(
                [s for s in usable if s[1] in ("numeric", "boolean")], seed
            ),
        }


@contextlib.contextmanager
def _one_thread_per_library() -> Iterator[Callable[[], None]]:
    """Limit BLAS and OpenMP to one thread; yield the same limit for threads started inside.

    OpenMP's thread count is a per-thread setting: a pool thread does not inherit the
    limit set here, and each of scikit-learn's fits on it would start a team of one
    OpenMP thread per core (three folds on two cores: six busy threads, spinning).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # scikit-learn's dependency; without it, run as configured
        yield lambda: None
        return
    controller = ThreadpoolController()
    with controller.limit(limits=1):
        yield lambda: controller.limit(limits=1, user_api="openmp")


def _skipped(reason: str, **extra: Any) -> dict[str, Any]:
    return {"status": "skipped", "reason": reason, "drifted": None, **extra}


def _classifier_blank() -> dict[str, Any]:
    """The domain classifier's fields when it did not run."""
    return {"threshold": AUC_THRESHOLD, "auc": None, "auc_ci": None, "top_features": []}


def _domain_classifier(
    samples: list[Sample], seed: int, thread_setup: Callable[[], None]
) -> dict[str, Any]:
    base = _classifier_blank()
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        return _skipped("needs scikit-learn: pip install 'modelsteward[ml]'", **base)
    if not samples:
        return _skipped("no comparable columns", **base)
    ref = np.column_stack([s[2] for s in samples])
    cur = np.column_stack([s[3] for s in samples])
    if min(len(ref), len(cur)) < MIN_ROWS:
        return _skipped(f"needs at least {MIN_ROWS} rows on each side", **base)
    x = np.vstack([ref, cur])
    y = np.concatenate([np.zeros(len(ref)), np.ones(len(cur))])
    categorical = [
        s[1] not in ("numeric", "datetime") and np.nanmax(np.append(s[2], 0)) < 250 for s in samples
    ]
    x[:, categorical] = np.where(x[:, categorical] < 0, np.nan, x[:, categorical])

    def model() -> Any:
        return HistGradientBoostingClassifier(
            max_iter=40,
            learning_rate=0.1,
            max_leaf_nodes=15,
            categorical_features=np.asarray(categorical) if any(categorical) else None,
            early_stopping=False,
            random_state=seed,
        )

    folds = list(StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed).split(x, y))
    out_of_fold = np.empty(len(y))

    def fit_fold(fold: tuple[np.ndarray, np.ndarray]) -> Any:
        train, test = fold
        fitted = model().fit(x[train], y[train])
        out_of_fold[test] = fitted.predict_proba(x[test])[:, 1]
        return fitted

    # Folds are fitted side by side on threads (with one OpenMP thread each, see
    # multivariate_drift): whole folds parallelise well, as the fitting releases the GIL.
    # The permutation importance of the first fold's model is scored in slices queued
    # behind the fits, so a thread left idle by the last fit picks one up.
    rng = np.random.default_rng(seed)
    test = folds[0][1]
    workers = min(CV_FOLDS, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers, initializer=thread_setup) as pool:
        fits = [pool.submit(fit_fold, fold) for fold in folds]
        importance = _permutation_importance(
            fits[0].result, x[test], y[test], rng, pool, parts=workers
        )
        for fit in fits:
            fit.result()
    auc = float(batch_auc(y[None].astype(bool), out_of_fold[None])[0])
    se = _hanley_mcneil_se(auc, len(ref), len(cur))
    low, high = auc - 1.96 * se, auc + 1.96 * se
    order = np.argsort(-importance)[:TOP_FEATURES]
    return {
        "status": "ok",
        "reason": None,
        "auc": auc,
        "auc_ci": [low, high],
        "threshold": AUC_THRESHOLD,
        "drifted": bool(auc >= AUC_THRESHOLD and low > 0.5),
        "rows": {"reference": len(ref), "current": len(cur)},
        "top_features": [
            {"name": samples[i][0], "importance": float(importance[i])} for i in order
        ],
    }


def _permutation_importance(
    model: Callable[[], Any],
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    pool: Executor,
    *,
    parts: int = 1,
) -> np.ndarray:
    """Drop in ROC AUC when each feature alone is shuffled, one draw per feature.

    ``model()`` returns the fitted model (it may wait for a fit still running). Every
    shuffled copy goes through ``predict_proba`` in ``parts`` slices on ``pool``:
    scikit-learn's per-call overhead, not the trees, dominates on a few thousand rows.
    """
    rows, features = x.shape
    shuffled = np.tile(x, (features, 1))
    for j in range(features):
        shuffled[j * rows : (j + 1) * rows, j] = rng.permutation(x[:, j])

    def scores(block: np.ndarray) -> np.ndarray:
        return np.asarray(model().predict_proba(block)[:, 1])

    blocks = np.array_split(np.vstack([x, shuffled]), parts)
    proba = np.concatenate(list(pool.map(scores, blocks))).reshape(features + 1, rows)
    labels = np.broadcast_to(y.astype(bool), proba.shape)
    auc = batch_auc(labels, proba)
    drops: np.ndarray = np.maximum(auc[0] - auc[1:], 0.0)
    return drops


def _hanley_mcneil_se(auc: float, n_negative: int, n_positive: int) -> float:
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (n_positive - 1) * (q1 - auc * auc) + (n_negative - 1) * (q2 - auc * auc)
    ) / (n_positive * n_negative)
    return float(np.sqrt(max(variance, 0.0)))


def _pca_reconstruction(samples: list[Sample], seed: int) -> dict[str, Any]:
    base = {
        "components": 0,
        "explained_variance": None,
        "reference_error": None,
        "current_error": None,
        "lower": None,
        "upper": None,
    }
    if len(samples) < 2:
        return _skipped("needs at least two numeric columns", **base)
    ref = np.column_stack([s[2] for s in samples]).astype(np.float64)
    cur = np.column_stack([s[3] for s in samples]).astype(np.float64)
    if len(ref) < 2 * PCA_CHUNKS * 5 or len(cur) < 5:
        return _skipped("too few rows for reconstruction chunks", **base)
    mean = np.nanmean(ref, axis=0)
    std = np.nanstd(ref, axis=0)
    keep = np.isfinite(mean) & (std > 0)
    if keep.sum() < 2:
        return _skipped("needs at least two non-constant numeric columns", **base)
    ref = _standardise(ref[:, keep], mean[keep], std[keep])
    cur = _standardise(cur[:, keep], mean[keep], std[keep])
    order = np.random.default_rng(seed).permutation(len(ref))
    fit_rows, band_rows = order[: len(ref) // 2], order[len(ref) // 2 :]
    _, singular, vt = np.linalg.svd(ref[fit_rows], full_matrices=False)
    share = np.cumsum(singular**2) / np.sum(singular**2)
    k = int(np.searchsorted(share, PCA_VARIANCE) + 1)
    basis = vt[:k]

    def error(rows: np.ndarray) -> np.ndarray:
        residual = rows - rows @ basis.T @ basis
        return np.asarray(np.linalg.norm(residual, axis=1))

    chunks = np.array_split(error(ref[band_rows]), PCA_CHUNKS)
    chunk_means = np.array([c.mean() for c in chunks])
    chunk_size = len(band_rows) / PCA_CHUNKS
    centre = float(chunk_means.mean())
    spread = 3 * float(chunk_means.std(ddof=1)) * float(np.sqrt(chunk_size / len(cur)))
    current_error = float(error(cur).mean())
    return {
        "status": "ok",
        "reason": None,
        "components": k,
        "explained_variance": float(share[k - 1]),
        "reference_error": centre,
        "current_error": current_error,
        "lower": centre - spread,
        "upper": centre + spread,
        "drifted": bool(not (centre - spread <= current_error <= centre + spread)),
    }


def _standardise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    z = (x - mean) / std
    return np.where(np.isfinite(z), z, 0.0)
