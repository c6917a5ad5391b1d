"""The retraining policies the server's scheduler runs: ``[retrain.<model>]`` tables of
``steward.toml`` (the file the settings read: ``$STEWARD_CONFIG`` or ``./steward.toml``).

::

    [retrain.churn]
    entry_point = "pkg.train:fit"       # module:function(train, params) -> fitted model
    window = "1d"                       # the evaluated window width whose results feed it
    strategy = "window"                 # "all" labeled history, or a sliding "window"
    window_days = 30                    # (strategy = "window") and/or window_rows
    holdout = 0.2                       # the newest labeled rows kept for the gate
    timeout_seconds = 1800              # the training subprocess is killed after it
    cooldown_hours = 6                  # no run starts within this of the last one
    max_runs_per_day = 4                # the budget, over any 24 hours
    params = { n_estimators = 200 }     # reach the training function (with "label")
    trust_champion = false              # allow loading a pickled champion for the gate
    [retrain.churn.gate]                # GateConfig fields (task defaults from the model)
    max_accuracy_drop = 0.01
    [retrain.churn.triggers]            # any one is enough
    drift = true                        # dataset drift; or { share_threshold = 0.3 }
    performance = [{ metric = "accuracy", below = 0.85 },
                   { metric = "accuracy", below = 0.85, source = "estimated" },
                   { metric = "rmse", above = 2.0 }]
    detector = true                     # the ADWIN detector on mistakes fired
    every_hours = 168                   # a schedule
    new_labels = 5000                   # this many labels since the last run

The training table holds the retained features (``feature_retention_days`` must be on)
joined with the labels, in a column named ``label``.

>>> spec = parse_retrain({"churn": {"entry_point": "m:f", "triggers": {"drift": True,
...     "performance": [{"metric": "accuracy", "below": 0.8}]}}})["churn"]
>>> [type(t).__name__ for t in spec.policy().triggers]
['DriftTrigger', 'PerformanceTrigger']
>>> spec.job("churn", "binary").gate.task
'classification'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from modelsteward.errors import DataReadError, ParameterError
from modelsteward.retrain import (
    AllHistory,
    DetectorTrigger,
    DriftTrigger,
    GateConfig,
    LabelsTrigger,
    PerformanceTrigger,
    RetrainJob,
    RetrainPolicy,
    ScheduleTrigger,
    SlidingWindow,
    Trigger,
)
from modelsteward.server._evaluate import parse_window

if TYPE_CHECKING:
    from modelsteward.server._retrain import RetrainDispatcher
    from modelsteward.settings import Settings
    from modelsteward.store import Store

__all__ = [
    "LABEL",
    "RetrainSpec",
    "dispatcher_from_settings",
    "load_retrain",
    "parse_retrain",
]

#: The label column of the training table built by the scheduler.
LABEL = "label"
#: The detector the evaluation runs (ADWIN on the stream of mistakes), as triggers name it.
MISTAKE_DETECTOR = "mistake_drift"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerformanceRule(_Strict):
    """Fire when ``metric`` is below ``below`` (or above ``above``)."""

    metric: str = Field(min_length=1)
    below: float | None = None
    above: float | None = None
    source: Literal["realized", "estimated"] = "realized"

    @model_validator(mode="after")
    def _one_bound(self) -> PerformanceRule:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of 'below' or 'above'")
        return self


class DriftRule(_Strict):
    share_threshold: float | None = Field(default=None, ge=0, le=1)


class Triggers(_Strict):
    drift: bool | DriftRule = False
    performance: list[PerformanceRule] = Field(default_factory=list)
    detector: bool | list[str] = False
    every_hours: float | None = Field(default=None, gt=0)
    new_labels: int | None = Field(default=None, ge=1)


class RetrainSpec(_Strict):
    """One ``[retrain.<model>]`` table."""

    entry_point: str = Field(pattern=r"^[\w.]+:[\w.]+$")
    window: str | None = None
    strategy: Literal["all", "window"] = "all"
    window_days: float | None = Field(default=None, gt=0)
    window_rows: int | None = Field(default=None, ge=1)
    holdout: float = Field(default=0.2, gt=0)
    timeout_seconds: float = Field(default=3600.0, gt=0)
    cooldown_hours: float = Field(default=6.0, ge=0)
    max_runs_per_day: int = Field(default=4, ge=1)
    params: dict[str, Any] = Field(default_factory=dict)
    trust_champion: bool = False
    gate: dict[str, Any] = Field(default_factory=dict)
    triggers: Triggers = Field(default_factory=Triggers)

    @model_validator(mode="after")
    def _check(self) -> RetrainSpec:
        if self.window is not None:
            parse_window(self.window)
        if self.strategy == "window" and self.window_days is None and self.window_rows is None:
            raise ValueError("strategy = 'window' needs window_days, window_rows or both")
        return self

    def policy(self) -> RetrainPolicy:
        """The :class:`RetrainPolicy` of the triggers, cooldown and budget."""
        t = self.triggers
        found: list[Trigger] = []
        if t.drift:
            share = t.drift.share_threshold if isinstance(t.drift, DriftRule) else None
            found.append(DriftTrigger(share_threshold=share))
        for rule in t.performance:
            below = rule.below is not None
            threshold = rule.below if rule.below is not None else rule.above
            assert threshold is not None
            found.append(PerformanceTrigger(rule.metric, threshold, rule.source, below))
        if t.detector:
            names = (MISTAKE_DETECTOR,) if t.detector is True else tuple(t.detector)
            found.append(DetectorTrigger(names))
        if t.every_hours is not None:
            found.append(ScheduleTrigger(timedelta(hours=t.every_hours)))
        if t.new_labels is not None:
            found.append(LabelsTrigger(t.new_labels))
        return RetrainPolicy(
            triggers=tuple(found),
            cooldown=timedelta(hours=self.cooldown_hours),
            max_runs_per_day=self.max_runs_per_day,
        )

    def job(self, model: str, task: str) -> RetrainJob:
        """The :class:`RetrainJob` of ``model`` (whose monitored ``task`` sets the gate's)."""
        gate = {"task": "regression" if task == "regression" else "classification", **self.gate}
        try:
            gate_config = GateConfig(**gate)
        except TypeError as exc:
            raise ParameterError(f"[retrain.{model}.gate] {exc}") from exc
        strategy = (
            AllHistory()
            if self.strategy == "all"
            else SlidingWindow(
                span=None if self.window_days is None else timedelta(days=self.window_days),
                rows=self.window_rows,
            )
        )
        return RetrainJob(
            model=model,
            entry_point=self.entry_point,
            label=LABEL,
            strategy=strategy,
            gate=gate_config,
            params=dict(self.params),
            holdout=self.holdout if self.holdout < 1 else int(self.holdout),
            id_column="prediction_id",
            timestamp="timestamp",
        )


def parse_retrain(table: Mapping[str, Any]) -> dict[str, RetrainSpec]:
    """The ``retrain`` table of a configuration: model name to :class:`RetrainSpec`."""
    out: dict[str, RetrainSpec] = {}
    for model, body in table.items():
        if not isinstance(body, Mapping):
            raise ParameterError(f"[retrain.{model}] must be a table.")
        try:
            out[str(model)] = RetrainSpec.model_validate(dict(body))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'table'}: {e['msg']}" for e in exc.errors()
            )
            raise ParameterError(f"[retrain.{model}] {problems}") from exc
    return out


