"""Model quality: metrics over windows with delayed labels, intervals, label-free estimation.

- :func:`evaluate` measures metrics per window (by time or row count) and per segment,
  each with a confidence interval (Wilson, DeLong or bootstrap) and a test against a
  reference; labels may come separately, late or never (joined by prediction id).
- metric functions (:func:`accuracy`, :func:`roc_auc`, :func:`mae`, ...) on arrays;
- :class:`CBPE` and :class:`DLE` estimate quality before labels arrive.

>>> from modelsteward.performance import roc_auc, wilson_interval
>>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from modelsteward.performance._cbpe import CBPE
from modelsteward.performance._classification import (
    accuracy,
    average_precision,
    brier_score,
    f1,
    log_loss,
    precision,
    recall,
    roc_auc,
)
from modelsteward.performance._dle import DLE
from modelsteward.performance._evaluate import evaluate
from modelsteward.performance._intervals import Change, wilson_interval
from modelsteward.performance._labels import LabelAccumulator, LabelJoin, join_labels
from modelsteward.performance._ranking import delong, weighted_auc
from modelsteward.performance._regression import mae, mape, quantile_loss, r2, rmse
from modelsteward.performance._reliability import (
    ReliabilityCurve,
    expected_calibration_error,
    reliability_curve,
)
from modelsteward.performance._results import MetricResult, PerformanceReport, SliceResult

__all__ = [
    "CBPE",
    "DLE",
    "Change",
    "LabelAccumulator",
    "LabelJoin",
    "MetricResult",
    "PerformanceReport",
    "ReliabilityCurve",
    "SliceResult",
    "accuracy",
    "average_precision",
    "brier_score",
    "delong",
    "evaluate",
    "expected_calibration_error",
    "f1",
    "join_labels",
    "log_loss",
    "mae",
    "mape",
    "precision",
    "quantile_loss",
    "r2",
    "recall",
    "reliability_curve",
    "rmse",
    "roc_auc",
    "weighted_auc",
    "wilson_interval",
]
