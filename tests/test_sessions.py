"""Sessions that really end: a copied cookie is worth nothing once its session is over.

Every way a session ends (sign-out, idle, the absolute lifetime, deactivation, a new
password, a changed role or units, an admin's "end all") is tried with a copy of the cookie
taken before, replayed after: a page sends it to login, the outbox gets a 401 it knows.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlmodel import select

from app import create_app
from models.access import Membership, User
from models.access.sessions import UserSession, capability, device_label
from tests.conftest import PASSWORD, SECRET, CsrfClient, soup
from tests.sql_helpers import statements

OUTBOX = {"X-Nara-Outbox": "1", "HX-Request": "true"}
TALLY_URL = "/activities/1/tallies"


def cookie_of(client) -> str:
    return client.get_cookie("nara_session").value


def replay(app, cookie: str) -> CsrfClient:
    """A second browser holding a copy of someone's cookie."""
    thief = app.test_client()
    thief.set_cookie("nara_session", cookie)
    return thief


def assert_signed_out(app, cookie: str) -> None:
    thief = replay(app, cookie)
    page = thief.get("/account")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    sent = thief.post(TALLY_URL, data={"x": "1"}, headers=OUTBOX)
    assert sent.status_code == 401
    assert sent.get_json()["signed_out"] is True


@pytest.fixture
def fia(people):
    return people.user("fia", units=["Fältgruppen"], name="Fia Fältare")


@pytest.fixture
def admin_client(app, people):
    people.user("ada", role="admin", name="Ada Admin")
    return people.login("ada", app.test_client())


def live_rows(db, user) -> list[UserSession]:
    db.expire_all()
    return list(db.exec(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all())


# --- what the cookie carries -----------------------------------------------------------


def test_the_cookie_carries_a_random_session_key_and_nothing_about_the_person(
        client, people, fia, app):
    people.login("fia")
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie_of(client))
    assert set(data) <= {"_user_id", "_fresh", "_permanent", "csrf_token", "lang"}
    assert len(data["_user_id"]) >= 43  # 256 random bits, URL-safe base64
    assert data["_user_id"] not in {str(fia.id), fia.username}


def test_the_server_stores_only_a_hash_of_the_session_key(client, people, fia, app, db):
    people.login("fia")
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie_of(client))
    (row,) = live_rows(db, fia)
    assert row.token_hash != data["_user_id"] and len(row.token_hash) == 64


def test_every_sign_in_gets_a_new_session_key(client, people, fia):
    people.login("fia")
    first = cookie_of(client)
    people.logout()
    people.login("fia")
    assert cookie_of(client) != first


def test_a_key_planted_before_sign_in_is_not_kept(client, people, fia, app):
    planted = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
        {"_user_id": "planted-by-someone-else"})
    client.set_cookie("nara_session", planted)
    people.login("fia")
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie_of(client))
    assert data["_user_id"] != "planted-by-someone-else"


def test_signing_in_records_a_coarse_device_label(client, people, fia, db):
    ua = ("Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Mobile Safari/537.36")
    client.post("/login", data={"username": "fia", "password": PASSWORD},
                headers={"User-Agent": ua})
    (row,) = live_rows(db, fia)
    assert row.device == "Chrome · Android"


@pytest.mark.parametrize("ua,label", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari · iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge · Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
    ("curl/8.0", ""),
    ("", ""),
])
def test_device_labels_name_only_the_browser_and_system_family(ua, label):
    assert device_label(ua) == label


# --- a copied cookie after each way a session ends --------------------------------------


def test_a_copied_cookie_works_while_the_session_is_live(client, people, fia, app):
    people.login("fia")
    assert replay(app, cookie_of(client)).get("/account").status_code == 200


def test_a_copied_cookie_is_signed_out_after_sign_out(client, people, fia, app):
    people.login("fia")
    copy = cookie_of(client)
    people.logout()
    assert_signed_out(app, copy)


# What an admin does to a person, as (path after /admin/users/<id>, form): each ends them.
ADMIN_CHANGES = {
    "deactivation": ("/active", lambda w: {"active": "0", "confirm": "yes"}),
    "role change": ("/role", lambda w: {"role": "manager"}),
    "unit change": ("/units", lambda w: {"units": [str(w.id)]}),
    "new password": ("/password", lambda w: {"password": "a new long one!"}),
    "end all sessions": ("/sessions/end", lambda w: {}),
}


