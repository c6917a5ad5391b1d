"""The evaluation gate: a candidate against the champion on held-out recent labeled data.

Classification compares the paired correct/incorrect outcomes with McNemar's test;
regression bootstraps the per-row loss difference. Guardrails come first and each one that
fails is a reason: too few held-out rows (inconclusive, so not passed), a different input
schema, accuracy more than ``max_accuracy_drop`` below the champion's (or loss more than
``max_loss_increase`` above it), a significantly worse candidate, a per-row latency over
budget, or a candidate whose ``predict`` fails on the held-out rows.

>>> import numpy as np, pyarrow as pa
>>> holdout = pa.table({"x": np.arange(200.0), "y": (np.arange(200) % 2).astype(int)})
>>> def champion(features):
...     return np.zeros(features.num_rows, int)          # right half of the time
>>> def candidate(features):
...     return (features["x"].to_numpy() % 2).astype(int)  # always right
>>> result = evaluate_candidate(candidate, champion, holdout, label="y",
...                             config=GateConfig(task="classification"))
>>> ev = result.evidence
>>> result.passed, ev["candidate"]["accuracy"], ev["champion"]["accuracy"]
(True, 1.0, 0.5)
>>> result.evidence["test"]["p_mid"] < 1e-20
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from modelsteward.errors import ParameterError, SchemaError
from modelsteward.retrain._model import PredictFn
from modelsteward.retrain._paired import mcnemar, paired_bootstrap

__all__ = ["GateConfig", "GateResult", "evaluate_candidate", "schema_difference"]


@dataclass(frozen=True)
class GateConfig:
    """How strict the gate is.

    Parameters
    ----------
    task:
        ``"classification"`` (McNemar on correct/incorrect) or ``"regression"`` (paired
        bootstrap of the loss difference).
    min_samples:
        Fewer held-out rows than this fail the gate as inconclusive.
    alpha:
        Significance level of the paired test: McNemar's mid-p value is compared with it
        (the exact p-value is in the evidence too); the bootstrap uses a ``1 - alpha``
        interval.
    max_accuracy_drop:
        Classification: the candidate's accuracy may be at most this far below the
        champion's.
    max_loss_increase:
        Regression: the candidate's mean loss may be at most this fraction above the
        champion's.
    require_improvement:
        Also require the candidate to be significantly better (not only not worse).
    max_latency_ms_per_row:
        Budget for the candidate's predict time per row on the held-out batch (None: none).
    loss:
        Regression loss per row: ``"squared"`` or ``"absolute"``.
    n_resamples, seed:
        Of the paired bootstrap.
    min_accuracy:
        Classification without a champion: the candidate's accuracy must reach this.
    """

    task: Literal["classification", "regression"]
    min_samples: int = 100
    alpha: float = 0.05
    max_accuracy_drop: float = 0.01
    max_loss_increase: float = 0.05
    require_improvement: bool = False
    max_latency_ms_per_row: float | None = None
    loss: Literal["squared", "absolute"] = "squared"
    n_resamples: int = 2000
    seed: int = 0
    min_accuracy: float | None = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ParameterError(
                f"The 'task' parameter of GateConfig must be 'classification' or "
                f"'regression'. Got {self.task!r} instead."
            )
        if not 0 < self.alpha < 1:
            raise ParameterError(f"GateConfig.alpha must be in (0, 1). Got {self.alpha}.")
        if self.min_samples < 1:
            raise ParameterError(f"GateConfig.min_samples must be >= 1. Got {self.min_samples}.")


@dataclass(frozen=True)
class GateResult:
    """Whether the candidate may go on, why, and the numbers behind it."""

    passed: bool
    reasons: tuple[str, ...]
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": list(self.reasons), "evidence": self.evidence}


def schema_difference(
    champion: Mapping[str, str], candidate: Mapping[str, str]
) -> dict[str, Any] | None:
    """What differs between two input schemas, or None when they are equal.

    >>> schema_difference({"a": "double", "b": "int64"}, {"a": "float", "c": "int64"})
    {'missing': ['b'], 'extra': ['c'], 'changed': {'a': ['double', 'float']}}
    """
    missing = sorted(set(champion) - set(candidate))
    extra = sorted(set(candidate) - set(champion))
    changed = {
        k: [champion[k], candidate[k]]
        for k in champion
        if k in candidate and champion[k] != candidate[k]
    }
    if not (missing or extra or changed):
        return None
    return {"missing": missing, "extra": extra, "changed": changed}


def _own_columns(features: pa.Table, schema: Mapping[str, str] | None) -> pa.Table:
    """The columns a model was trained on, when all of them are there (else all)."""
    if schema is None or not set(schema) <= set(features.column_names):
        return features
    return features.select(list(schema))


def _timed(
    predict: PredictFn, features: pa.Table, timer: Callable[[], float]
) -> tuple[np.ndarray | None, float, str | None]:
    start = timer()
    try:
        out = np.asarray(predict(features))
    except Exception as exc:
        return None, timer() - start, f"{type(exc).__name__}: {exc}"
    elapsed = timer() - start
    if out.ndim != 1 or out.shape[0] != features.num_rows:
        return None, elapsed, f"output shape {out.shape} for {features.num_rows} rows"
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        bad = int(np.count_nonzero(~np.isfinite(out)))
        return None, elapsed, f"{bad} of {out.size} predictions are NaN or infinite"
    return out, elapsed, None


def _correct(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    if (pred.dtype.kind in "biuf") != (y.dtype.kind in "biuf"):
        return np.asarray(pred.astype(str) == y.astype(str))
    return np.asarray(pred == y)


def _loss(pred: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    err: np.ndarray = pred.astype(float) - y.astype(float)
    return np.asarray(err * err if kind == "squared" else np.abs(err))


def evaluate_candidate(
    candidate: PredictFn,
    champion: PredictFn | None,
    holdout: pa.Table,
    *,
    label: str,
    config: GateConfig,
    candidate_schema: Mapping[str, str] | None = None,
    champion_schema: Mapping[str, str] | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> GateResult:
    """Judge ``candidate`` against ``champion`` (None: no champion yet) on ``holdout``.

    ``holdout`` holds the feature columns and ``label``; both predict functions receive the
    features alone. ``timer`` measures the predict calls (inject one in tests).
    """
    if label not in holdout.column_names:
        raise SchemaError(
            f"The held-out data has no label column {label!r}; it has {holdout.column_names}."
        )
    features = holdout.drop_columns([label])
    y = holdout.column(label).to_numpy(zero_copy_only=False)
    n = holdout.num_rows
    reasons: list[str] = []
    ev: dict[str, Any] = {"task": config.task, "n": n, "alpha": config.alpha}

    if n < config.min_samples:
        reasons.append(
            f"inconclusive: {n} held-out rows, fewer than min_samples={config.min_samples}"
        )
    if candidate_schema is not None and champion_schema is not None:
        diff = schema_difference(champion_schema, candidate_schema)
        ev["schema_difference"] = diff
        if diff is not None:
            reasons.append(f"input schema differs from the champion's: {diff}")
    if n == 0:
        return GateResult(False, tuple(reasons), ev)

    cand_out, cand_s, cand_err = _timed(candidate, _own_columns(features, candidate_schema), timer)
    ev["candidate"] = {"latency_ms_per_row": 1000.0 * cand_s / n}
    if cand_err is not None:
        reasons.append(f"the candidate's predict failed on the held-out rows: {cand_err}")
        ev["candidate"]["error"] = cand_err
        return GateResult(False, tuple(reasons), ev)
    assert cand_out is not None
    budget = config.max_latency_ms_per_row
    if budget is not None and ev["candidate"]["latency_ms_per_row"] > budget:
        reasons.append(
            f"latency {ev['candidate']['latency_ms_per_row']:.4g} ms/row over the "
            f"budget of {budget:g} ms/row"
        )

    champ_out: np.ndarray | None = None
    if champion is not None:
        champ_out, champ_s, champ_err = _timed(
            champion, _own_columns(features, champion_schema), timer
        )
        ev["champion"] = {"latency_ms_per_row": 1000.0 * champ_s / n}
        if champ_err is not None:
            ev["champion"]["error"] = champ_err  # judged on the candidate alone

    if config.task == "classification":
        _classification(cand_out, champ_out, y, config, ev, reasons)
    else:
        _regression(cand_out, champ_out, y, config, ev, reasons)
    if not reasons:
        return GateResult(True, (ev.get("summary", "candidate passed"),), ev)
    return GateResult(False, tuple(reasons), ev)


def _classification(
    cand: np.ndarray,
    champ: np.ndarray | None,
    y: np.ndarray,
    config: GateConfig,
    ev: dict[str, Any],
    reasons: list[str],
) -> None:
    cand_ok = _correct(cand, y)
    acc = float(cand_ok.mean())
    ev["candidate"]["accuracy"] = acc
    if champ is None:
        ev["summary"] = f"candidate accuracy {acc:.4f} (no champion to compare with)"
        if config.min_accuracy is not None and acc < config.min_accuracy:
            reasons.append(f"accuracy {acc:.4f} below min_accuracy {config.min_accuracy}")
        return
    champ_ok = _correct(champ, y)
    champ_acc = float(champ_ok.mean())
    ev["champion"]["accuracy"] = champ_acc
    test = mcnemar(champ_ok, cand_ok)
    ev["test"] = {"name": "mcnemar", **test.to_dict()}
    significant = test.p_mid < config.alpha
    ev["summary"] = (
        f"candidate accuracy {acc:.4f} vs champion {champ_acc:.4f} "
        f"(McNemar b={test.b}, c={test.c}, mid-p {test.p_mid:.3g})"
    )
    if acc < champ_acc - config.max_accuracy_drop:
        reasons.append(
            f"accuracy {acc:.4f} is more than {config.max_accuracy_drop} below the "
            f"champion's {champ_acc:.4f}"
        )
    if significant and test.b > test.c:
        reasons.append(f"significantly worse than the champion: {ev['summary']}")
    if config.require_improvement and not (significant and test.c > test.b):
        reasons.append(f"not significantly better than the champion: {ev['summary']}")


def _regression(
    cand: np.ndarray,
    champ: np.ndarray | None,
    y: np.ndarray,
    config: GateConfig,
    ev: dict[str, Any],
    reasons: list[str],
) -> None:
    cand_loss = _loss(cand, y, config.loss)
    loss = float(cand_loss.mean())
    ev["candidate"]["loss"] = loss
    ev["loss"] = config.loss
    if champ is None:
        ev["summary"] = f"candidate mean {config.loss} loss {loss:.4g} (no champion)"
        return
    champ_loss = _loss(champ, y, config.loss)
    base = float(champ_loss.mean())
    ev["champion"]["loss"] = base
    boot = paired_bootstrap(
        cand_loss - champ_loss,
        n_resamples=config.n_resamples,
        confidence=1.0 - config.alpha,
        seed=config.seed,
    )
    ev["test"] = {"name": "paired_bootstrap", **boot.to_dict()}
    ev["summary"] = (
        f"candidate loss {loss:.4g} vs champion {base:.4g} (difference "
        f"{boot.mean:.4g}, CI [{boot.ci_low:.4g}, {boot.ci_high:.4g}])"
    )
    if loss > base * (1.0 + config.max_loss_increase) + 1e-12:
        reasons.append(
            f"loss {loss:.4g} is more than {config.max_loss_increase:.0%} above the "
            f"champion's {base:.4g}"
        )
    if boot.ci_low > 0:
        reasons.append(f"significantly worse than the champion: {ev['summary']}")
    if config.require_improvement and not boot.ci_high < 0:
        reasons.append(f"not significantly better than the champion: {ev['summary']}")
