"""Password hashing (argon2 through pwdlib) and opaque tokens stored as HMAC hashes.

Pure: no database. Tokens are `secrets.token_urlsafe`; we keep HMAC-SHA256(secret key, token)
so that a stolen database does not yield usable tokens, and a lookup is one indexed equality.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_PASSWORD_LENGTH = 12
STATION_TOKEN_PREFIX = "flst_"  # noqa: S105 - a public marker, not a secret
SESSION_TOKEN_BYTES = 32
# Lets `verify` run in constant time even for unknown users (no user-enumeration by timing).
_DUMMY_PASSWORD = "forgeline-dummy-password-for-timing"  # noqa: S105 - never a real credential

_hasher = PasswordHash((Argon2Hasher(),))
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; runs a full hash even when there is no stored hash."""
    global _dummy_hash  # noqa: PLW0603 - computed lazily once; hashing at import is slow
    if password_hash is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(_DUMMY_PASSWORD)
        _hasher.verify(password, _dummy_hash)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a mismatch, not a crash
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(set(password)) < 5:
        return "must not be one or two characters repeated"
    return None


def generate_password() -> str:
    """A one-time password: 16 URL-safe characters, about 96 bits."""
    return secrets.token_urlsafe(12)


def generate_station_token() -> str:
    return STATION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def generate_session_token() -> str:
    return secrets.token_urlsafe(SESSION_TOKEN_BYTES)


def token_hash(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def csrf_token(secret_key: str, session_token: str) -> str:
    """A CSRF token bound to the session: valid only with the cookie it was issued for."""
    return hmac.new(
        secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    ).hexdigest()


def csrf_matches(secret_key: str, session_token: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_token(secret_key, session_token), presented)
