"""The installable shell: manifest, service worker, offline page."""

from __future__ import annotations

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
