"""The gateway core: route, serve through the fallback chain, mirror, record, count.

Framework-free (the FastAPI app in :mod:`modelsteward.rollout._app` is a thin shell).

>>> from modelsteward.rollout import Gateway, InMemoryModelProvider, InMemorySink, ModelSpec
>>> provider = InMemoryModelProvider({"v1": lambda rows: [r["x"] > 0 for r in rows]})
>>> sink = InMemorySink()
>>> gw = Gateway([ModelSpec("churn", ["x"], provider, "v1", default=False)], sink=sink)
>>> answer = gw.predict("churn", {"x": 2.0}, key="user-1")
>>> answer["prediction"], answer["version"], answer["arm"], answer["link"]
(True, 'v1', 'baseline', 'champion')
>>> sink.records[0].version, sink.records[0].error
('v1', False)
>>> gw.close()
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from modelsteward.rollout._errors import UnknownModelError
from modelsteward.rollout._fallback import FallbackChain, Served
from modelsteward.rollout._metrics import GatewayMetrics
from modelsteward.rollout._model import ModelSpec
from modelsteward.rollout._persist import StateStore
from modelsteward.rollout._protocols import (
    ChampionRegistry,
    Clock,
    EventLog,
    PredictionSink,
    SystemClock,
)
from modelsteward.rollout._runtime import ModelRuntime, compare_outputs
from modelsteward.rollout._shadow import ShadowMirror
from modelsteward.rollout._split import Arm

__all__ = ["Gateway"]

_log = logging.getLogger("modelsteward.rollout.gateway")


class Gateway:
    """Serve models with shadow, canary, fallback and rollout control.

    Parameters
    ----------
    models:
        One :class:`ModelSpec` per model; a spec with a ``candidate`` starts its rollout.
    sink:
        Where every served prediction is logged (the monitor); None logs nothing.
    events:
        Where rollout transitions go (the audit log); None keeps them in memory.
    clock:
        Time source for holds, windows and cooldowns.
    shadow_queue:
        Capacity of the shadow queue; copies beyond it are dropped and counted.
    registry:
        Told of every promotion (``promote(model, version, reason=, actor=, evidence=)``),
        e.g. ``modelsteward.registry.Registry``; None keeps promotions in the gateway.
    state_store:
        Where each rollout is saved at every transition and look, and resumed from when a
        gateway starts (``StoreStateStore`` on the store); None keeps rollouts in memory.
        A saved rollout resumes when the configured champion (or the registry's) is still
        the one it had (see :func:`~modelsteward.rollout._persist.resume_from`); the
        configured candidate then does not start again.
    """

    def __init__(
        self,
        models: Sequence[ModelSpec],
        *,
        sink: PredictionSink | None = None,
        events: EventLog | None = None,
        clock: Clock | None = None,
        shadow_queue: int = 1024,
        registry: ChampionRegistry | None = None,
        state_store: StateStore | None = None,
    ) -> None:
        from modelsteward.rollout._protocols import InMemoryEventLog

        self.registry = registry
        self.state_store = state_store
        self.sink = sink
        self.events: EventLog = events if events is not None else InMemoryEventLog()
        self.clock = clock or SystemClock()
        self.metrics = GatewayMetrics()
        self.shadow = ShadowMirror(shadow_queue)
        self.sink_errors = 0
        self._retired: list[FallbackChain] = []
        self.models: dict[str, ModelRuntime] = {}
        for spec in models:
            if spec.name in self.models:
                from modelsteward.errors import ParameterError

                raise ParameterError(f"model {spec.name!r} is configured twice")
            rt = ModelRuntime(self, spec)
            self.models[spec.name] = rt
            if spec.candidate is not None and not rt.rollout.resumed:
                rt.rollout.start(spec.resolve(spec.candidate), reason="configured candidate")
        self.metrics.gauges.append(self._gauges)

    # -- serving ---------------------------------------------------------------------
    def runtime(self, model: str) -> ModelRuntime:
        rt = self.models.get(model)
        if rt is None:
            raise UnknownModelError(
                f"the gateway serves no model {model!r}; it serves {sorted(self.models)}"
            )
        return rt

    def _route(
        self, model: str, features: Any, key: str | None, request_id: str | None
    ) -> tuple[ModelRuntime, list[Mapping[str, Any]], Arm, FallbackChain, str]:
        rt = self.runtime(model)
        try:
            rows = rt.spec.validate(features)
        except Exception:
            self.metrics.reject(model, "features")
            raise
        rid = request_id or uuid.uuid4().hex
        arm = rt.rollout.route(key or rid)
        baseline, canary, _ = rt.chains
        chain = canary if arm == "candidate" and canary is not None else baseline
        return rt, rows, arm, chain, rid

    def predict(
        self,
        model: str,
        features: Any,
        *,
        key: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Serve one feature mapping (or a list of them) synchronously."""
        rt, rows, arm, chain, rid = self._route(model, features, key, request_id)
        served = chain.call(rows)
        return self._finish(rt, rows, arm, chain, served, rid, isinstance(features, list))

    async def apredict(
        self,
        model: str,
        features: Any,
        *,
        key: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Serve from an event loop (the model runs in its link's thread pool)."""
        rt, rows, arm, chain, rid = self._route(model, features, key, request_id)
        served = await chain.acall(rows)
        return self._finish(rt, rows, arm, chain, served, rid, isinstance(features, list))

    def _finish(
        self,
        rt: ModelRuntime,
        rows: list[Mapping[str, Any]],
        arm: Arm,
        chain: FallbackChain,
        served: Served,
        rid: str,
        batch: bool,
    ) -> dict[str, Any]:
        spec, rollout = rt.spec, rt.rollout
        primary = chain.links[0]
        error = served.link != primary.name
        own_ms = (
            served.primary_latency_ms
            if served.primary_latency_ms is not None
            else (served.latency_ms)
        )
        rollout.record(
            arm,
            error=error,
            latency_ms=own_ms,
            cost=spec.cost.get(primary.version, 0.0),
            request_id=rid,
        )
        self.metrics.observe(spec.name, arm, served.link, served.latency_ms / 1e3, error=error)
        if rollout.state in ("canary", "awaiting_approval") and not batch:
            rt.remember(rid, served.predictions[0])
        if rollout.state == "shadow" and rt.chains[2] is not None:
            self._mirror(rt, rows, served, rt.chains[2])
        ids = [f"{rid}-{i}" for i in range(len(rows))] if batch else [rid]
        if self.sink is not None:
            try:
                for row, pred, pid in zip(rows, served.predictions, ids, strict=True):
                    self.sink.record(
                        spec.name, served.version, row, pred, served.latency_ms, error, pid
                    )
            except Exception:  # the monitor must never break serving
                self.sink_errors += 1
                _log.exception("prediction sink failed")
        answer: dict[str, Any] = {
            "model": spec.name,
            "version": served.version,
            "arm": arm,
            "link": served.link,
            "id": rid,
            "latency_ms": round(served.latency_ms, 3),
        }
        if batch:
            answer["predictions"] = served.predictions
            answer["ids"] = ids
        else:
            answer["prediction"] = served.predictions[0]
        if served.failures:
            answer["fallback"] = [{"link": n, "reason": r} for n, r in served.failures]
        return answer

    def _mirror(
        self, rt: ModelRuntime, rows: list[Mapping[str, Any]], served: Served, shadow: FallbackChain
    ) -> None:
        atol = rt.spec.policy.agreement_atol
        champion_error = served.link != "champion"
        champion_ms = served.primary_latency_ms or served.latency_ms

        name, metrics = rt.spec.name, self.metrics

        def task() -> None:
            try:
                copy = shadow.call(rows)
            except Exception:
                metrics.observe(name, "shadow", "candidate", 0.0, error=True)
                rt.rollout.record_shadow(
                    champion_error=champion_error,
                    champion_ms=champion_ms,
                    shadow_error=True,
                    shadow_ms=0.0,
                    disagreement=None,
                    abs_diff=None,
                )
                return
            metrics.observe(name, "shadow", copy.link, copy.latency_ms / 1e3, error=False)
            dis, diff = compare_outputs(served.predictions, copy.predictions, atol)
            rt.rollout.record_shadow(
                champion_error=champion_error,
                champion_ms=champion_ms,
                shadow_error=False,
                shadow_ms=copy.primary_latency_ms or copy.latency_ms,
                disagreement=None if champion_error else dis,
                abs_diff=None if champion_error else diff,
            )

        self.shadow.submit(task)

    # -- labels, control, status -----------------------------------------------------
    def record_label(self, model: str, request_id: str, label: Any) -> bool:
        """Join a late label to a canary request (accuracy guardrail); False if unknown."""
        rt = self.runtime(model)
        with rt._lock:
            if request_id not in rt.recent:
                return False
            prediction = rt.recent.pop(request_id)
        return rt.rollout.record_outcome(request_id, prediction == label)

    def tick(self) -> None:
        """Run every model's check whose interval has passed (the app calls it)."""
        now = self.clock.now()
        for rt in self.models.values():
            if now - rt.last_check >= rt.spec.policy.check_interval_s:
                rt.last_check = now
                try:
                    rt.rollout.check()
                except Exception:
                    _log.exception("rollout check of %s failed", rt.spec.name)

    def start(
        self, model: str, candidate: str, *, actor: str | None = None, reason: str = ""
    ) -> dict[str, Any]:
        """Start rolling ``candidate`` out (a version or alias the provider knows)."""
        rt = self.runtime(model)
        rt.spec.provider.get(candidate)  # fail now if the provider cannot load it
        rt.rollout.start(rt.spec.resolve(candidate), actor=actor, reason=reason)
        return rt.rollout.status()

    def approve(self, model: str, *, actor: str, reason: str) -> dict[str, Any]:
        """Record a human approval of the promotion waiting for it."""
        rt = self.runtime(model)
        rt.rollout.approve(actor, reason)
        return rt.rollout.status()

    def rollback(self, model: str, *, actor: str, reason: str) -> dict[str, Any]:
        """Roll the current candidate back."""
        rt = self.runtime(model)
        rt.rollout.rollback(actor=actor, reason=reason)
        return rt.rollout.status()

    def status(self, model: str) -> dict[str, Any]:
        """Rollout state, breakers and shadow counters of ``model``."""
        rt = self.runtime(model)
        status = rt.rollout.status()
        status["features"] = list(rt.spec.features)
        status["breakers"] = {
            v: {"state": b.state, "opens": b.opens, "closes": b.closes}
            for v, b in rt.breakers.items()
        }
        status["shadow"] = {"submitted": self.shadow.submitted, "dropped": self.shadow.dropped}
        return status

    def _gauges(self) -> tuple[str, str, list[tuple[str, float]]]:
        samples = []
        for name, rt in sorted(self.models.items()):
            samples.append((f'model="{name}",what="canary_percent"', rt.rollout.percent))
            samples.append(
                (f'model="{name}",what="failed_checks"', float(rt.rollout.failed_checks))
            )
        samples.append(('model="",what="shadow_dropped"', float(self.shadow.dropped)))
        samples.append(('model="",what="shadow_submitted"', float(self.shadow.submitted)))
        return "steward_gateway_state", "Rollout and shadow state.", samples

    def close(self) -> None:
        """Save every rollout in progress, stop the shadow worker and the links' pools."""
        self.shadow.close()
        for rt in self.models.values():
            if rt.rollout.state in ("shadow", "canary", "awaiting_approval"):
                rt.rollout.checkpoint()
        for rt in self.models.values():
            for chain in rt.chains:
                if chain is not None:
                    chain.close()
        for chain in self._retired:
            chain.close()
