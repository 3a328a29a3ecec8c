"""Request and response models for user, skill and station-token administration."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from forgeline.api.schemas import StrictModel


class SkillOut(StrictModel):
    skill: str
    expires_on: date
    granted_by: str


class UserOut(StrictModel):
    username: str
    full_name: str
    roles: list[str]
    badge: str | None
    disabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    skills: list[SkillOut]


class UserCreate(StrictModel):
    username: str = Field(min_length=2, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1)
    badge: str | None = Field(None, max_length=64)


class UserCreated(StrictModel):
    user: UserOut
    one_time_password: str = Field(description="shown once; must be changed at first sign-in")


class RolesUpdate(StrictModel):
    roles: list[str] = Field(min_length=1)


class SkillGrant(StrictModel):
    skill: str = Field(min_length=1, max_length=64)
    expires_on: date


class TokenOut(StrictModel):
    id: int
    station_code: str
    label: str
    token_prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(StrictModel):
    station_code: str = Field(min_length=1, max_length=64)
    label: str = Field("", max_length=200)


class TokenCreated(StrictModel):
    token: TokenOut
    secret: str = Field(description="the bearer token; shown once, never stored")