def load_retrain(path: str | Path) -> dict[str, RetrainSpec]:
    """The retraining policies of the TOML file at ``path`` (none when it has no
    ``[retrain]`` table or does not exist)."""
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DataReadError(f"{p}: cannot read the retraining policies: {exc}") from exc
    table = data.get("retrain", {})
    if not isinstance(table, Mapping):
        raise ParameterError(f"{p}: 'retrain' must be a table of [retrain.<model>] tables.")
    try:
        return parse_retrain(table)
    except ParameterError as exc:
        raise ParameterError(f"{p}: {exc}") from exc


def dispatcher_from_settings(settings: Settings, store: Store) -> RetrainDispatcher | None:
    """The scheduler's :class:`RetrainDispatcher` for the ``[retrain.<model>]`` tables of the
    configuration file, or None when it has none. Candidates go to the model registry
    (artifacts under ``$STEWARD_HOME/artifacts``); the policies' windows default to the
    first evaluation width."""
    from modelsteward.registry import Registry
    from modelsteward.retrain import RegistryAdapter
    from modelsteward.server._retrain import RetrainDispatcher
    from modelsteward.settings import _toml_file

    specs = load_retrain(_toml_file())
    if not specs:
        return None
    registry = Registry.from_settings(settings, store)
    return RetrainDispatcher(
        store,
        specs,
        registry=lambda spec: RegistryAdapter(
            registry, trust_champion=spec.trust_champion, actor="scheduler"
        ),
        default_window=settings.evaluation_windows[0],
    )
