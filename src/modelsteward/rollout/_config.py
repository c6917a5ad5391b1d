"""The gateway's configuration file (TOML): models, their versions by import path, and
each model's rollout policy.

::

    [gateway]
    shadow_queue = 1024                  # mirrored copies waiting; beyond it they are dropped
    token_env = "STEWARD_GATEWAY_TOKEN"  # control routes need this bearer token (optional)
    log = "store"                        # log predictions and events to the store, or "none"

    [models.churn]
    features = ["tenure", "spend", "plan"]
    champion = "v1"
    previous = "v0"                      # optional: the fallback behind the champion
    candidate = "v2"                     # optional: its rollout starts with the gateway
    default = 0                          # optional constant; or default_fn = "pkg.mod:rule"
    timeout_ms = 250
    task = "binary"                      # creates the model in the store when missing
    cost = { v1 = 0.001, v2 = 0.0012 }   # optional cost per call, for the cost guardrail

    [models.churn.versions]              # version = "module:function" (a batch PredictFn)
    v0 = "pkg.models:predict_v0"
    v1 = "pkg.models:predict_v1"
    v2 = "pkg.models:predict_v2"

    [models.churn.policy]                # RolloutPolicy fields; all optional
    steps = [5, 25, 50, 100]
    high_risk = true
    [models.churn.policy.guardrails]     # Guardrails fields
    error_rate = 0.01
    [models.churn.breaker]               # CircuitBreaker fields
    cooldown_s = 30

    [models.fraud]                       # versions from the model registry instead:
    registry = true                      # champion/previous/candidate name registry
    features = ["amount", "country"]     # versions or aliases; a promotion moves the
    champion = "champion"                # registry's champion alias (steward gateway)

>>> cfg = parse_config({"models": {"m": {"features": ["x"], "champion": "v1",
...     "versions": {"v1": "operator:truth"}}}})
>>> spec = cfg.models[0]
>>> spec.name, spec.resolve("champion"), spec.policy.steps
('m', 'v1', (5.0, 25.0, 50.0, 100.0))
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from modelsteward.errors import DataReadError, ParameterError
from modelsteward.rollout._model import ModelSpec
from modelsteward.rollout._policy import RolloutPolicy
from modelsteward.rollout._protocols import InMemoryModelProvider, ModelProvider, PredictFn

__all__ = [
    "GatewayConfig",
    "ProviderFactory",
    "import_callable",
    "load_config",
    "parse_config",
    "uses_registry",
]

#: Model name to the provider of its versions (the registry's, for ``registry = true``).
ProviderFactory = Callable[[str], ModelProvider]

_MODEL_KEYS = {
    "features",
    "champion",
    "previous",
    "candidate",
    "default",
    "default_fn",
    "timeout_ms",
    "task",
    "cost",
    "versions",
    "policy",
    "breaker",
    "registry",
}
_GATEWAY_KEYS = {"shadow_queue", "token_env", "log"}


@dataclass
class GatewayConfig:
    """What a configuration file asks for."""

    models: list[ModelSpec]
    shadow_queue: int = 1024
    token: str | None = None
    log: str = "store"
    tasks: dict[str, str] = field(default_factory=dict)


def import_callable(path: str, *, where: str = "") -> PredictFn:
    """Import ``module:function`` (``module:object.attr`` works too).

    >>> import_callable("operator:not_")(0)
    True
    """
    module, sep, attr = path.partition(":")
    if not sep or not module or not attr:
        raise ParameterError(
            f"{where}{path!r} is not an import path like 'package.module:function'"
        )
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ParameterError(f"{where}cannot import {path!r}: {exc}") from exc
    if not callable(obj):
        raise ParameterError(f"{where}{path!r} is not callable (got {type(obj).__name__})")
    return cast(PredictFn, obj)


def _provider(
    name: str, table: Mapping[str, Any], registry: ProviderFactory | None
) -> ModelProvider:
    where = f"[models.{name}] "
    if table.get("registry") is True:
        if "versions" in table:
            raise ParameterError(f"{where}give 'versions' or 'registry = true', not both")
        if registry is None:
            raise ParameterError(f"{where}'registry = true' needs the model registry")
        return registry(name)
    if "versions" not in table:
        raise ParameterError(f"{where}needs 'versions' (or 'registry = true')")
    versions = table["versions"]
    if not isinstance(versions, Mapping) or not versions:
        raise ParameterError(f"{where}'versions' must map version names to 'module:function'")
    fns = {
        str(v): import_callable(str(p), where=f"{where}version {v}: ") for v, p in versions.items()
    }
    for role in ("champion", "previous", "candidate"):
        if role in table and str(table[role]) not in fns:
            raise ParameterError(
                f"{where}{role} {table[role]!r} is not one of the versions {sorted(fns)}"
            )
    return InMemoryModelProvider(fns, {"champion": str(table["champion"])})


def _model(
    name: str, table: Mapping[str, Any], registry: ProviderFactory | None
) -> tuple[ModelSpec, str | None]:
    where = f"[models.{name}] "
    unknown = sorted(set(table) - _MODEL_KEYS)
    if unknown:
        raise ParameterError(f"{where}unknown keys {unknown}; known keys: {sorted(_MODEL_KEYS)}")
    for key in ("features", "champion"):
        if key not in table:
            raise ParameterError(f"{where}needs {key!r}")
    provider = _provider(name, table, registry)
    features = table["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ParameterError(f"{where}'features' must be a list of feature names")
    kw: dict[str, Any] = {}
    if "default" in table:
        kw["default"] = table["default"]
    if "default_fn" in table:
        kw["default_fn"] = import_callable(str(table["default_fn"]), where=f"{where}default_fn: ")
    if "timeout_ms" in table:
        kw["timeout_s"] = float(table["timeout_ms"]) / 1e3
    spec = ModelSpec(
        name,
        features,
        provider,
        str(table["champion"]),
        previous=str(table["previous"]) if "previous" in table else None,
        candidate=str(table["candidate"]) if "candidate" in table else None,
        policy=RolloutPolicy.from_dict(table.get("policy", {})),
        cost={str(k): float(v) for k, v in table.get("cost", {}).items()},
        breaker=dict(table.get("breaker", {})),
        **kw,
    )
    task = table.get("task")
    return spec, str(task) if task is not None else None


def parse_config(
    data: Mapping[str, Any], *, registry: ProviderFactory | None = None
) -> GatewayConfig:
    """Build a :class:`GatewayConfig` from parsed TOML; ``registry`` builds the provider of
    each model marked ``registry = true``."""
    gateway = data.get("gateway", {})
    unknown = sorted(set(gateway) - _GATEWAY_KEYS)
    if unknown:
        raise ParameterError(f"[gateway] unknown keys {unknown}; known: {sorted(_GATEWAY_KEYS)}")
    models = data.get("models")
    if not isinstance(models, Mapping) or not models:
        raise ParameterError("the configuration needs at least one [models.NAME] table")
    specs, tasks = [], {}
    for name, table in models.items():
        spec, task = _model(str(name), table, registry)
        specs.append(spec)
        if task:
            tasks[spec.name] = task
    token = None
    if "token_env" in gateway:
        token = os.environ.get(str(gateway["token_env"])) or None
        if token is None:
            raise ParameterError(
                f"[gateway] token_env names ${gateway['token_env']}, which is not set"
            )
    log = str(gateway.get("log", "store"))
    if log not in ("store", "none"):
        raise ParameterError(f"[gateway] log must be 'store' or 'none'. Got {log!r}.")
    return GatewayConfig(specs, int(gateway.get("shadow_queue", 1024)), token, log, tasks)


def uses_registry(path: str | Path) -> bool:
    """Whether any model of the file at ``path`` is served from the registry."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    models = data.get("models")
    return isinstance(models, Mapping) and any(
        isinstance(t, Mapping) and t.get("registry") is True for t in models.values()
    )


def load_config(path: str | Path, *, registry: ProviderFactory | None = None) -> GatewayConfig:
    """Read and check a gateway configuration file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataReadError(f"{p}: no such gateway configuration file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataReadError(f"{p}: cannot read the gateway configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataReadError(f"{p}: not valid TOML: {exc}") from exc
    try:
        return parse_config(data, registry=registry)
    except ParameterError as exc:
        raise ParameterError(f"{p}: {exc}") from exc