@pytest.mark.parametrize("change", sorted(ADMIN_CHANGES))
def test_a_copied_cookie_is_signed_out_after_an_admins_change(
        client, people, fia, app, admin_client, change):
    other = people.unit("Mötesplatsen")
    people.login("fia")
    copy = cookie_of(client)
    path, form = ADMIN_CHANGES[change]
    admin_client.post(f"/admin/users/{fia.id}{path}", data=form(other))
    assert_signed_out(app, copy)


def test_saving_the_same_units_again_keeps_the_session(client, people, fia, app, admin_client,
                                                       db):
    (unit,) = [m.unit_id for m in db.exec(select(Membership))]
    people.login("fia")
    copy = cookie_of(client)
    admin_client.post(f"/admin/users/{fia.id}/units", data={"units": [str(unit)]})
    assert replay(app, copy).get("/account").status_code == 200


def test_a_copied_cookie_is_signed_out_after_the_person_changes_their_password(
        client, people, fia, app):
    people.login("fia")
    copy = cookie_of(client)
    response = client.post("/account/password", data={
        "current": PASSWORD, "new": "a new long password", "confirm": "a new long password"})
    assert soup(response).select_one("#password-changed") is not None
    assert_signed_out(app, copy)


def test_changing_ones_password_keeps_this_device_signed_in_with_a_new_key(
        client, people, fia):
    people.login("fia")
    before = cookie_of(client)
    client.post("/account/password", data={
        "current": PASSWORD, "new": "a new long password", "confirm": "a new long password"})
    assert cookie_of(client) != before
    assert client.get("/account").status_code == 200


def test_a_wrong_current_password_is_refused_at_its_field(client, people, fia, app):
    people.login("fia")
    copy = cookie_of(client)
    response = client.post("/account/password", data={
        "current": "not it at all", "new": "a new long password",
        "confirm": "a new long password"})
    assert response.status_code == 422
    field = soup(response).select_one("#pw-current")
    assert field["aria-invalid"] == "true"
    assert "nuvarande" in soup(response).select_one("#err-current").text
    assert replay(app, copy).get("/account").status_code == 200  # nothing ended


def test_a_copied_cookie_is_signed_out_after_the_idle_limit(client, people, fia, app, clock):
    people.login("fia")
    copy = cookie_of(client)
    clock.move(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=1)
    assert_signed_out(app, copy)


def test_activity_just_inside_the_idle_limit_keeps_the_session(client, people, fia, app,
                                                                clock):
    people.login("fia")
    for _ in range(3):  # 3 × 29 minutes: longer than the limit, never idle for it
        clock.move(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
        assert client.get("/account").status_code == 200


def test_background_polls_do_not_keep_an_idle_session_alive(client, people, fia, app, clock):
    people.login("fia")
    idle = app.config["SESSION_IDLE_MINUTES"]
    clock.move(minutes=idle - 2)
    assert client.get("/", headers={"X-Nara-Background": "1"}).status_code == 200
    clock.move(minutes=3)
    assert client.get("/account").status_code == 302


def test_a_copied_cookie_is_signed_out_after_the_absolute_lifetime(client, people, fia, app,
                                                                    clock):
    people.login("fia")
    copy = cookie_of(client)
    for _ in range(app.config["SESSION_MAX_HOURS"] * 4):  # active every 15 minutes
        clock.move(minutes=15)
        client.get("/account")
    assert_signed_out(app, copy)


def test_the_absolute_lifetime_is_set_in_hours_from_the_environment(database_url):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                      "SESSION_MAX_HOURS": 8})
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    app.extensions["nara_engine"].dispose()


# --- how a signed-out request is answered ------------------------------------------------


def test_an_idle_page_request_goes_to_login_with_the_reason(client, people, fia, app, clock):
    people.login("fia")
    clock.move(minutes=31)
    response = client.get("/account")
    assert response.status_code == 302 and "reason=idle" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "30 minuter utan aktivitet" in soup(page).select_one("#login-reason").text


def test_an_outbox_request_after_idle_gets_a_401_with_the_reason(client, people, fia, clock):
    people.login("fia")
    clock.move(minutes=31)
    response = client.post(TALLY_URL, data={"x": "1"}, headers=OUTBOX)
    assert response.status_code == 401
    body = response.get_json()
    assert body["reason"] == "idle" and body["login"].startswith("/login")
    assert "Location" not in response.headers


