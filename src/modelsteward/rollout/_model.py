"""What the gateway knows about one model, and the serving chains built from it.

>>> from modelsteward.rollout import InMemoryModelProvider, ModelSpec
>>> spec = ModelSpec("churn", ["age", "plan"],
...                  InMemoryModelProvider({"v1": lambda rows: [0] * len(rows)}), "v1")
>>> spec.validate({"age": 3, "plan": "pro"})
[{'age': 3, 'plan': 'pro'}]
>>> try:
...     spec.validate({"age": 3, "colour": "red"})
... except FeatureError as exc:
...     print(exc.missing, exc.extra)
['plan'] ['colour']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelsteward.errors import ParameterError
from modelsteward.rollout._breaker import BreakerState, CircuitBreaker
from modelsteward.rollout._errors import FeatureError
from modelsteward.rollout._fallback import FallbackChain, Link, constant_link
from modelsteward.rollout._policy import RolloutPolicy
from modelsteward.rollout._protocols import Clock, ModelProvider, PredictFn

__all__ = ["ModelSpec", "build_chains"]

_NO_DEFAULT = object()
Rows = list[Mapping[str, Any]]


@dataclass
class ModelSpec:
    """One model behind the gateway.

    Parameters
    ----------
    name, features:
        The model's name and its input schema (the exact feature names a request sends).
    provider:
        Resolves versions and aliases to predict functions (the registry, later).
    champion, previous, candidate:
        What serves now, the fallback behind it, and an optional candidate whose rollout
        starts with the gateway.
    default:
        A constant answer when every model link fails (the chain's last link); or
    default_fn:
        a rule (a :data:`PredictFn` that cannot hang) instead.
    timeout_s:
        Per-call timeout of each model link.
    policy:
        The rollout policy.
    cost:
        Cost of one call per version (for the cost guardrail); 0 when absent.
    breaker:
        Keyword arguments of every link's :class:`CircuitBreaker`.
    """

    name: str
    features: Sequence[str]
    provider: ModelProvider
    champion: str
    previous: str | None = None
    candidate: str | None = None
    default: Any = _NO_DEFAULT
    default_fn: PredictFn | None = None
    timeout_s: float = 1.0
    policy: RolloutPolicy = field(default_factory=RolloutPolicy)
    cost: Mapping[str, float] = field(default_factory=dict)
    breaker: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.features:
            raise ParameterError(f"model {self.name!r} declares no input features")
        self.feature_set = frozenset(self.features)
        if len(self.feature_set) != len(self.features):
            raise ParameterError(f"model {self.name!r} declares a feature twice")
        if self.timeout_s <= 0:
            raise ParameterError(
                f"The 'timeout_s' of model {self.name!r} must be > 0. Got {self.timeout_s!r}."
            )

    def resolve(self, ref: str) -> str:
        """The version a reference names (the provider's ``resolve`` when it has one)."""
        resolve = getattr(self.provider, "resolve", None)
        return str(resolve(ref)) if callable(resolve) else ref

    def validate(self, features: Any) -> Rows:
        """One feature mapping or a list of them, checked against the input schema."""
        rows = features if isinstance(features, list) else [features]
        if not rows:
            raise FeatureError(self.name, detail="an empty batch")
        fset = self.feature_set
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise FeatureError(
                    self.name,
                    row=i if len(rows) > 1 else None,
                    detail=f"features must be an object of name to value, got {type(row).__name__}",
                )
            if row.keys() != fset:
                keys = set(row)
                raise FeatureError(
                    self.name,
                    missing=sorted(fset - keys),
                    extra=sorted(keys - fset),
                    row=i if isinstance(features, list) else None,
                )
        return rows


def _last_link(spec: ModelSpec) -> list[Link]:
    if spec.default_fn is not None:
        return [Link("default", "default", spec.default_fn, timeout_s=None)]
    if spec.default is not _NO_DEFAULT:
        return [constant_link(spec.default)]
    return []


def build_chains(
    spec: ModelSpec,
    champion: str,
    previous: str | None,
    candidate: str | None,
    breakers: dict[str, CircuitBreaker],
    *,
    clock: Clock,
    on_transition: Callable[[str, BreakerState], None],
) -> tuple[FallbackChain, FallbackChain | None, FallbackChain | None]:
    """The baseline chain (champion → previous → default), the candidate chain
    (candidate → champion → previous → default) and the shadow chain (candidate alone).

    Breakers are kept per version in ``breakers``, so a version keeps its breaker when
    its role changes (a promoted candidate keeps its history)."""

    def link(role: str, version: str) -> Link:
        breaker = breakers.get(version)
        if breaker is None:
            breaker = CircuitBreaker(
                clock=clock,
                on_transition=lambda old, new: on_transition(version, new),
                **dict(spec.breaker),
            )
            breakers[version] = breaker
        return Link(role, version, spec.provider.get(version), spec.timeout_s, breaker)

    tail = [link("previous", previous)] if previous and previous != champion else []
    tail += _last_link(spec)
    baseline = FallbackChain([link("champion", champion), *tail])
    if candidate is None:
        return baseline, None, None
    cand = link("candidate", candidate)
    canary = FallbackChain([cand, baseline.links[0], *tail])
    shadow = FallbackChain([cand])
    return baseline, canary, shadow
