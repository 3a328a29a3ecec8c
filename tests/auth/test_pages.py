import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.auth.deps import SESSION_COOKIE
from tests.identities import PASSWORD, make_user


def _login_form(client: TestClient, next_path: str = "/") -> str:
    page = client.get(f"/login?next={next_path}")
    assert page.status_code == 200
    match = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def _sign_in(client: TestClient, username: str, password: str, next_path: str = "/"):  # type: ignore[no-untyped-def]
    token = _login_form(client, next_path)
    return client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token, "next": next_path},
        follow_redirects=False,
    )


def test_sign_in_sets_a_hardened_cookie_and_redirects(client: TestClient, db: Session) -> None:
    make_user(db, "asha", ["quality"])
    response = _sign_in(client, "asha", PASSWORD, "/plant")
    assert response.status_code == 303
    assert response.headers["location"] == "/plant"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["actor"] == "user:asha"


def test_wrong_password_shows_the_form_again_with_401(client: TestClient, db: Session) -> None:
    make_user(db, "asha", ["quality"])
    response = _sign_in(client, "asha", "not-the-password")
    assert response.status_code == 401
    assert "unknown user or wrong password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_sign_in_without_the_form_token_is_refused(client: TestClient, db: Session) -> None:
    make_user(db, "asha", ["quality"])
    response = client.post(
        "/login", data={"username": "asha", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 422
    assert 'data-code="auth.csrf_failed"' in response.text


def test_next_must_be_a_local_path(client: TestClient, db: Session) -> None:
    make_user(db, "asha", ["quality"])
    response = _sign_in(client, "asha", PASSWORD, "//evil.example/phish")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_one_time_password_forces_a_change(client: TestClient, db: Session) -> None:
    from forgeline.auth.service import create_user

    _user, one_time = create_user(
        db, username="new", full_name="New", roles=["operator"], actor="a"
    )
    db.commit()
    assert one_time
    response = _sign_in(client, "new", one_time, "/plant")
    assert response.headers["location"] == "/account/password?next=/plant"
    form = client.get("/account/password?next=/plant")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf.group(1),
            "current_password": one_time,
            "new_password": "a-fresh-passphrase",
            "confirm_password": "a-fresh-passphrase",
            "next": "/plant",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    client.cookies.clear()
    assert _sign_in(client, "new", "a-fresh-passphrase").status_code == 303


def test_state_change_with_cookie_but_without_csrf_is_forbidden(
    client: TestClient, db: Session
) -> None:
    make_user(db, "asha", ["quality"])
    _sign_in(client, "asha", PASSWORD)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    assert "security token" in response.text


def test_logout_ends_the_session(client: TestClient, db: Session) -> None:
    make_user(db, "asha", ["quality"])
    _sign_in(client, "asha", PASSWORD)
    page = client.get("/account/password")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    cookie = client.cookies.get(SESSION_COOKIE)
    response = client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set(SESSION_COOKIE, cookie or "")
    assert client.get("/api/v1/me").status_code == 401


def test_anonymous_page_request_redirects_to_sign_in(client: TestClient) -> None:
    response = client.get("/account/password", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/account/password")


def test_anonymous_api_request_gets_401_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"


def test_bad_bearer_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer flst_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid_token"


def test_one_time_password_holder_can_do_nothing_else(client: TestClient, db: Session) -> None:
    from forgeline.auth.service import create_user

    _user, one_time = create_user(
        db, username="fresh", full_name="Fresh", roles=["admin"], actor="a"
    )
    db.commit()
    assert one_time
    _sign_in(client, "fresh", one_time)
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/account/password?next=/admin"
    api = client.get("/api/v1/users")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "auth.password_change_required"
    assert client.get("/api/v1/me").status_code == 200