def test_an_offline_journal_draft_sent_after_idle_gets_a_401_with_the_reason(
        client, people, fia, clock):
    people.login("fia")
    clock.move(minutes=31)
    response = client.post("/journal/1/entries", data={"text": "x"},
                           headers={"HX-Request": "true", "X-Nara-Draft": "1"})
    assert response.status_code == 401
    assert response.get_json()["login"] == "/login?reason=idle"


def test_an_htmx_request_after_idle_navigates_to_login_and_swaps_nothing(client, people, fia,
                                                                          clock):
    people.login("fia")
    clock.move(minutes=31)
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?reason=idle"
    assert response.get_data() == b""


def test_the_catalogue_request_after_sign_out_gets_a_401_not_a_login_page(client, people, fia):
    people.login("fia")
    people.logout()
    response = client.get("/tally/catalogue.json")
    assert response.status_code == 401 and response.get_json()["signed_out"] is True


def test_after_the_absolute_lifetime_the_login_page_says_why(client, people, fia, clock):
    people.login("fia")
    clock.move(hours=12, seconds=1)
    response = client.get("/account")
    page = client.get(response.headers["Location"])
    assert "12 timmar" in soup(page).select_one("#login-reason").text


def test_an_unknown_reason_in_the_login_url_shows_nothing(client):
    page = client.get("/login?reason=<script>")
    assert soup(page).select_one("#login-reason") is None


# --- sign-out --------------------------------------------------------------------------


def test_sign_out_clears_the_cache_and_cookies_but_not_other_peoples_storage(
        client, people, fia):
    people.login("fia")
    response = client.post("/logout")
    directives = {d.strip() for d in response.headers["Clear-Site-Data"].split(",")}
    assert directives == {'"cache"', '"cookies"'}


def test_sign_out_expires_the_cookie(client, people, fia):
    people.login("fia")
    response = client.post("/logout")
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("nara_session="))
    assert "Expires=Thu, 01 Jan 1970" in cookie or "Max-Age=0" in cookie


def test_sign_out_records_when_and_why_the_session_ended(client, people, fia, db):
    people.login("fia")
    people.logout()
    db.expire_all()
    (row,) = db.exec(select(UserSession).where(UserSession.user_id == fia.id)).all()
    assert row.ended_at is not None and row.end_reason == "logout"


def test_the_production_cookie_is_host_prefixed_and_secure(database_url):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                      "PREFER_HTTPS": True})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-nara_session"
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-nara_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    app.extensions["nara_engine"].dispose()


# --- the login page while someone is signed in -----------------------------------------


def test_the_login_page_shows_who_is_signed_in_instead_of_their_inbox(client, people, fia):
    people.login("fia")
    response = client.get("/login")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#signed-in-heading").text == "Inloggad som Fia Fältare"
    assert page.select_one("#continue-as")["href"] == "/"
    assert page.select_one("form#switch-user")["action"] == "/logout"


def test_signing_in_as_someone_else_ends_the_previous_session(client, people, fia, app):
    people.user("kim", units=["Fältgruppen"])
    people.login("fia")
    copy = cookie_of(client)
    client.post("/login", data={"username": "kim", "password": PASSWORD})
    assert_signed_out(app, copy)


# --- sign-out from a phone that was offline ---------------------------------------------


def _capability(client) -> str:
    badge = soup(client.get("/account")).select_one("#outbox-badge")
    return badge["data-signout"]


def test_every_signed_in_page_carries_the_sign_out_capability(client, people, fia, app, db):
    people.login("fia")
    (row,) = live_rows(db, fia)
    assert _capability(client) == capability(app.secret_key, row)


def test_the_capability_ends_its_session_with_no_cookie_and_no_csrf_token(
        client, people, fia, app):
    people.login("fia")
    cap, copy = _capability(client), cookie_of(client)
    device = app.test_client()  # the service worker's request, the cookie long gone
    response = device.post("/logout/device", data={"capability": cap}, csrf=False)
    assert response.status_code == 200 and response.get_json() == {"ended": True}
    assert '"cookies"' in response.headers["Clear-Site-Data"]
    assert_signed_out(app, copy)


