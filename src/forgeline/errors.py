"""Domain errors with stable codes, and the one mapping from error kind to HTTP status.

Every refusal in Forgeline is a `DomainError`: a dotted code that clients may switch on
(``unit.on_hold``), a sentence for people, and details for machines. The API answers
``{"error": {"code", "message", "details"}}``; the CLI prints the message and exits non-zero.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class ErrorKind(Enum):
    """What sort of refusal an error is; decides the HTTP status and nothing else."""

    INVALID = 422
    NOT_FOUND = 404
    CONFLICT = 409
    UNAUTHENTICATED = 401
    FORBIDDEN = 403
    TOO_LARGE = 413
    UNSUPPORTED_MEDIA = 415
    LOCKED = 423
    RATE_LIMITED = 429

    @property
    def http_status(self) -> int:
        return self.value


class DomainError(Exception):
    """A refusal the caller can understand and act on; never a bug."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        kind: ErrorKind = ErrorKind.INVALID,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}
        self.kind = kind

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"


def not_found(code: str, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, details, ErrorKind.NOT_FOUND)


def conflict(code: str, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, details, ErrorKind.CONFLICT)


def forbidden(code: str, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, details, ErrorKind.FORBIDDEN)


def unauthenticated(code: str, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, details, ErrorKind.UNAUTHENTICATED)


def invalid(code: str, message: str, **details: Any) -> DomainError:
    return DomainError(code, message, details, ErrorKind.INVALID)
