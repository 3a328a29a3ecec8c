from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.auth.credentials import (
    STATION_TOKEN_PREFIX,
    csrf_matches,
    csrf_token,
    generate_password,
    generate_station_token,
    hash_password,
    password_problem,
    token_hash,
    verify_password,
)


def test_password_round_trip_and_mismatch() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterz", stored)


def test_missing_or_malformed_hash_never_verifies() -> None:
    assert not verify_password("anything at all", None)
    assert not verify_password("anything at all", "not-a-hash")


def test_password_rules() -> None:
    assert password_problem("short") is not None
    assert password_problem("aaaaaaaaaaaaaaaa") is not None
    assert password_problem("a-long-enough-passphrase") is None
    assert password_problem(generate_password()) is None


def test_tokens_are_unique_and_prefixed() -> None:
    tokens = {generate_station_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.startswith(STATION_TOKEN_PREFIX) for t in tokens)


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=64))
def test_token_hash_depends_on_key_and_token(token: str, other: str) -> None:
    key = "k" * 40
    assert token_hash(key, token) == token_hash(key, token)
    assert token_hash(key, token) != token_hash("j" * 40, token)
    if other != token:
        assert token_hash(key, token) != token_hash(key, other)


def test_csrf_token_is_bound_to_session() -> None:
    key = "s" * 40
    token = csrf_token(key, "session-a")
    assert csrf_matches(key, "session-a", token)
    assert not csrf_matches(key, "session-b", token)
    assert not csrf_matches(key, "session-a", "")
