"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from modelsteward.settings import AlertRuleSettings
from modelsteward.timestamps import storable

__all__ = [
    "AckIn",
    "AlertOut",
    "AlertRuleIn",
    "AlertRuleOut",
    "ErrorOut",
    "EvaluationOut",
    "IngestOut",
    "IsoDatetime",
    "KeyCreateIn",
    "KeyCreatedOut",
    "KeyOut",
    "LabelIn",
    "LabelsIn",
    "ModelCreateIn",
    "ModelInfoOut",
    "ModelOut",
    "PredictionIn",
    "PredictionsIn",
    "RowErrorOut",
    "Timestamp",
]

Text = Field(default=None, min_length=1, max_length=200)
NO_NUL = r"^[^\x00]*$"
"""Text without NUL characters, which PostgreSQL cannot store (a 422 instead of a 500)."""


def _not_a_number(value: Any) -> Any:
    """Refuse numbers, which pydantic would otherwise read as Unix seconds."""
    if isinstance(value, bool | int | float):
        raise ValueError("expected an ISO 8601 date-time such as 2024-05-01T12:00:00Z")
    if isinstance(value, str):
        try:
            float(value.strip())
        except ValueError:
            return value
        raise ValueError(
            f"expected an ISO 8601 date-time such as 2024-05-01T12:00:00Z, not {value!r}"
        )
    return value


def _in_range(value: datetime) -> datetime:
    """Refuse date-times outside the storable range (:mod:`modelsteward.timestamps`)."""
    if not storable(value):
        raise ValueError("expected a date-time from 1970-01-01 to 9998-12-31")
    return value


Timestamp = Annotated[datetime, AfterValidator(_in_range)]
"""A body date-time (ISO 8601, or Unix seconds as for predictions), 1970-9998 UTC."""

IsoDatetime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_in_range)]
"""A query-parameter date-time: ISO 8601 only (UTC when no offset is given), 1970-9998."""


class PredictionIn(BaseModel):
    """One prediction. ``id`` makes ingestion idempotent; without it the server makes one."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=200)
    timestamp: datetime | None = Field(
        default=None, description="ISO 8601; UTC is assumed when no offset is given."
    )
    features: dict[str, JsonValue] | None = None
    prediction: JsonValue = None
    score: float | list[float] | dict[str, float] | None = None
    latency_ms: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    version: str | None = Field(default=None, min_length=1, max_length=200)
    error: bool = False
    segment: str | None = Field(default=None, min_length=1, max_length=200)


class PredictionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    predictions: list[PredictionIn]


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    label: JsonValue
    timestamp: Timestamp | None = None


class LabelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[LabelIn]


class ModelCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\x00]+$")
    task: Literal["binary", "multiclass", "regression"]
    owner: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    scope: Literal["ingest", "read", "admin"]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


class RowErrorOut(BaseModel):
    """One invalid value of a batch: its row (``None`` outside a batch), field and why."""

    row: int | None
    field: str | None
    error: str


class ErrorOut(BaseModel):
    """Every 4xx answer: what was wrong (``detail``), the error's kind, per-row errors."""

    detail: str = Field(description="What was wrong, where, and what to do.")
    type: str = Field(description="The kind of error, e.g. NotFoundError or ValidationError.")
    errors: list[RowErrorOut] | None = Field(
        default=None, description="The invalid values of a batch or request, when known."
    )


class AlertRuleIn(AlertRuleSettings):
    """An alert rule sent to the API: as in ``steward.toml``, but types are not coerced
    (``false`` is not a number of seconds, ``"1"`` not a threshold)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    metric: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    threshold: float = Field(allow_inf_nan=False)
    model: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    """Only this model; ``None`` means every model."""
    window: str = Field(default="1h", max_length=20, pattern=r"^\d+[smhd]$")
    for_windows: int = Field(default=1, ge=1, le=10_000)
    cooldown_seconds: float = Field(default=0.0, ge=0, le=366 * 86400, allow_inf_nan=False)


# -- answers (documented for clients and checked by schemathesis; more keys may come) -----
_OPEN = ConfigDict(extra="allow")


class ModelOut(BaseModel):
    """A registered model."""

    model_config = _OPEN
    name: str
    task: Literal["binary", "multiclass", "regression"]
    owner: str | None
    schema_: dict[str, Any] | None = Field(alias="schema")
    created_at: datetime
    has_reference: bool
    versions: list[str]


class ModelInfoOut(ModelOut):
    """A model with how much is stored for it."""

    predictions: int
    labels: int
    errors: int
    first_prediction: datetime | None
    last_prediction: datetime | None


class IngestOut(BaseModel):
    """What a batch did: rows stored, and ids already stored (not counted twice)."""

    model_config = _OPEN
    accepted: int
    duplicates: list[str]


class AlertOut(BaseModel):
    """An alert and where it is in its lifecycle."""

    model_config = _OPEN
    id: int
    model: str
    rule: str
    metric: str
    severity: str
    status: Literal["firing", "acknowledged", "resolved"]
    version: str | None
    value: float | None
    threshold: float | None
    message: str
    created_at: datetime | None
    updated_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


class EvaluationOut(BaseModel):
    """One evaluated metric of one window (``version`` None: the whole model)."""

    model_config = _OPEN
    metric: str
    version: str | None
    window_start: datetime
    window_end: datetime
    value: float | None
    details: dict[str, Any] | None
    evaluated_at: datetime


class KeyOut(BaseModel):
    """An API key (never its token)."""

    model_config = _OPEN
    key_id: str
    name: str
    scope: Literal["ingest", "read", "admin"]
    created_at: datetime
    revoked: bool


class KeyCreatedOut(KeyOut):
    """A new API key with its token, shown this once."""

    token: str


class AlertRuleOut(AlertRuleSettings):
    """An alert rule in force and where it comes from."""

    model_config = _OPEN
    source: Literal["steward.toml", "api"]