def test_a_forged_capability_ends_nothing(client, people, fia, app):
    people.login("fia")
    cap, copy = _capability(client), cookie_of(client)
    ident = cap.split(".")[0]
    for forged in (f"{ident}.{'0' * 40}", f"{ident}.", "", "²." + cap.split(".")[1],
                   f"{int(ident) + 1}.{cap.split('.')[1]}", "9" * 40 + ".x"):
        response = app.test_client().post("/logout/device", data={"capability": forged},
                                          csrf=False)
        assert response.status_code == 200 and response.get_json() == {"ended": False}
    assert replay(app, copy).get("/account").status_code == 200


def test_the_capability_is_not_a_way_in(client, people, fia, app):
    people.login("fia")
    cap = _capability(client)
    forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
        {"_user_id": cap})
    assert replay(app, forged).get("/account").status_code == 302


def test_the_device_sign_out_also_ends_the_session_its_cookie_carries(client, people, fia,
                                                                       app):
    people.login("fia")
    copy = cookie_of(client)
    client.post("/logout/device", data={"capability": "garbage"}, csrf=False)
    assert_signed_out(app, copy)


def test_the_signed_out_page_holds_no_personal_data_or_token(client, people, fia):
    people.login("fia")
    response = client.get("/signed-out")
    body = response.get_data(as_text=True)
    assert "Fia" not in body and "X-CSRFToken" not in body and "data-signout" not in body
    assert soup(response).select_one("h1").text == "Utloggad"


# --- several app servers -----------------------------------------------------------------


def test_two_app_servers_on_one_database_agree_that_a_session_has_ended(
        app, client, people, fia, database_url):
    other = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                        "FAST_PASSWORD_HASHING": True, "PREFER_HTTPS": False})
    other.test_client_class = CsrfClient
    try:
        people.login("fia")
        copy = cookie_of(client)
        assert replay(other, copy).get("/account").status_code == 200
        client.post("/logout")
        assert_signed_out(other, copy)
    finally:
        other.extensions["nara_engine"].dispose()


def test_an_admin_ending_sessions_on_one_server_ends_them_on_the_other(
        app, client, people, fia, admin_client, database_url):
    other = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "TESTING": True,
                        "FAST_PASSWORD_HASHING": True, "PREFER_HTTPS": False})
    other.test_client_class = CsrfClient
    try:
        on_other = people.login("fia", other.test_client())
        copy = on_other.get_cookie("nara_session").value
        admin_client.post(f"/admin/users/{fia.id}/sessions/end")
        assert replay(other, copy).get("/account").status_code == 302
    finally:
        other.extensions["nara_engine"].dispose()


# --- the admin's view of a person's sessions ---------------------------------------------


