"""Working notes over HTTP: the counsellor's pages, refusals with the text kept, 404 for
everyone else, the end-contact confirmation, the CLI and the managers' idle limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import String
from sqlmodel import select

from models import notes
from models.access import AccessLog
from models.catalogue import responsible_units_of
from models.core.db import utcnow
from tests.conftest import html_text, soup, text_of, texts
from tests.notes_helpers import build, new_uuid, valid_values

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(app, db, people):
    with app.test_request_context():
        return build(db, people)


@pytest.fixture
def contact(world):
    found = notes.open_contact(world.db, world.kim, world.rad, "Blå 7")
    world.db.commit()
    return found


def _talk_form(world, note="", **extra):
    return {**valid_values(world.db, world.rad.key), "note": note, "client_uuid": new_uuid(),
            **extra}


def _exists(db, contact) -> bool:
    return db.exec(select(notes.WorkingContact.id).where(
        notes.WorkingContact.id == contact.id)).first() is not None


def _log(client, world, contact, note="", headers=None):
    return client.post(f"/notes/{contact.id}/talks", data=_talk_form(world, note),
                       headers=headers or {})


def test_counsellor_starts_a_contact_and_lands_in_its_thread(client, world):
    world.people.login(world.kim)
    page = client.get("/notes/")
    assert page.status_code == 200
    choices = [i["value"] for i in soup(page).select('#new-contact input[name="activity"]')]
    value = next(v for v in choices if v.startswith(f"{world.rad.id}:"))
    response = client.post("/notes/", data={"activity": value, "pseudonym": "Blå 7"})
    assert response.status_code == 303
    contact = world.db.exec(select(notes.WorkingContact)).one()
    assert response.headers["Location"] == f"/notes/{contact.id}"
    thread = soup(client.get(response.headers["Location"]))
    assert text_of(thread.select_one("h1.appbar-title")) == "Blå 7"
    assert "0 av 5" in text_of(thread.select_one("#talk-count"))


def test_pseudonym_with_a_personnummer_is_refused_and_kept_in_the_field(client, world):
    world.people.login(world.kim)
    value = f"{world.rad.id}:{responsible_units_of(world.db, world.kim, world.rad)[0]}"
    response = client.post("/notes/", data={"activity": value, "pseudonym": "850709-9805"})
    assert response.status_code == 422
    page = soup(response)
    field = page.select_one("input#pseudonym")
    assert field["value"] == "850709-9805" and field["aria-invalid"] == "true"
    assert "personnummer" in text_of(page.select_one("#err-pseudonym"))
    assert world.db.exec(select(notes.WorkingContact)).first() is None


def test_thread_shows_previous_notes_and_the_count(client, world, contact):
    world.people.login(world.kim)
    for note in ("sov dåligt", "bättre med skolan"):
        assert _log(client, world, contact, note).status_code == 303
    page = client.get(f"/notes/{contact.id}")
    assert texts(page, "#bubbles .note-text") == ["sov dåligt", "bättre med skolan"]
    assert "2 av 5" in texts(page, "#talk-count")[0]
    assert [h.split(" · ")[0] for h in texts(page, ".talk-head")] == ["Samtal 1", "Samtal 2"]
    assert texts(page, "a.end-contact") == ["Avsluta kontakten och radera anteckningarna"]


def test_htmx_talk_returns_the_fresh_composer_and_the_new_bubble(client, world, contact):
    world.people.login(world.kim)
    response = _log(client, world, contact, "minnesstöd", headers=HTMX)
    assert response.status_code == 200
    page = soup(response)
    composer = page.find(True)
    assert (composer.name, composer["id"]) == ("form", "talk-composer")
    assert composer.select_one('textarea[name="note"]').text == ""  # fresh
    bubble = page.select_one('hx-partial[hx-target="#bubbles"][hx-swap="beforeend"]')
    assert texts(response, '[hx-target="#bubbles"] .note-text') == ["minnesstöd"]
    assert bubble.select_one("li.bubble.mine")
    assert "1 av 5" in text_of(page.select_one('hx-partial[hx-target="#talk-count"]'))
    assert page.select_one('hx-partial[hx-target="#no-talks"][hx-swap="delete"]')


def test_note_with_a_personnummer_is_refused_with_the_text_kept(client, world, contact):
    world.people.login(world.kim)
    note = "Pappan 850709-9805 ringde"
    response = _log(client, world, contact, note, headers=HTMX)
    assert response.status_code == 422
    composer = soup(response).find(True)
    assert (composer.name, composer["id"]) == ("form", "talk-composer")
    assert composer.select_one("textarea#note").text == note
    assert "personnummer" in text_of(composer.select_one("#err-note"))
    assert notes.talk_count(world.db, contact) == 0


def test_refusal_keeps_the_chosen_tally_values(client, world, contact):
    world.people.login(world.kim)
    form = _talk_form(world, "ring 070-123 45 67")
    response = client.post(f"/notes/{contact.id}/talks", data=form, headers=HTMX)
    assert response.status_code == 422
    page = soup(response)
    checked = [i["value"] for i in page.select('input[name="gender"][checked]')]
    assert checked == [form["gender"]]
    # a retry is still the same submission
    assert page.select_one('input[name="client_uuid"]')["value"] == form["client_uuid"]


def test_the_sixth_talk_is_refused_in_the_thread(client, world, contact):
    world.people.login(world.kim)
    for _ in range(5):
        _log(client, world, contact)
    page = client.get(f"/notes/{contact.id}")
    assert "5 av 5" in texts(page, "#talk-count")[0]
    assert "behovsbedömt ärende" in texts(page, "#talk-composer #err-talk")[0]
    response = _log(client, world, contact, headers=HTMX)
    assert response.status_code == 422
    assert "behovsbedömt ärende" in texts(response, "#talk-composer #err-talk")[0]
    assert notes.talk_count(world.db, contact) == 5


def test_opening_the_contact_is_logged_without_any_text(client, world, contact):
    world.people.login(world.kim)
    client.get(f"/notes/{contact.id}")
    row = world.db.exec(select(AccessLog).where(AccessLog.action == "notes.read")).one()
    assert (row.subject_type, row.subject_id, row.user_id, row.outcome) == (
        "contact", contact.id, world.kim.id, "granted")
    # the log has no column that could carry a pseudonym or a note
    text_columns = {c.name for c in AccessLog.__table__.columns
                    if isinstance(getattr(c.type, "impl", c.type), String)}
    assert text_columns == {"subject_type", "action", "outcome", "request_id"}
    assert all("Blå" not in str(getattr(row, c)) for c in text_columns)


@pytest.mark.parametrize("who", ["kia", "maja", "admin"])
def test_no_one_but_the_owner_reaches_the_contact_by_any_url(client, world, contact, who):
    world.people.login(getattr(world, who))
    urls = [("GET", f"/notes/{contact.id}"), ("GET", f"/notes/{contact.id}/end"),
            ("POST", f"/notes/{contact.id}/talks"), ("POST", f"/notes/{contact.id}/end")]
    for method, url in urls:
        response = client.open(url, method=method, data=_talk_form(world, "x"))
        assert response.status_code == 404, (who, url)
        assert "Blå 7" not in response.get_data(as_text=True)
    assert _exists(world.db, contact)
    assert notes.talk_count(world.db, contact) == 0


def test_a_missing_contact_looks_exactly_like_someone_elses(client, world, contact):
    world.people.login(world.kia)
    theirs = client.get(f"/notes/{contact.id}")
    missing = client.get(f"/notes/{contact.id + 999}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data() == missing.get_data()


@pytest.mark.parametrize("who", ["maja", "admin"])
def test_managers_and_admins_have_no_working_notes_list(client, world, contact, who):
    world.people.login(getattr(world, who))
    assert client.get("/notes/").status_code == 404
    assert "Blå 7" not in client.get("/").get_data(as_text=True)


def test_ending_asks_first_then_shreds(client, world, contact):
    world.people.login(world.kim)
    _log(client, world, contact, "något att minnas")
    confirm = client.get(f"/notes/{contact.id}/end")
    assert confirm.status_code == 200
    text = html_text(confirm)
    assert "1 arbetsanteckning förstörs för gott" in text
    assert "1 samtal finns kvar i statistiken" in text
    response = client.post(f"/notes/{contact.id}/end")
    assert response.status_code == 303 and response.headers["Location"] == "/notes/"
    assert not _exists(world.db, contact)
    page = html_text(client.get("/notes/"))
    assert "1 anteckning raderades" in page
    assert client.get(f"/notes/{contact.id}").status_code == 404


def test_ending_without_the_csrf_token_is_refused(client, world, contact):
    world.people.login(world.kim)
    assert client.post(f"/notes/{contact.id}/end", csrf=False).status_code == 400
    assert _exists(world.db, contact)


def test_idle_contact_is_listed_to_its_owner_as_shred_soon(client, world, contact):
    contact.created_at = utcnow() - timedelta(days=95)
    world.db.add(contact)
    world.db.commit()
    world.people.login(world.kim)
    page = client.get("/notes/")
    assert "Blå 7" in text_of(soup(page).select_one("ul#shred-soon"))
    assert "Raderas snart" in texts(page, "h2.section-title")
    assert "raderas den" in texts(client.get(f"/notes/{contact.id}"), ".shred-warning")[0]


def test_the_daily_command_shreds_idle_contacts_and_prints_counts_only(app, world, contact):
    notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                   "hemlig rad", new_uuid(), now=utcnow() - timedelta(days=200))
    world.db.commit()
    result = app.test_cli_runner().invoke(args=["notes", "shred-idle"])
    assert result.exit_code == 0, result.output
    assert "Shredded 1 idle contact(s) with 1 note(s)." in result.output
    assert "Blå 7" not in result.output and "hemlig" not in result.output
    assert not _exists(world.db, contact)


def test_idle_limit_can_be_set_from_the_command_line(app, world, contact):
    result = app.test_cli_runner().invoke(
        args=["notes", "idle-limit", "Mötesplatsen", "--days", "30", "--grace", "5"])
    assert result.exit_code == 0, result.output
    world.db.expire_all()
    assert notes.unit_setting(world.db, contact.unit_id).idle_days == 30


def test_manager_sets_the_units_idle_limit(client, world, contact):
    world.people.login(world.maja)
    page = client.get("/notes/settings")
    assert page.status_code == 200 and "Blå 7" not in page.get_data(as_text=True)
    response = client.post(f"/notes/settings/{contact.unit_id}",
                           data={"idle_days": "60", "grace_days": "10"})
    assert response.status_code == 303
    world.db.expire_all()
    setting = notes.unit_setting(world.db, contact.unit_id)
    assert (setting.idle_days, setting.grace_days) == (60, 10)


def test_an_invalid_idle_limit_comes_back_with_the_value_kept(client, world, contact):
    world.people.login(world.maja)
    response = client.post(f"/notes/settings/{contact.unit_id}",
                           data={"idle_days": "0", "grace_days": "10"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f"input#idle-{contact.unit_id}")["value"] == "0"
    assert text_of(page.select_one("#err-idle_days")) == "Ange ett antal dagar från 1 till 730."


def test_shred_log_shows_managers_counts_but_never_content(client, world, contact):
    world.people.login(world.kim)
    _log(client, world, contact, "innehåll som försvinner")
    client.post(f"/notes/{contact.id}/end")
    world.people.logout()
    world.people.login(world.maja)
    page = client.get("/notes/settings")
    text = html_text(page)
    assert "Avslutad av ägaren" in text
    assert "Blå 7" not in text and "försvinner" not in text


def test_staff_cannot_change_idle_limits(client, world, contact):
    world.people.login(world.kim)
    assert client.get("/notes/settings").status_code == 403
    assert client.post(f"/notes/settings/{contact.unit_id}",
                       data={"idle_days": "1", "grace_days": "0"}).status_code == 404


def test_pages_with_notes_are_never_cached(client, world, contact):
    world.people.login(world.kim)
    response = client.get(f"/notes/{contact.id}")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_note_field_is_kept_off_spellcheck_and_autocomplete(client, world, contact):
    world.people.login(world.kim)
    note = soup(client.get(f"/notes/{contact.id}")).select_one("textarea#note")
    assert (note["spellcheck"], note["autocomplete"]) == ("false", "off")


def test_the_catalogue_export_holds_no_note_or_pseudonym(app, world, contact, tmp_path):
    notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                   "Exportmarkör", new_uuid())
    world.db.commit()
    path = tmp_path / "catalogue.yaml"
    result = app.test_cli_runner().invoke(args=["catalogue", "export", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "rad-och-stod" in text  # the export ran and holds the catalogue
    assert "Exportmarkör" not in text and "Blå 7" not in text


def test_the_managers_statistics_export_counts_the_talks_but_holds_no_note(client, world,
                                                                           contact):
    import io

    from openpyxl import load_workbook

    for _ in range(5):  # five: a multiple of 5, so the shared (rounded) export shows it
        notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                       "Statistikmarkör", new_uuid())
    world.db.commit()
    world.people.login(world.maja)
    response = client.get(f"/manage/stats/export?activity={world.rad.id}&format=xlsx"
                          "&table=all")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    book = load_workbook(io.BytesIO(response.get_data()))
    values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    text = " ".join(str(v) for v in values if v is not None)
    assert "Råd och stöd" in text and 5 in values  # the five talks are there
    assert "Statistikmarkör" not in text and "Blå 7" not in text


def test_ending_the_contact_is_offered_below_the_notes_not_at_the_top(client, world, contact):
    world.people.login(world.kim)
    _log(client, world, contact, "något att minnas")
    page = soup(client.get(f"/notes/{contact.id}"))
    end = page.select_one(f'a[href="/notes/{contact.id}/end"]')
    assert end is not None
    assert end.find_parent(id="contact-bar") is None
    assert end.find_previous(id="bubbles") is not None  # after the list of talks
