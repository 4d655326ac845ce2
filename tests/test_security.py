"""Security headers, CSP, CSRF and error pages."""

from __future__ import annotations

import pytest

from app import DEFAULT_SECRET, create_app
from tests.conftest import html_text


def test_every_page_carries_the_security_headers(client):
    response = client.get("/login")
    h = response.headers
    csp = h["Content-Security-Policy"]
    for directive in (
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
        "frame-ancestors 'none'", "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in h["Permissions-Policy"]
    assert h["Cache-Control"] == "no-store"
    assert "HX-Request" in h["Vary"]


@pytest.mark.parametrize("path", ["/login", "/static/js/tally-outbox.js", "/manifest.webmanifest"])
def test_no_other_site_may_load_our_responses(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_hsts_and_secure_cookie_when_behind_https(database_url):
    app = create_app({"DATABASE_URL": database_url, "PREFER_HTTPS": True,
                      "SESSION_COOKIE_SECURE": True, "SECRET_KEY": "x" * 32})
    response = app.test_client().get("/login")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]
    app.extensions["nara_engine"].dispose()


def test_production_refuses_the_default_secret(database_url):
    with pytest.raises(RuntimeError):
        create_app({"DATABASE_URL": database_url, "NARA_ENV": "production",
                    "SECRET_KEY": DEFAULT_SECRET})


def test_pages_have_no_inline_script_or_event_handlers(client, people):
    people.user("fia")
    for path in ("/login",):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body
        assert " onclick=" not in body and " onload=" not in body and " style=" not in body
    people.login("fia")
    for path in ("/", "/account"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body and " style=" not in body


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Hittades inte" in html_text(response)


def test_htmx_error_is_a_small_fragment_aimed_at_the_notice_area(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#notice"
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Hittades inte" in body


def test_unsafe_request_without_csrf_token_is_refused(client, people):
    people.user("fia")
    people.login("fia")
    response = client.post("/language", data={"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert "formuläret" in html_text(response).lower()


def test_an_unexpected_error_is_a_translated_500_without_details(app):
    from views import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = html_text(response)
    assert "Något gick fel" in text and "secret internals" not in text
