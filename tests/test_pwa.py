"""The installable shell: manifest, service worker, offline page."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from flask import url_for

from models.tally import UNDO_SECONDS
from tests.conftest import html_text


def test_manifest_has_name_icons_standalone_and_swedish(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json()
    assert data["name"] == "Nära" and data["display"] == "standalone" and data["lang"] == "sv"
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root_uncached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]


def test_offline_page_holds_no_session_token_or_personal_data(client, people):
    people.user("fia", name="Fia Fältare")
    people.login("fia")
    response = client.get("/offline")
    body = response.get_data(as_text=True)
    assert "Du är offline" in html_text(response)
    assert "X-CSRFToken" not in body and "Fia" not in body


def test_service_worker_takes_its_file_list_from_the_generated_manifest(client):
    worker = client.get("/sw.js").get_data(as_text=True)
    assert 'importScripts("/static/js/sw-manifest.js")' in worker
    assert "nara-shell-v" not in worker  # no version kept by hand
    manifest = client.get("/static/js/sw-manifest.js")
    assert manifest.status_code == 200
    assert "self.NARA_SHELL = " in manifest.get_data(as_text=True)


def test_service_worker_csp_lets_it_import_its_manifest(client):
    csp = client.get("/sw.js").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "worker-src 'self'" in csp


def test_every_precached_address_answers_without_a_session(client):
    from tests.test_sw_manifest import build_sw

    for url in build_sw.manifest()["files"]:
        assert client.get(url).status_code == 200, url


def test_the_workers_few_addresses_are_the_apps(app):
    worker = (Path(app.static_folder) / "js" / "sw.js").read_text()
    with app.test_request_context():
        for endpoint in ("auth.login", "auth.logout_device", "auth.signed_out", "pwa.offline",
                         "tally.shell"):
            assert f'"{url_for(endpoint)}"' in worker, endpoint


def test_pages_served_offline_carry_the_addresses_scripts_need(client):
    body = BeautifulSoup(client.get("/offline").get_data(as_text=True), "html.parser").body
    assert body["data-device-logout-url"] == "/logout/device"
    assert body["data-login-url"] == "/login"
    assert body["data-signed-out-url"] == "/signed-out"
    assert body["data-sw-url"] == "/sw.js"


def test_offline_page_has_both_sign_out_warnings_translated(client):
    badge = BeautifulSoup(client.get("/offline").get_data(as_text=True), "html.parser").select_one(
        "#outbox-badge")
    assert badge["data-logout-warning"].startswith("Registreringar som inte har skickats: {count}")
    assert badge["data-drafts-warning"].startswith(
        "Journalanteckningar som inte har sparats: {count}")


def test_tally_shell_carries_the_undo_window_and_the_pending_bubble(client):
    page = BeautifulSoup(client.get("/tally/shell").get_data(as_text=True), "html.parser")
    assert page.select_one("#tally-texts")["data-undo-seconds"] == str(UNDO_SECONDS)
    assert page.select_one("template#tally-pending") is not None
    assert page.select_one("template#tally-again") is not None


def test_pages_describe_the_app_as_its_manifest_does(client):
    # Lighthouse's SEO audit `meta-description`: link previews and search results show it.
    description = client.get("/manifest.webmanifest").get_json()["description"]
    for url in ("/login", "/offline"):
        meta = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser").find(
            "meta", attrs={"name": "description"})
        assert meta is not None and meta["content"] == description, url
