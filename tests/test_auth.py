"""Signing in and out, the rate limit and the idle timeout."""

from __future__ import annotations

from tests.conftest import PASSWORD, html_text, soup


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_page_is_swedish_by_default(client):
    response = client.get("/login")
    assert 'lang="sv"' in response.get_data(as_text=True)
    assert "Logga in" in html_text(response)


def test_login_page_follows_accept_language_when_user_has_no_setting(client):
    response = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Sign in" in html_text(response)


def test_staff_member_signs_in_and_sees_inbox(client, people):
    people.user("fia", units=["Fältgruppen"])
    people.login("fia")
    response = client.get("/")
    assert response.status_code == 200
    assert soup(response).select_one("main#main") is not None


def test_wrong_password_is_refused_with_a_translated_message_and_username_kept(client, people):
    people.user("fia")
    response = client.post("/login", data={"username": "fia", "password": "nope"})
    assert response.status_code == 401
    text = html_text(response)
    assert "Fel användarnamn eller lösenord." in text
    assert soup(response).select_one("input#username")["value"] == "fia"


def test_sixth_login_attempt_in_a_minute_is_rate_limited(client, people):
    people.user("fia")
    for _ in range(5):
        client.post("/login", data={"username": "fia", "password": "wrong"})
    response = client.post("/login", data={"username": "fia", "password": PASSWORD})
    assert response.status_code == 429
    assert "För många inloggningsförsök" in html_text(response)


def test_rate_limit_is_per_account_so_a_colleague_can_still_sign_in(client, people):
    people.user("fia")
    people.user("kim")
    for _ in range(5):
        client.post("/login", data={"username": "fia", "password": "wrong"})
    people.login("kim")
    assert client.get("/").status_code == 200


def test_logout_clears_the_session(client, people):
    people.user("fia")
    people.login("fia")
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_without_csrf_token_is_refused(client, people):
    people.user("fia")
    people.login("fia")
    response = client.post("/logout", csrf=False)
    assert response.status_code == 400
    assert client.get("/").status_code == 200


def test_next_parameter_cannot_redirect_to_another_site(client, people):
    people.user("fia")
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "fia", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in(client, people, db):
    user = people.user("fia")
    user.active = False
    db.add(user)
    db.commit()
    response = client.post("/login", data={"username": "fia", "password": PASSWORD})
    assert response.status_code == 401


def test_language_choice_is_stored_on_the_account(client, people, db):
    user = people.user("fia")
    people.login("fia")
    client.post("/language", data={"lang": "en", "next": "/"})
    db.refresh(user)
    assert user.locale == "en"
    assert "Sign out" in html_text(client.get("/account"))
    # a fresh sign-in on another device uses the stored setting
    people.logout()
    people.login("fia")
    assert "Sign out" in html_text(client.get("/account"))


def _session_cookie(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("nara_session="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


def test_a_slow_answer_to_a_request_sent_before_sign_in_does_not_sign_the_person_out(
        client, people, app):
    """A phone signs in while the service worker's update check, a static file or the
    manifest is still on its way, sent with the anonymous cookie. That answer must not
    carry a cookie: arriving after the sign-in, it would replace the signed-in one."""
    people.user("fia", units=["Fältgruppen"])
    client.get("/login")  # the anonymous session now holds a CSRF token
    anonymous = client.get_cookie("nara_session").value
    people.login("fia")
    assert client.get("/").status_code == 200
    for path in ("/sw.js", "/manifest.webmanifest", "/static/css/app.css", "/offline"):
        late = app.test_client()
        late.set_cookie("nara_session", anonymous)
        response = late.get(path)
        assert response.status_code == 200, path
        assert _session_cookie(response) is None, f"{path} re-set the session cookie"
    assert client.get("/").status_code == 200  # still signed in
