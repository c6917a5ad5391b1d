"""A :class:`CandidateRegistry` over the model registry (:mod:`modelsteward.registry`).

Candidates are registered with flavor ``sklearn`` (anything with ``predict``), the input
schema the runner recorded, the training parameters, the gate metrics, the champion as
parent, and the retraining lineage (data window, fingerprints, trigger, training run) as
evidence; the training table is passed so the registry records its own fingerprint. A
candidate the gate refused is then set ``rejected`` with the gate's reasons and evidence.

Trust: registering a fitted object makes the registry pickle it and load it back once to
check it, which needs ``trust=True``. The object comes from our own training run (see
:mod:`modelsteward.retrain._runner`), so the adapter passes it. Loading the *champion* is
another matter: its artifact may come from anywhere, so that needs ``trust_champion=True``
from the caller (skops artifacts of plain scikit-learn types load without it).

The registry needs the ``server`` extra (SQLAlchemy); this module imports it only when
an adapter is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from modelsteward.retrain._model import InputFormat, TrainedModel, as_frame
from modelsteward.retrain._protocols import Champion

if TYPE_CHECKING:
    from modelsteward.registry import Registry

__all__ = ["RegistryAdapter"]

CHAMPION = "champion"


class RegistryAdapter:
    """Use a :class:`modelsteward.registry.Registry` as the loop's :class:`CandidateRegistry`.

    Parameters
    ----------
    registry:
        The model registry.
    trust_champion:
        Allow loading a pickled (joblib) champion artifact.
    input_format:
        How the champion's ``predict`` receives features (pandas or Arrow).
    actor:
        Who the registry records as acting.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        trust_champion: bool = False,
        input_format: InputFormat = "pandas",
        actor: str = "modelsteward.retrain",
    ) -> None:
        self.registry = registry
        self.trust_champion = trust_champion
        self.input_format = input_format
        self.actor = actor

    def champion(self, model: str) -> Champion | None:
        from modelsteward.store import NotFoundError

        try:
            aliases = self.registry.aliases(model)
        except NotFoundError:
            return None
        if CHAMPION not in aliases:
            return None
        loaded = self.registry.load(model, alias=CHAMPION, trust=self.trust_champion)
        fmt = self.input_format

        def predict(features: pa.Table) -> np.ndarray:
            return np.asarray(loaded.predict(as_frame(features, fmt)))

        schema = loaded.version.input_schema
        return Champion(loaded.version.version, predict, None if schema is None else dict(schema))

    def register_candidate(
        self,
        model: str,
        trained: TrainedModel,
        *,
        lineage: Mapping[str, Any],
        metrics: Mapping[str, Any],
        train: pa.Table | None = None,
    ) -> str:
        training = dict(lineage.get("training", {}))
        version = self.registry.register(
            model,
            trained.model,
            flavor="sklearn",
            trust=True,  # our own training run's object (see the module docstring)
            input_schema=dict(trained.input_schema),
            training_data=train,
            target=trained.params.get("label") if train is not None else None,
            params=dict(trained.params),
            metrics={k: float(v) for k, v in metrics.items()},
            parent=lineage.get("parent_version"),
            code_version=lineage.get("code_version"),
            description=f"retrained by {training.get('entry_point', trained.entry_point)}",
            actor=self.actor,
            on_schema_mismatch="allow",  # the evaluation gate judges the schema
            evidence={"lineage": dict(lineage)},
        )
        return version.version

    def mark_rejected(self, model: str, version: str, *, evidence: Mapping[str, Any]) -> None:
        reasons = evidence.get("reasons") or ["failed the evaluation gate"]
        reason = "evaluation gate: " + "; ".join(str(r) for r in reasons)
        self.registry.reject(
            model, version, reason=reason[:1000], evidence=dict(evidence), actor=self.actor
        )
