"""Serving state of one model behind the gateway: its rollout, chains and breakers.

Rebuilt on every rollout transition; a promotion is also made durable in the registry
when the gateway has one. With the gateway's state store, the rollout resumes where a
previous gateway left it, unless a version it names can no longer be served (then it
starts afresh from the configuration, and says so in the event log). Used by
:class:`~modelsteward.rollout.Gateway`.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from modelsteward.rollout._breaker import BreakerState, CircuitBreaker
from modelsteward.rollout._machine import Rollout
from modelsteward.rollout._model import ModelSpec, build_chains

if TYPE_CHECKING:
    from modelsteward.rollout._gateway import Gateway

__all__ = ["ModelRuntime", "compare_outputs"]

_log = logging.getLogger("modelsteward.rollout.gateway")
_MAX_RECENT = 100_000


class ModelRuntime:
    """Serving state of one model: its rollout, chains and per-version breakers."""

    def __init__(self, gw: Gateway, spec: ModelSpec) -> None:
        self.spec = spec
        self.breakers: dict[str, CircuitBreaker] = {}
        self.recent: OrderedDict[str, Any] = OrderedDict()
        self.last_check = gw.clock.now()
        self._gw = gw
        self._lock = threading.Lock()
        self.rollout = self._rollout(gw, spec, resume=True)
        try:
            self.rebuild(self.rollout)
        except Exception as exc:
            if not self.rollout.resumed:
                raise
            _log.exception("the saved rollout of %s cannot be served", spec.name)
            gw.events.append(
                "resume_discarded",
                {"model": spec.name, "error": f"{type(exc).__name__}: {exc}"},
            )
            self.breakers.clear()
            self.rollout = self._rollout(gw, spec, resume=False)
            self.rebuild(self.rollout)

    def _rollout(self, gw: Gateway, spec: ModelSpec, *, resume: bool) -> Rollout:
        return Rollout(
            spec.name,
            spec.resolve(spec.champion),
            policy=spec.policy,
            events=gw.events,
            clock=gw.clock,
            previous=spec.resolve(spec.previous) if spec.previous else None,
            on_change=self.rebuild,
            state_store=gw.state_store,
            resume=resume,
        )

    def rebuild(self, rollout: Rollout) -> None:
        if rollout.state == "promoted" and getattr(self, "chains", None) is not None:
            self._make_durable(rollout)
        chains = build_chains(
            self.spec,
            rollout.champion,
            rollout.previous,
            rollout.candidate,
            self.breakers,
            clock=self._gw.clock,
            on_transition=self._breaker_moved,
        )
        old = getattr(self, "chains", None)
        self.chains = chains
        with self._lock:
            self.recent.clear()
        if old is not None:
            self._gw._retired.extend(c for c in old if c is not None)

    def _make_durable(self, rollout: Rollout) -> None:
        registry, promo = self._gw.registry, rollout.last_promotion
        if registry is None or promo is None:
            return
        try:
            registry.promote(
                self.spec.name,
                promo["version"],
                reason=promo["reason"] or "rollout passed",
                actor=promo["actor"],
                evidence=promo["evidence"],
            )
        except Exception as exc:  # serving goes on with the promoted version; say so
            _log.exception("registry promotion of %s failed", self.spec.name)
            self._gw.events.append(
                "registry_promote_failed",
                {
                    "model": self.spec.name,
                    "version": promo["version"],
                    "error": f"{type(exc).__name__}: {exc}",
                },
            )

    def _breaker_moved(self, version: str, new: BreakerState) -> None:
        r = self.rollout
        role = (
            "champion"
            if version == r.champion
            else "candidate"
            if version == r.candidate
            else "previous"
            if version == r.previous
            else "retired"
        )
        self._gw.metrics.breaker(self.spec.name, role, new)
        if new != "half_open":  # opens and closes are rare: record them with the rollout's
            try:
                self._gw.events.append(
                    f"breaker_{'opened' if new == 'open' else 'closed'}",
                    {"model": self.spec.name, "version": version, "role": role},
                )
            except Exception:  # the event log must never break serving
                _log.exception("could not record a breaker transition")

    def remember(self, request_id: str, prediction: Any) -> None:
        with self._lock:
            self.recent[request_id] = prediction
            if len(self.recent) > _MAX_RECENT:
                self.recent.popitem(last=False)


def compare_outputs(a: list[Any], b: list[Any], atol: float) -> tuple[float, float | None]:
    """Share of rows where the outputs differ, and their mean absolute difference.

    >>> compare_outputs([1.0, 2.0, "a"], [1.0, 2.5, "b"], 1e-9)
    (0.666..., 0.25)
    """
    differ = 0
    total, numeric = 0.0, 0
    for x, y in zip(a, b, strict=False):
        if isinstance(x, int | float) and isinstance(y, int | float):
            d = abs(float(x) - float(y))
            total += d if math.isfinite(d) else 0.0
            numeric += 1
            differ += not d <= atol
        else:
            differ += x != y
    return differ / max(len(a), 1), (total / numeric if numeric else None)
