"""Errors of the rollout gateway; each maps to one HTTP status in the gateway app.

::

    StewardError
     ├── FeatureError (SchemaError)      a request's features do not fit the model (422)
     ├── UnknownModelError (InputError)  no model of that name behind the gateway (404)
     ├── RolloutStateError               the rollout is not in a state that allows it (409)
     ├── ApprovalError (RolloutStateError) nothing is waiting for an approval (409)
     └── NoLinkServedError               every link of the fallback chain failed (503)

>>> FeatureError("churn", missing=["age"], extra=["x"]).missing
['age']
"""

from __future__ import annotations

from collections.abc import Sequence

from modelsteward.errors import InputError, SchemaError, StewardError

__all__ = [
    "ApprovalError",
    "FeatureError",
    "NoLinkServedError",
    "RolloutStateError",
    "UnknownModelError",
]


class FeatureError(SchemaError):
    """Missing or unexpected features in a prediction request."""

    def __init__(
        self,
        model: str,
        *,
        missing: Sequence[str] = (),
        extra: Sequence[str] = (),
        row: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.model = model
        self.missing = sorted(missing)
        self.extra = sorted(extra)
        self.row = row
        parts = []
        if self.missing:
            parts.append(f"missing features {self.missing}")
        if self.extra:
            parts.append(f"unexpected features {self.extra}")
        if detail:
            parts.append(detail)
        where = f" (row {row})" if row is not None else ""
        super().__init__(
            f"model {model!r}{where}: "
            + "; ".join(parts)
            + "; send exactly the features of the model's input schema"
        )


class UnknownModelError(InputError):
    """The gateway serves no model of that name."""


class RolloutStateError(StewardError):
    """The rollout is not in a state that allows the requested action."""


class ApprovalError(RolloutStateError):
    """An approval was given while no promotion waits for one."""


class NoLinkServedError(StewardError):
    """Every link of a fallback chain failed (configure a constant default to avoid it)."""
