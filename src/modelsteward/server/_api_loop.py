"""``GET /api/v1/models/{name}/loop``: where the closed loop of a model stands.

The stage (``idle``, ``detected``, ``alerted``, ``retraining``, ``validating``, ``shadow``,
``canary``, ``awaiting_approval``, ``promoted``, ``rolled_back``, ``needs_human``), the
versions in play, the canary step and the start of its hold, the per-arm counts, failed
checks, automatic rollbacks in a row, whether a human approval is pending, the last look
and promotion, and the retraining side (policy state, last trigger, last run), as the
gateway and the scheduler saved them (``modelsteward.store.rollout_state``). A model
nothing was saved for yet is ``idle`` at revision 0.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from modelsteward.server._auth import require_scope
from modelsteward.server._errors import error_responses
from modelsteward.store import Store
from modelsteward.store.audit import jsonable
from modelsteward.store.rollout_state import RolloutState, RolloutStateRepository

__all__ = ["loop_state", "router"]

router = APIRouter(prefix="/api/v1", tags=["loop"], responses=error_responses(401, 403, 422))


def loop_state(store: Store, name: str) -> dict[str, Any]:
    """The loop state of model ``name`` as JSON data (404 for an unknown model).

    >>> store = Store("sqlite://"); store.upgrade()
    >>> _ = store.models.create("churn", "binary")
    >>> loop_state(store, "churn")["stage"], loop_state(store, "churn")["revision"]
    ('idle', 0)
    """
    saved = RolloutStateRepository(store.engine).get(name)
    if saved is None:
        store.models.get(name)  # NotFoundError (404) for a model the store does not know
        saved = RolloutState(name)
    out: dict[str, Any] = jsonable(saved.to_dict())
    return out


@router.get(
    "/models/{name}/loop",
    dependencies=[Depends(require_scope("read"))],
    summary="Where the model's closed loop stands: retraining, rollout step and evidence",
    responses=error_responses(404),
)
async def get_loop(name: str, request: Request) -> dict[str, Any]:
    store: Store = request.app.state.store
    return await run_in_threadpool(loop_state, store, name)
