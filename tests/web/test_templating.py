"""The shell's templates: discovery of domain folders, the layout's context, escaping."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from forgeline.web.templating import SHELL_TEMPLATES, format_number, static_url, template_dirs


def test_template_dirs_put_the_shell_first_then_every_domain(tmp_path: Path) -> None:
    (tmp_path / "zeta" / "templates").mkdir(parents=True)
    (tmp_path / "alpha" / "templates").mkdir(parents=True)
    (tmp_path / "beta" / "notes").mkdir(parents=True)
    assert template_dirs(tmp_path) == [
        SHELL_TEMPLATES,
        tmp_path / "alpha" / "templates",
        tmp_path / "zeta" / "templates",
    ]


def test_installed_domains_are_found() -> None:
    names = {path.parent.name for path in template_dirs()}
    assert "web" in names


def test_layout_shows_the_viewer_navigation_and_a_sign_out_form(shell_client: TestClient) -> None:
    html = shell_client.get("/page/as-viewer").text
    assert "Asha Rao" in html
    assert '<form method="post" action="/logout"' in html
    assert 'name="csrf_token" value="csrf-123"' in html
    assert '<nav class="sidebar" aria-label="Main">' in html
    assert 'href="/plant"' in html
    assert 'href="/admin"' not in html  # the fake viewer lacks user.read
    assert "coming" in html
    assert static_url("vendor/htmx.min.js") in html


def test_layout_escapes_what_people_typed(shell_client: TestClient) -> None:
    html = shell_client.get("/page/as-viewer", params={"name": "<script>x</script>"}).text
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_anonymous_pages_have_no_navigation_or_sign_out(shell_client: TestClient) -> None:
    html = shell_client.get("/no-such-page").text
    assert 'aria-label="Main"' not in html
    assert 'action="/logout"' not in html


def test_static_assets_are_served_from_the_package(shell_client: TestClient) -> None:
    css = shell_client.get("/static/forgeline.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "--e10-productive" in css.text
    htmx = shell_client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text


def test_numbers_read_cleanly_in_tables() -> None:
    assert format_number(None) == "\u2013"
    assert format_number(90.0) == "90"
    assert format_number(2.5) == "2.5"
    assert format_number(0.1 + 0.2) == "0.3"
    assert format_number(30000) == "30\u202f000"
