"""Base for request and response models: unknown fields are an error, never silently dropped."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class ErrorBody(StrictModel):
    code: str
    message: str
    details: dict[str, object]


class ErrorEnvelope(StrictModel):
    """Every 4xx answer has this shape."""

    error: ErrorBody
