"""Signing in through the identity provider (issue 17 §1), against a real OpenID provider
(npm `oidc-provider`, tests/oidc/provider.mjs): the browser's part is played with
`requests` at the provider and the test client at Nära; Nära's server talks to the
provider itself (discovery, keys, token and userinfo endpoints).

Every refusal — wrong state, replayed code, an ID token with a broken signature, expired,
for another audience, with another nonce or issuer — leaves no session behind."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlmodel import select

from models.access import idp
from models.access.sessions import UserSession
from tests.conftest import PASSWORD, soup, texts
from tests.oidc_provider import LOA2, LOA3, app_config, oidc_provider
from tests.oidc_provider import PASSWORD as PROVIDER_PASSWORD

APP_BASE = "http://localhost"


@pytest.fixture(scope="module")
def provider():
    with oidc_provider(APP_BASE) as running:
        yield running


@pytest.fixture
def oidc(app, provider):
    app.config.update(app_config(provider))
    return app


def at_provider(client, login: str = "hsa-anna", acr: str = LOA3) -> str:
    """Start at Nära's button, sign in at the provider; the callback address it sends the
    browser back to (not yet followed)."""
    start = client.get("/login/oidc")
    assert start.status_code == 302
    browser = requests.Session()
    page = browser.get(start.headers["Location"], timeout=10)
    form = soup(page.text).find("form")
    answer = browser.post(urljoin(page.url, form["action"]), timeout=10,
                          data={"login": login, "password": PROVIDER_PASSWORD, "acr": acr},
                          allow_redirects=False)
    while not answer.headers["Location"].startswith(f"{APP_BASE}/"):
        answer = browser.get(urljoin(answer.url, answer.headers["Location"]), timeout=10,
                             allow_redirects=False)
    return answer.headers["Location"][len(APP_BASE):]


def sessions_of(db, user=None) -> list[UserSession]:
    db.expire_all()
    query = select(UserSession)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(db.exec(query).all())


def linked(people, db, provider, username="anna", subject="hsa-anna", **kw):
    person = people.user(username, **kw)
    idp.link(db, person, provider.issuer, subject, by=None)
    db.commit()
    return person


def test_a_linked_person_signs_in_and_lands_in_the_inbox(oidc, client, people, db, provider):
    anna = linked(people, db, provider, units=["Fältgruppen"])
    response = client.get(at_provider(client))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert client.get("/").status_code == 200
    (row,) = sessions_of(db, anna)
    assert row.ended_at is None


def test_the_session_keeps_the_level_the_provider_vouched_for(oidc, client, people, db,
                                                               provider):
    anna = linked(people, db, provider)
    client.get(at_provider(client, acr=LOA3))
    (row,) = sessions_of(db, anna)
    assert (row.acr, row.amr) == (LOA3, "smartcard")


def test_the_request_to_the_provider_carries_pkce_state_and_nonce(oidc, client):
    query = parse_qs(urlsplit(client.get("/login/oidc").headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["response_type"] == ["code"]


def test_an_unlinked_subject_is_refused_with_a_translated_message(oidc, client, people, db):
    people.user("nobody")  # same username, but no link and no auto-linking
    response = client.get(at_provider(client, login="hsa-nobody"))
    assert response.status_code == 403
    assert "inte kopplad till något konto i Nära" in texts(response, "#login-error")[0]
    assert sessions_of(db) == []


def test_a_wrong_state_is_refused(oidc, client, people, db, provider):
    linked(people, db, provider)
    callback = at_provider(client)
    forged = callback.replace("state=", "state=x")
    assert client.get(forged).status_code == 400
    assert sessions_of(db) == []


def test_a_replayed_code_is_refused(oidc, client, app, people, db, provider):
    anna = linked(people, db, provider)
    callback = at_provider(client)
    cookie = client.get_cookie("nara_session").value  # with the state still in it
    assert client.get(callback).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("nara_session", cookie)
    response = attacker.get(callback)
    assert response.status_code == 400
    assert len(sessions_of(db, anna)) == 1  # only the genuine sign-in's


@pytest.mark.parametrize("mode", ["signature", "expired", "audience", "nonce", "issuer"])
def test_an_altered_id_token_is_refused(oidc, client, people, db, provider, mode):
    linked(people, db, provider)
    callback = at_provider(client)
    provider.tamper_next_id_token(mode)
    response = client.get(callback)
    assert response.status_code == 400
    assert texts(response, "#login-error")
    assert sessions_of(db) == []


def test_a_cancelled_sign_in_at_the_provider_is_refused(oidc, client, db):
    client.get("/login/oidc")
    response = client.get("/login/oidc/callback?error=access_denied&state=x")
    assert response.status_code == 401
    assert sessions_of(db) == []


def test_preferred_username_links_on_first_sign_in_when_configured(oidc, client, people, db):
    oidc.config["OIDC_AUTO_LINK_BY"] = "preferred_username"
    anna = people.user("anna")
    assert client.get(at_provider(client)).status_code == 302
    assert idp.link_of(db, anna).subject == "hsa-anna"


def test_an_account_made_on_first_sign_in_is_staff_with_no_units(oidc, client, db):
    oidc.config["OIDC_CREATE_USERS"] = True
    assert client.get(at_provider(client, login="hsa-bo")).status_code == 302
    made = db.exec(select(idp.IdpLink).where(idp.IdpLink.subject == "hsa-bo")).one()
    person = db.get(idp.User, made.user_id)
    assert (person.username, person.role, person.display_name) == ("bo", "staff", "Bo Berg")
    from models.access import units_of

    assert units_of(db, person) == []


def test_the_groups_map_seeds_role_and_units_of_a_made_account(oidc, client, people, db):
    people.unit("Fältgruppen")
    oidc.config.update(OIDC_CREATE_USERS=True,
                       OIDC_GROUPS_MAP="nara-staff=manager:Fältgruppen|Finns inte")
    client.get(at_provider(client, login="hsa-anna"))
    made = db.exec(select(idp.IdpLink).where(idp.IdpLink.subject == "hsa-anna")).one()
    person = db.get(idp.User, made.user_id)
    from models.access import units_of

    assert person.role == "manager"
    assert [u.name for u in units_of(db, person)] == ["Fältgruppen"]


def test_a_deactivated_account_is_refused(oidc, client, people, db, provider):
    anna = linked(people, db, provider)
    anna.active = False
    db.add(anna)
    db.commit()
    assert client.get(at_provider(client)).status_code == 403
    assert sessions_of(db) == []


# --- local passwords off: break-glass -----------------------------------------------------


def test_with_local_login_off_the_login_page_offers_the_provider_and_break_glass(oidc, client):
    oidc.config["LOCAL_LOGIN"] = False
    page = soup(client.get("/login"))
    assert page.select_one("#idp-login").get_text(strip=True) == "Logga in med SITHS"
    assert page.select_one("form input[name=password]") is None
    assert page.select_one("#break-glass")["href"].startswith("/login?local=1")


def test_with_local_login_off_a_staff_password_does_not_sign_in(oidc, client, people, db):
    oidc.config["LOCAL_LOGIN"] = False
    people.user("anna")
    response = client.post("/login?local=1", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 401
    assert sessions_of(db) == []


def test_with_local_login_off_the_break_glass_admin_signs_in(oidc, client, people, db):
    oidc.config["LOCAL_LOGIN"] = False
    people.user("it-admin", role="admin")
    response = client.post("/login?local=1",
                           data={"username": "it-admin", "password": PASSWORD})
    assert response.status_code == 302


# --- the required level ------------------------------------------------------------------


def test_a_lower_level_is_told_at_sign_in(oidc, client, people, db, provider):
    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    linked(people, db, provider)
    response = client.get(at_provider(client, acr=LOA2))
    assert urlsplit(response.headers["Location"]).path == "/login/level"
    assert texts(client.get(response.headers["Location"]), "#level-text")


def test_a_lower_level_does_not_open_the_working_notes(oidc, client, people, db, provider):
    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    linked(people, db, provider, units=["Fältgruppen"])
    client.get(at_provider(client, acr=LOA2))
    response = client.get("/notes/")
    assert response.status_code == 403
    assert "starkare inloggning" in soup(response).get_text()


def test_the_required_level_opens_the_working_notes(oidc, client, people, db, provider):
    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    linked(people, db, provider, units=["Fältgruppen"])
    client.get(at_provider(client, acr=LOA3))
    assert client.get("/notes/").status_code == 200


def test_a_password_session_does_not_meet_a_required_level(oidc, client, people):
    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    people.login(people.user("anna", units=["Fältgruppen"]))
    assert client.get("/notes/").status_code == 403


# --- sign-out ---------------------------------------------------------------------------


def test_sign_out_goes_to_the_providers_end_session_with_the_id_token(oidc, client, people, db,
                                                                       provider):
    anna = linked(people, db, provider)
    client.get(at_provider(client))
    response = client.post("/logout")
    target = urlsplit(response.headers["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/session/end"
    assert query["post_logout_redirect_uri"] == [f"{APP_BASE}/logout/done"]
    assert query["id_token_hint"][0].count(".") == 2
    (row,) = sessions_of(db, anna)
    assert row.ended_at is not None and row.idp_id_token is None


def test_the_device_sign_out_names_the_providers_end_session(oidc, client, people, db,
                                                              provider):
    linked(people, db, provider)
    client.get(at_provider(client))
    response = client.post("/logout/device", data={"capability": ""})
    assert response.get_json()["idp_logout"].startswith(f"{provider.issuer}/session/end?")


def test_a_password_session_signs_out_at_nara_only(oidc, client, people):
    people.login(people.user("anna"))
    response = client.post("/logout")
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_the_csp_lets_a_sign_out_form_reach_only_the_provider(oidc, client, provider):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.issuer};" in policy + ";"
    assert "'unsafe-inline'" not in policy


# --- "Koppla till inloggning" on the admin's person page ----------------------------------


def test_an_admin_links_a_person_and_the_person_can_sign_in(oidc, client, people, db):
    anna = people.user("anna")
    people.login(people.user("ada", role="admin"))
    response = client.post(f"/admin/users/{anna.id}/idp-link", data={"subject": "hsa-anna"})
    assert response.status_code == 302
    assert texts(client.get(f"/admin/users/{anna.id}"), "#idp-linked") == ["Kopplad: hsa-anna"]
    people.logout()
    assert urlsplit(client.get(at_provider(client)).headers["Location"]).path == "/"


def test_linking_a_person_is_written_to_the_admin_log_with_before_and_after(oidc, client,
                                                                           people, db):
    from sqlmodel import select

    from models.admin.log import AdminLog
    anna = people.user("anna")
    people.login(people.user("ada", role="admin"))
    client.post(f"/admin/users/{anna.id}/idp-link", data={"subject": "hsa-anna"})
    row = db.exec(select(AdminLog).where(AdminLog.action == "user.idp_link")).one()
    assert (row.target, row.before, row.after) == (
        "anna", {"subject": None}, {"subject": "hsa-anna"})


def test_an_identity_linked_to_someone_else_is_refused_at_the_field(oidc, client, people, db,
                                                                     provider):
    linked(people, db, provider)
    bo = people.user("bo")
    people.login(people.user("ada", role="admin"))
    response = client.post(f"/admin/users/{bo.id}/idp-link", data={"subject": "hsa-anna"})
    assert response.status_code == 422
    assert texts(response, "#err-subject") == [
        "Den identiteten är redan kopplad till en annan person."]
    assert soup(response).select_one("#idp-subject")["value"] == "hsa-anna"


def test_an_admin_removes_a_link(oidc, client, people, db, provider):
    anna = linked(people, db, provider)
    people.login(people.user("ada", role="admin"))
    client.post(f"/admin/users/{anna.id}/idp-link", data={"unlink": "1"})
    db.expire_all()
    assert idp.link_of(db, anna) is None


def test_only_admins_link_people(oidc, client, people, db):
    anna = people.user("anna")
    people.login(people.user("maja", role="manager"))
    response = client.post(f"/admin/users/{anna.id}/idp-link", data={"subject": "hsa-anna"})
    assert response.status_code == 403
    assert idp.link_of(db, anna) is None


def test_a_link_with_an_unusable_identity_is_refused_at_the_field(oidc, client, people):
    anna = people.user("anna")
    people.login(people.user("ada", role="admin"))
    typed = "x" * 256
    response = client.post(f"/admin/users/{anna.id}/idp-link", data={"subject": typed})
    assert response.status_code == 422
    assert texts(response, "#err-subject")
    assert soup(response).select_one("#idp-subject")["value"] == typed


@pytest.mark.parametrize("action", ["journal.read", "journal.write", "journal.manage",
                                    "journal.correct", "journal.create_client", "notes.use",
                                    "notes.open", "notes.contact"])
def test_the_policy_refuses_the_journal_and_notes_below_the_level(db, people, action):
    from models.access import ensure
    from models.access.policy import LevelTooLow

    maja = people.user("maja", role="manager", units=["Fältgruppen"])
    maja._level_ok = False
    with pytest.raises(LevelTooLow):
        ensure(db, maja, action, None)


def test_a_refusal_from_the_provider_is_said_above_its_button(oidc, client):
    client.get("/login/oidc")
    page = soup(client.get("/login/oidc/callback?error=access_denied&state=x"))
    assert page.select_one("#login-error").find_next("a")["id"] == "idp-login"
    assert page.select_one("#username").get("aria-invalid") is None


# --- gaps found in the audit of issue 17 §1 -----------------------------------------------


def test_the_environment_alone_sets_the_provider_up(database_url, provider, monkeypatch):
    """OIDC_* and LOCAL_LOGIN read from the environment, as a deployment sets them."""
    from app import create_app
    from tests.conftest import SECRET
    from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET

    for name, value in {"OIDC_ISSUER": f"{provider.issuer}/", "OIDC_CLIENT_ID": CLIENT_ID,
                        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                        "OIDC_SCOPES": "openid profile groups",
                        "OIDC_USER_CLAIM": "preferred_username",
                        "OIDC_BUTTON_LABEL": "Logga in med Freja", "LOCAL_LOGIN": "0"}.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                      "PREFER_HTTPS": False, "FAST_PASSWORD_HASHING": True})
    try:
        client = app.test_client()
        page = soup(client.get("/login"))
        assert page.select_one("#idp-login").get_text(strip=True) == "Logga in med Freja"
        assert page.select_one("form input[name=password]") is None
        target = urlsplit(client.get("/login/oidc").headers["Location"])
        query = parse_qs(target.query)
        assert f"{target.scheme}://{target.netloc}" == provider.issuer
        assert (query["client_id"], query["scope"]) == ([CLIENT_ID], ["openid profile groups"])
        assert app.config["OIDC_USER_CLAIM"] == "preferred_username"
    finally:
        app.extensions["nara_engine"].dispose()


def test_an_unknown_person_gets_no_account_unless_accounts_may_be_made(oidc, client, db):
    response = client.get(at_provider(client, login="hsa-bo"))
    assert response.status_code == 403
    assert db.exec(select(idp.User).where(idp.User.username == "bo")).first() is None
    assert db.exec(select(idp.IdpLink)).first() is None


def test_automatic_linking_never_takes_an_account_linked_to_another_identity(oidc, client,
                                                                           people, db,
                                                                           provider):
    oidc.config["OIDC_AUTO_LINK_BY"] = "preferred_username"
    anna = linked(people, db, provider, subject="hsa-other")
    assert client.get(at_provider(client)).status_code == 403
    db.expire_all()
    assert idp.link_of(db, anna).subject == "hsa-other"
    assert sessions_of(db) == []


def test_the_user_claim_names_what_a_link_holds(oidc, client, people, db, provider):
    oidc.config["OIDC_USER_CLAIM"] = "preferred_username"
    anna = linked(people, db, provider, subject="anna")  # the provider's preferred_username
    assert urlsplit(client.get(at_provider(client)).headers["Location"]).path == "/"
    assert [s.user_id for s in sessions_of(db)] == [anna.id]


def test_only_the_named_break_glass_account_keeps_its_password(oidc, client, people, db):
    oidc.config.update(LOCAL_LOGIN=False, BREAK_GLASS_USERS="noed-admin")
    people.user("it-admin", role="admin")
    people.user("noed-admin", role="admin")
    refused = client.post("/login?local=1", data={"username": "it-admin", "password": PASSWORD})
    assert refused.status_code == 401
    allowed = client.post("/login?local=1",
                          data={"username": "noed-admin", "password": PASSWORD})
    assert allowed.status_code == 302


def test_a_lower_level_does_not_open_the_journal(oidc, client, people, db, provider):
    from tests.journal_helpers import make_home

    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    home = make_home(people)
    idp.link(db, home.hanna, provider.issuer, "hsa-anna", by=None)
    db.commit()
    client.get(at_provider(client, acr=LOA2))
    response = client.get(f"/journal/{home.client.id}")
    assert response.status_code == 403
    assert "starkare inloggning" in soup(response).get_text()


def test_the_required_level_opens_the_journal(oidc, client, people, db, provider):
    from tests.journal_helpers import make_home

    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    home = make_home(people)
    idp.link(db, home.hanna, provider.issuer, "hsa-anna", by=None)
    db.commit()
    client.get(at_provider(client, acr=LOA3))
    assert client.get(f"/journal/{home.client.id}").status_code == 200


def test_the_provider_asks_for_the_required_level(oidc, client):
    oidc.config["OIDC_REQUIRED_ACR"] = LOA3
    query = parse_qs(urlsplit(client.get("/login/oidc").headers["Location"]).query)
    assert query["acr_values"] == [LOA3]


def test_back_from_the_providers_sign_out_the_login_page_says_so(oidc, client):
    response = client.get("/logout/done?state=en")
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    assert parse_qs(target.query) == {"reason": ["logged-out"], "lang": ["en"]}
