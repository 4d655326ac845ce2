"""Sign-in through the identity provider in the phone's browser (issue 17 §1), against a
real OpenID provider (tests/oidc/provider.mjs) on another loopback origin."""

from __future__ import annotations

import pytest

from models.access import idp, user_named
from models.core.db import new_session
from tests.e2e.conftest import axe_violations, login, shot
from tests.oidc_provider import LOA2, LOA3, PASSWORD, app_config, oidc_provider


@pytest.fixture
def provider(live_server):
    with oidc_provider(live_server.url) as running:
        live_server.app.config.update(app_config(running))
        yield running


def link(app, username: str, subject: str, issuer: str) -> None:
    with new_session(app.extensions["nara_engine"]) as session:
        idp.link(session, user_named(session, username), issuer, subject, by=None)
        session.commit()


def sign_in_at_provider(page, login: str, level: str = LOA3) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Logga in med SITHS").click()
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Level").select_option(level)
    page.get_by_role("button", name="Sign in at the provider").click()


def test_the_idp_button_signs_a_linked_person_in(page, live_server, provider):
    link(live_server.app, "kim", "hsa-anna", provider.issuer)
    page.goto("/login")
    shot(page, "oidc-login-page")
    assert axe_violations(page) == []
    sign_in_at_provider(page, "hsa-anna")
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/login" not in url)
    assert page.url == f"{live_server.url}/"  # the inbox
    shot(page, "oidc-signed-in")
    assert axe_violations(page) == []
    page.goto("/account")
    assert "Kim Kurator" in page.locator("main").inner_text()


def test_an_unlinked_subject_sees_a_translated_refusal(page, live_server, provider):
    sign_in_at_provider(page, "hsa-nobody")
    page.wait_for_url(lambda url: url.startswith(live_server.url))
    error = page.locator("#login-error")
    assert "inte kopplad till något konto i Nära" in error.inner_text()
    shot(page, "oidc-unlinked")
    assert axe_violations(page) == []


def test_sign_out_reaches_the_providers_end_session(page, live_server, provider):
    link(live_server.app, "kim", "hsa-anna", provider.issuer)
    sign_in_at_provider(page, "hsa-anna")
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/login" not in url)
    page.goto("/account")
    page.locator("#logout-form button").click()
    page.wait_for_url(lambda url: url.startswith(f"{provider.issuer}/session/end"))
    shot(page, "oidc-provider-sign-out")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(lambda url: url.startswith(f"{live_server.url}/login"))
    assert page.locator("#login-reason").inner_text() == "Du är utloggad."


def test_with_local_login_off_the_login_page_has_the_button_and_break_glass(page, live_server,
                                                                            provider):
    live_server.app.config["LOCAL_LOGIN"] = False
    page.goto("/login")
    assert page.locator("input[name=password]").count() == 0
    shot(page, "oidc-login-break-glass-link")
    page.get_by_role("link", name="Nödinloggning för administratörer").click()
    page.locator("input[name=password]").wait_for()  # the form arrives after the tap
    assert page.locator("input[name=password]").count() == 1
    shot(page, "oidc-login-break-glass-form")
    assert axe_violations(page) == []


def test_a_lower_level_is_told_plainly_after_sign_in(page, live_server, provider):
    live_server.app.config["OIDC_REQUIRED_ACR"] = LOA3
    link(live_server.app, "kim", "hsa-anna", provider.issuer)
    sign_in_at_provider(page, "hsa-anna", level=LOA2)
    page.wait_for_url(lambda url: "/login/level" in url)
    assert "journalen" in page.locator("#level-text").inner_text()
    shot(page, "oidc-lower-level")
    assert axe_violations(page) == []


def test_the_admin_links_a_person_on_the_person_page(page, live_server, provider):
    login(page, "admin")
    page.goto("/admin/")
    page.get_by_role("link", name="Kim Kurator").first.click()
    page.get_by_label("Identitet hos inloggningstjänsten (sub)").fill("hsa-anna")
    page.get_by_role("button", name="Koppla", exact=True).click()
    assert page.locator("#idp-linked").inner_text() == "Kopplad: hsa-anna"
    page.locator("#idp-link").scroll_into_view_if_needed()
    shot(page, "oidc-admin-link")
    assert axe_violations(page) == []
