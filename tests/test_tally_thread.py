"""The tally thread over HTTP (issue 15 §1–2): the composer bar and its sheet, the plain
about-line, the empty state, today's count for the confirmation, the offline inbox shell."""

from __future__ import annotations

import uuid
from datetime import timedelta

from models.core.db import utcnow
from models.tally import record_tally
from tests.conftest import html_text, soup, text_of
from tests.tally_helpers import (
    CASES,
    activity,
    load_catalogue,
    member_of,
)
from tests.test_tally_views import OUTBOX, form_of


def save(client, a, values=None) -> str:
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(values or CASES[a.key][0]),
                           headers=OUTBOX)
    assert response.status_code == 201
    return response


def test_at_rest_the_thread_has_a_bar_and_the_composer_waits_in_a_closed_sheet(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    save(client, a)
    page = soup(client.get(f"/activities/{a.id}"))
    bar = page.select_one(".tally-bar")
    assert text_of(bar.select_one("#same-again .again-label")) == "Samma igen"
    assert text_of(bar.select_one("[data-open-sheet]")) == "Ny"
    sheet = page.select_one("dialog#composer-sheet")
    assert not sheet.has_attr("open") and sheet.select_one("form#composer")
    assert sheet["aria-labelledby"] == "sheet-title"
    assert text_of(page.select_one("#sheet-title")) == "Ny registrering"


def test_new_without_javascript_renders_the_sheet_open(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    sheet = soup(client.get(f"/activities/{a.id}?new=1")).select_one("dialog#composer-sheet")
    assert sheet.has_attr("open")


def test_a_refused_save_without_javascript_shows_the_sheet_open_with_the_message(client, db,
                                                                                 fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies",
                           data={"client_uuid": str(uuid.uuid4()), "gender_young": "k"})
    assert response.status_code == 422
    sheet = soup(response).select_one("dialog#composer-sheet")
    assert sheet.has_attr("open") and sheet.select_one('[aria-invalid="true"]')


def test_the_about_line_is_plain_words_and_the_empty_thread_says_what_to_do(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    page = soup(client.get(f"/activities/{a.id}"))
    assert text_of(page.select_one(".tally-about summary")) == (
        "Anonym statistik — inga personuppgifter")
    assert "Tryck på ”Ny”" in text_of(page.select_one(".tally-empty"))
    save(client, a)
    assert soup(client.get(f"/activities/{a.id}")).select_one(".tally-empty") is None


def test_a_save_tells_how_many_were_saved_today(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, fia, a, CASES[a.key][0], uuid.uuid4(),
                          now=utcnow() - timedelta(days=2))  # saved two days ago: not today
    db.commit()
    save(client, a)
    second = save(client, a)
    assert soup(second).select_one("#tally-today")["data-count"] == "2"
    status = soup(client.get(f"/activities/{a.id}")).select_one("#saved-status")
    assert status["role"] == "status" and status["data-today"] == "2"
    assert status["data-saved"] == "Sparad · {count} i dag"


def test_an_undo_answers_with_the_bubble_and_the_new_count(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    save(client, a)
    tally_id = save(client, a).headers["X-Nara-Tally"]
    response = client.post(f"/tallies/{tally_id}/undo", headers={"HX-Request": "true"})
    page = soup(response)
    assert "status-voided" in page.select_one(f"li#tally-{tally_id}")["class"]
    assert page.select_one("#tally-today")["data-count"] == "1"


def test_the_undo_button_is_sent_by_the_page_script_not_swapped_by_htmx(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    form = soup(save(client, a)).select_one("form.undo-form")
    assert form["hx-boost"] == "false" and not form.has_attr("hx-post")
    assert form["data-undo-seconds"] and form.select_one(".undo-left")


def test_adult_age_bands_are_a_wrapping_grid(client, db, people):
    load_catalogue(db)
    people.login(member_of(people, db, "familjecentral-enskilda-samtal", "kim"))
    a = activity(db, "familjecentral-enskilda-samtal")
    row = soup(client.get(f"/activities/{a.id}")).select_one('fieldset[data-field="age_adult"]')
    assert "chips-grid" in row.select_one(".chips")["class"]


def test_the_catalogue_says_which_activities_keep_tallies(client, db, fia):
    data = client.get("/tally/catalogue.json").get_json()
    assert {a["name"]: a["loggable"] for a in data["activities"]} == {
        "Allvarssamtal med enskild": True, "Uppsökande verksamhet": False,
        "Gruppverksamhet": True}


def test_the_offline_inbox_shell_holds_no_personal_data(app, db, fia):
    response = app.test_client().get("/offline/inbox")
    assert response.status_code == 200
    assert "Fia" not in response.get_data(as_text=True)
    page = soup(response)
    assert page.select_one('meta[name="nara-csrf"]')["content"] == ""
    assert page.select_one("ul#offline-activities") is not None
    assert "Brukare och journaler kräver anslutning" in html_text(response)


def test_the_service_worker_answers_the_inbox_offline_with_its_shell(app):
    from pathlib import Path

    from flask import url_for

    from tests.test_sw_manifest import build_sw

    worker = (Path(app.static_folder) / "js" / "sw.js").read_text()
    with app.test_request_context():
        assert f'"{url_for("pwa.inbox_shell")}"' in worker
        assert f'inbox: "{url_for("home.inbox")}"' in worker
        assert url_for("pwa.inbox_shell") in build_sw.manifest()["files"]


def test_every_page_says_a_journal_link_needs_a_connection_offline(client, db, fia):
    banner = soup(client.get("/")).select_one("#offline-banner")
    assert "kräver anslutning" in banner["data-needs-connection"]