def test_the_person_page_lists_live_sessions_with_their_device(client, people, fia,
                                                               admin_client):
    client.post("/login", data={"username": "fia", "password": PASSWORD},
                headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/604.1"})
    page = soup(admin_client.get(f"/admin/users/{fia.id}"))
    items = page.select("#live-sessions li")
    assert len(items) == 1 and items[0].text.startswith("Safari · iOS")


def test_the_person_page_leaves_out_ended_and_expired_sessions(client, people, fia, app,
                                                               clock):
    people.login("fia")
    clock.move(minutes=31)
    people.user("ada", role="admin")
    admin_client = people.login("ada", app.test_client())
    page = soup(admin_client.get(f"/admin/users/{fia.id}"))
    assert page.select_one("#live-sessions") is None
    assert page.select_one("#live-sessions-none") is not None


def test_ending_all_sessions_is_recorded_with_who_did_it(client, people, fia, admin_client,
                                                         db):
    people.login("fia")
    admin_client.post(f"/admin/users/{fia.id}/sessions/end")
    db.expire_all()
    (row,) = db.exec(select(UserSession).where(UserSession.user_id == fia.id)).all()
    ada = db.exec(select(User).where(User.username == "ada")).one()
    assert row.end_reason == "admin" and row.ended_by_id == ada.id


def test_an_outbox_request_with_no_cookie_left_gets_a_401_not_a_csrf_error(app):
    response = app.test_client().post(TALLY_URL, data={"x": "1"}, headers=OUTBOX, csrf=False)
    assert response.status_code == 401 and response.get_json()["signed_out"] is True


def test_the_outbox_401_body_is_small_json(client, people, fia):
    people.login("fia")
    people.logout()
    response = client.post(TALLY_URL, data={"x": "1"}, headers=OUTBOX)
    assert response.mimetype == "application/json"
    assert len(json.dumps(response.get_json())) < 200


# --- the per-request cost ----------------------------------------------------------------


def _statements(app, work) -> list[str]:
    """The first word of each statement `work()` sends (SELECT, UPDATE…)."""
    with statements(app.extensions["nara_engine"]) as seen:
        work()
    return [statement.split()[0].upper() for statement in seen]


def test_a_signed_in_request_reads_its_session_and_user_in_one_query(app, db, people, fia):
    from models.access.sessions import Limits, resolve, start

    _, key = start(db, fia)
    db.commit()
    limits = Limits(idle=timedelta(minutes=30),
                    max_age=timedelta(hours=12))
    found = []
    assert _statements(app, lambda: found.append(resolve(db, key, limits))) == ["SELECT"]
    assert found[0].user.username == "fia"


def test_last_activity_is_written_at_most_once_a_minute(app, db, people, fia, clock):
    from models.access.sessions import Limits, resolve, start

    _, key = start(db, fia)
    db.commit()
    limits = Limits(idle=timedelta(minutes=30),
                    max_age=timedelta(hours=12))
    clock.move(seconds=59)
    assert "UPDATE" not in _statements(app, lambda: resolve(db, key, limits))
    clock.move(seconds=2)
    assert "UPDATE" in _statements(app, lambda: resolve(db, key, limits))


def test_the_login_page_after_sign_out_keeps_the_persons_language(client, people, fia):
    people.login("fia")
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.post("/logout")
    assert response.headers["Location"] == "/login?reason=logged-out&lang=en"
    page = app_client_get(client, response.headers["Location"])
    assert soup(page).select_one("#login-reason").text == "You are signed out."


def app_client_get(client, url):
    client.delete_cookie("nara_session")  # what Clear-Site-Data "cookies" does in a browser
    return client.get(url)


# --- the daily job: sessions nobody came back to ----------------------------------------


def _session_row(db, user, *, created_ago: timedelta, seen_ago: timedelta,
                 id_token: str | None = "header.claims.signature") -> UserSession:
    from models.core.db import utcnow

    now = utcnow()
    row = UserSession(token_hash=f"{user.id}-{created_ago}-{seen_ago}".ljust(64, "0")[:64],
                      user_id=user.id, created_at=now - created_ago,
                      last_seen_at=now - seen_ago, idp_id_token=id_token)
    db.add(row)
    db.commit()
    return row


def _after_the_job(db, runner, rows) -> list[tuple[str | None, str | None]]:
    result = runner.invoke(args=["sessions", "end-expired"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    return [(db.get(UserSession, r.id).end_reason, db.get(UserSession, r.id).idp_id_token)
            for r in rows]


def test_the_daily_job_ends_a_session_left_idle_and_drops_its_id_token(db, runner, fia, app):
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=1)
    row = _session_row(db, fia, created_ago=idle, seen_ago=idle)
    assert _after_the_job(db, runner, [row]) == [("idle", None)]


def test_the_daily_job_ends_a_session_past_its_absolute_lifetime(db, runner, fia, app):
    row = _session_row(db, fia, created_ago=timedelta(hours=app.config["SESSION_MAX_HOURS"]),
                       seen_ago=timedelta(minutes=1))
    assert _after_the_job(db, runner, [row]) == [("max_age", None)]


def test_the_daily_job_ends_the_sessions_of_a_deactivated_person(db, runner, fia):
    row = _session_row(db, fia, created_ago=timedelta(minutes=5), seen_ago=timedelta(0))
    fia.active = False
    db.add(fia)
    db.commit()
    assert _after_the_job(db, runner, [row]) == [("deactivated", None)]


def test_the_daily_job_leaves_a_live_session_and_its_id_token_alone(db, runner, fia, app):
    inside = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    row = _session_row(db, fia, created_ago=inside, seen_ago=inside)
    assert _after_the_job(db, runner, [row]) == [(None, "header.claims.signature")]


def test_a_cookie_coming_back_after_the_daily_job_is_told_why_it_was_signed_out(
        client, people, fia, app, clock, runner):
    people.login("fia")
    clock.move(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=1)
    assert runner.invoke(args=["sessions", "end-expired"]).exit_code == 0
    page = client.get("/account")
    assert page.status_code == 302 and "idle" in page.headers["Location"]
