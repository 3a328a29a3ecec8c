"""Who is acting: a signed-in person or an authenticated station. Pure, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from forgeline.auth.permissions import Role, is_allowed


class PrincipalKind(StrEnum):
    USER = "user"
    STATION = "station"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    name: str  # username or station code
    display_name: str
    roles: frozenset[Role]
    user_id: int | None = None
    # A one-time password is still in use: nothing but choosing a new one is allowed.
    must_change_password: bool = False
    # Set for browser sessions only; forms must echo it back (CSRF).
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        """How the audit log names this principal, e.g. "user:asha" or "station:IOX-01"."""
        return f"{self.kind.value}:{self.name}"

    def can(self, action: str) -> bool:
        return is_allowed(self.roles, action)


SYSTEM_ACTOR = "system"
