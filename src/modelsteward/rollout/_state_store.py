"""A :class:`~modelsteward.rollout._persist.StateStore` on the store's ``rollout_states``.

Each save is a locked read-modify-write of the model's row that sets the rollout's fields
and stage and leaves the retraining side's (``retrain``) as they are, so the gateway and
the server's scheduler can both write the row. A row that only the retraining side has
written (no champion yet) is not a rollout to resume. One gateway process serves a
model's rollout (as when the state lived in its memory): two gateways counting the same
model's traffic would each save their own evidence, the last one winning.

>>> from modelsteward.rollout import ManualClock, Rollout, RolloutPolicy
>>> from modelsteward.store import Store
>>> store = Store("sqlite://"); store.upgrade()
>>> states = StoreStateStore(store)
>>> r = Rollout("churn", "v1", policy=RolloutPolicy(), clock=ManualClock(0.0),
...             state_store=states)
>>> r.start("v2")
>>> row = states.repository.get("churn")
>>> row.stage, row.candidate, row.champion
('shadow', 'v2', 'v1')
>>> Rollout("churn", "v1", policy=RolloutPolicy(), state_store=states).state
'shadow'
>>> store.close()
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from modelsteward.rollout._persist import RolloutSnapshot
from modelsteward.store import Store
from modelsteward.store.rollout_state import RolloutState, RolloutStateRepository

__all__ = ["StoreStateStore"]


class StoreStateStore:
    """Rollouts saved in, and resumed from, the store (one row per model)."""

    def __init__(self, store: Store) -> None:
        self.repository = RolloutStateRepository(store.engine)

    def load(self, model: str) -> RolloutSnapshot | None:
        row = self.repository.get(model)
        if row is None or row.champion is None:
            return None
        started = row.stage_started_at or row.updated_at or datetime.now(UTC)
        return RolloutSnapshot(
            state=row.stage,
            champion=row.champion,
            previous=row.previous,
            candidate=row.candidate,
            step=row.step,
            stage_started=started.timestamp(),
            failed_checks=row.failed_checks,
            auto_rollbacks=row.auto_rollbacks,
            last_check=row.last_check,
            last_promotion=row.last_promotion,
            arms=row.arms,
            samples=row.samples,
        )

    def save(self, model: str, snapshot: RolloutSnapshot) -> None:
        started = datetime.fromtimestamp(snapshot.stage_started, UTC)

        def change(current: RolloutState) -> RolloutState:
            return replace(
                current,
                stage=snapshot.state,
                champion=snapshot.champion,
                previous=snapshot.previous,
                candidate=snapshot.candidate,
                step=snapshot.step,
                stage_started_at=started,
                failed_checks=snapshot.failed_checks,
                auto_rollbacks=snapshot.auto_rollbacks,
                approval_pending=snapshot.approval_pending,
                arms=snapshot.arms,
                samples=snapshot.samples,
                last_check=snapshot.last_check,
                last_promotion=snapshot.last_promotion,
            )

        self.repository.update(model, change)
