"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "AckIn",
    "KeyCreateIn",
    "LabelIn",
    "LabelsIn",
    "ModelCreateIn",
    "PredictionIn",
    "PredictionsIn",
]

Text = Field(default=None, min_length=1, max_length=200)


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
    timestamp: datetime | None = None


class LabelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[LabelIn]


class ModelCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/]+$")
    task: Literal["binary", "multiclass", "regression"]
    owner: str | None = Field(default=None, max_length=200)
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scope: Literal["ingest", "read", "admin"]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, max_length=200)
