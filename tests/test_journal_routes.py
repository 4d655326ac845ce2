"""The journal over HTTP: the thread, saving a note (htmx and plain), bad input at its
field, the access log for every read and write, and failing safely when it cannot log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from models.access import AccessLog
from models.core.clock import local_today
from models.journal.entries import add_entry
from models.journal.plans import add_months, close_assignment, current_goals
from models.journal.tables import JournalEntry
from tests.conftest import html_text, soup, text_of, texts
from tests.journal_helpers import make_home

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _note(home, **extra):
    data = {"assignment": home.assignment.id, "category": "action", "when": "now",
            "text": "Besöket genomfört enligt plan.", "client_uuid": str(uuid.uuid4())}
    data.update(extra)
    return data


def _log(db, client_id):
    db.expire_all()
    return [(r.user_id, r.action, r.outcome) for r in db.exec(
        select(AccessLog).where(AccessLog.subject_id == client_id).order_by(AccessLog.id))]


def test_the_thread_shows_the_plan_above_the_notes(client, people, db):
    home = make_home(people)
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Duschade med stöd.")
    db.commit()
    people.login(home.hanna)
    response = client.get(f"/journal/{home.client.id}")
    assert response.status_code == 200
    page = text_of(soup(response))
    assert page.index("Duscha själv") < page.index("Duschade med stöd.")
    assert "Duscha själv" in text_of(soup(response).select_one(".thread-top .goals"))


def test_my_own_notes_are_on_my_side(client, people, db):
    home = make_home(people)
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Duschade med stöd.")
    db.commit()
    people.login(home.hanna)
    response = client.get(f"/journal/{home.client.id}")
    assert texts(response, "li.bubble.entry.mine .entry-text")[-1] == "Duschade med stöd."


def test_reading_the_thread_is_logged(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    assert client.get(f"/journal/{home.client.id}").status_code == 200
    assert (home.hanna.id, "thread.read", "granted") in _log(db, home.client.id)


def test_colleagues_notes_are_on_the_left_with_initials_and_both_times(client, people, db):
    home = make_home(people)
    people.login(home.maja)
    add_entry(db, home.hanna, home.client, home.assignment.id, "event", "Orolig.",
              topic="behaviour", when="hour")
    db.commit()
    bubble = soup(client.get(f"/journal/{home.client.id}")).select("li.bubble.entry.theirs")[-1]
    assert text_of(bubble.select_one(".entry-text")) == "Orolig."
    assert text_of(bubble.select_one(".initials")) == "HT"
    assert len(bubble.select(".entry-meta time[datetime]")) == 2  # happened and written


def test_a_note_written_the_minute_it_happened_shows_one_time(client, people, db):
    home = make_home(people)
    people.login(home.maja)
    add_entry(db, home.hanna, home.client, home.assignment.id, "event", "Orolig.",
              topic="behaviour", when="now")
    db.commit()
    bubble = soup(client.get(f"/journal/{home.client.id}")).select("li.bubble.entry.theirs")[-1]
    times = bubble.select(".entry-meta time[datetime]")
    assert len(times) == 1
    assert text_of(times[0]).startswith("i dag ")


def test_saving_a_note_with_htmx_returns_the_bubble(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    data = _note(home, text="Astrid duschade själv.")
    response = client.post(f"/journal/{home.client.id}/entries", data=data, headers=HX)
    assert response.status_code == 200
    first = soup(response).find(True)
    assert first.name == "li" and {"day-divider", "mine"} & set(first["class"])
    assert texts(response, "li.bubble.entry.mine .entry-text") == ["Astrid duschade själv."]


def test_saving_a_note_with_htmx_resets_the_composer(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    data = _note(home, text="Astrid duschade själv.")
    page = soup(client.post(f"/journal/{home.client.id}/entries", data=data, headers=HX))
    uuid_input = page.select_one("input#client-uuid")
    assert uuid_input["hx-swap-oob"] == "true"
    assert uuid_input["value"] not in ("", data["client_uuid"])  # a fresh identity
    text = page.select_one("textarea#note-text")
    assert text["hx-swap-oob"] == "true" and text.text == ""


def test_saving_a_note_with_htmx_is_logged(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    client.post(f"/journal/{home.client.id}/entries", data=_note(home), headers=HX)
    assert (home.hanna.id, "entry.write", "granted") in _log(db, home.client.id)


def test_after_an_error_the_next_save_renders_the_whole_composer_again(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    bad = client.post(f"/journal/{home.client.id}/entries", data=_note(home, text=""),
                      headers=HX)
    assert bad.status_code == 422
    assert bad.headers["HX-Retarget"] == "#composer" and bad.headers["HX-Reswap"] == "outerHTML"
    assert soup(bad).select_one('form#composer input[name="had_errors"]')["value"] == "1"
    good = client.post(f"/journal/{home.client.id}/entries",
                       data=_note(home, had_errors="1"), headers=HX)
    assert good.status_code == 200
    composer = soup(good).select_one("form#composer")
    assert composer["hx-swap-oob"] == "true"
    assert composer.select_one("#err-text") is None
    assert not composer.select_one("textarea#note-text").has_attr("aria-invalid")


def test_saving_without_javascript_redirects_to_the_new_note(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    response = client.post(f"/journal/{home.client.id}/entries", data=_note(home))
    assert response.status_code == 302
    entry = db.exec(select(JournalEntry).where(JournalEntry.category == "action")).one()
    assert response.headers["Location"].endswith(f"/journal/{home.client.id}#entry-{entry.id}")


def test_an_offline_note_sent_twice_is_saved_once(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    data = _note(home, text="Skrivet offline.")
    headers = HX | {"X-Nara-Draft": "1"}
    first = client.post(f"/journal/{home.client.id}/entries", data=data, headers=headers)
    again = client.post(f"/journal/{home.client.id}/entries", data=data, headers=headers)
    assert first.status_code == again.status_code == 200
    first_element = soup(first).find(True)
    assert first_element.name == "li" and {"bubble", "entry", "mine"} <= set(first_element["class"])
    saved = db.exec(select(JournalEntry).where(JournalEntry.text == "Skrivet offline.")).all()
    assert len(saved) == 1


@pytest.mark.parametrize("change, field, message", [
    ({"text": ""}, "text", "Skriv vad som hände."),
    ({"text": "x" * 2001}, "text", "högst 2000 tecken"),
    ({"when": "other", "occurred_at": "2099-01-01T10:00"}, "occurred_at", "framtiden"),
    ({"when": "other", "occurred_at": "9999-12-31T23:59"}, "occurred_at", "2100-12-31"),
    ({"when": "other", "occurred_at": "i morse"}, "occurred_at", "datum och tid"),
    ({"category": ""}, "category", "Välj typ av anteckning"),
])
def test_a_bad_note_gets_its_message_at_the_field_and_keeps_the_text(
        client, people, db, change, field, message):
    home = make_home(people)
    people.login(home.hanna)
    data = _note(home, text="Det här ska finnas kvar.") | change
    response = client.post(f"/journal/{home.client.id}/entries", data=data, headers=HX)
    assert response.status_code == 422
    page = soup(response)
    assert message in text_of(page.select_one(f"#err-{field}"))
    if "text" not in change:
        assert page.select_one("textarea#note-text").text == "Det här ska finnas kvar."
    assert db.exec(select(JournalEntry).where(JournalEntry.category == "action")).all() == []


def _closed(people, db):
    home = make_home(people)
    close_assignment(db, home.hanna, home.assignment, local_today().isoformat(), "moved")
    db.commit()
    people.login(home.hanna)
    return home


def test_a_closed_files_thread_says_it_is_read_only(client, people, db):
    home = _closed(people, db)
    page = soup(client.get(f"/journal/{home.client.id}"))
    assert page.select_one("form#composer") is None
    note = text_of(page.select_one("#composer.composer-closed"))
    assert "läsbar" in note or "skrivskyddad" in note


def test_a_note_on_a_closed_assignment_is_refused_at_the_assignment(client, people, db):
    home = _closed(people, db)
    response = client.post(f"/journal/{home.client.id}/entries", data=_note(home), headers=HX)
    assert response.status_code == 422
    assert soup(response).select_one("#err-assignment") is not None


def test_a_service_intervention_without_consent_offers_to_record_it(client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    page = soup(client.get(f"/journal/{home.client.id}"))
    assert page.select_one(f'#composer a[href="/journal/{home.client.id}/consent"]')


def test_a_note_without_consent_is_refused_keeps_its_text_and_links_to_consent(
        client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    response = client.post(f"/journal/{home.client.id}/entries",
                           data=_note(home, text="Behåll mig."), headers=HX)
    assert response.status_code == 422
    composer = soup(response).select_one("form#composer")
    assert composer.select_one("#err-consent") is not None
    assert composer.select_one("textarea#note-text").text == "Behåll mig."
    assert composer.select_one(f'a[href="/journal/{home.client.id}/consent"]')


def test_recording_consent_then_writing_works(client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    today = local_today()
    response = client.post(f"/journal/{home.client.id}/consent", data={
        "assignment": home.assignment.id, "given_on": today.isoformat(), "given_how": "oral",
        "valid_until": (today + timedelta(days=90)).isoformat(), "purpose": "Samordning",
        "covers_documentation": "1"})
    assert response.status_code == 302
    saved = client.post(f"/journal/{home.client.id}/entries", data=_note(home), headers=HX)
    assert saved.status_code == 200
    log = _log(db, home.client.id)
    assert (home.hanna.id, "consent.write", "granted") in log


def test_a_consent_without_end_date_is_refused_at_its_field(client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    response = client.post(f"/journal/{home.client.id}/consent", data={
        "assignment": home.assignment.id, "given_on": local_today().isoformat(),
        "given_how": "oral", "valid_until": "", "purpose": "Samordning kvar"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#err-valid_until") is not None
    assert page.select_one('textarea[name="purpose"]').text == "Samordning kvar"


def test_a_follow_up_date_beyond_six_months_is_refused_at_its_field(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    goals = current_goals(db, home.assignment)
    late = add_months(local_today(), 6) + timedelta(days=1)
    data = {f"outcome-{g.key}": "Bra framsteg" for g in goals} | {"followup_on": late.isoformat()}
    url = f"/journal/{home.client.id}/plan/{home.assignment.id}/follow-up"
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = soup(response)
    assert "sex månader" in text_of(page.select_one("#err-followup_on"))
    outcomes = page.select('textarea[name^="outcome-"]')
    assert outcomes and {t.text for t in outcomes} == {"Bra framsteg"}
    ok = client.post(url, data=data | {"followup_on": add_months(local_today(), 6).isoformat()})
    assert ok.status_code == 302


def test_a_plan_can_be_drawn_up_from_the_form(client, people, db):
    home = make_home(people, plan=False)
    people.login(home.hanna)
    url = f"/journal/{home.client.id}/plan/{home.assignment.id}"
    form = client.get(url + "/edit")
    assert form.status_code == 200
    assert "Känsla av trygghet" in texts(form, 'select[name="goal-0-life_area"] option')  # IBIC
    response = client.post(url, data={
        "goal-0-key": "", "goal-0-life_area": "mobility", "goal-0-goal": "Gå ut dagligen",
        "goal-1-key": "", "goal-1-life_area": "", "goal-1-goal": "",
        "participants": "Astrid, Hanna", "participation": "Vill gå före lunch",
        "followup_on": (local_today() + timedelta(days=90)).isoformat()})
    assert response.status_code == 302
    assert texts(client.get(url), ".goal h3") == ["Gå ut dagligen"]


def test_a_bad_personal_number_on_a_new_client_is_refused_at_its_field(client, people, db):
    home = make_home(people)
    people.login(home.maja)
    response = client.post("/clients/new", data={
        "unit_id": home.unit.id, "name": "Bertil Test", "personal_number": "19380515-2381",
        "kind": "sol", "title": "Hemtjänst", "started_on": local_today().isoformat()})
    assert response.status_code == 422
    page = soup(response)
    assert "kontrollsiffran" in text_of(page.select_one("#err-personal_number")).lower()
    assert page.select_one('input[name="personal_number"]')["value"] == "19380515-2381"
    assert page.select_one('input[name="name"]')["value"] == "Bertil Test"


def test_a_manager_opens_a_file_and_assigns_staff(client, people, db):
    home = make_home(people)
    people.login(home.maja)
    response = client.post("/clients/new", data={
        "unit_id": home.unit.id, "name": "Bertil Test", "personal_number": "19121212-1212",
        "kind": "lss", "title": "Kontaktperson", "decided_on": local_today().isoformat(),
        "started_on": local_today().isoformat()})
    assert response.status_code == 302
    client_id = int(response.headers["Location"].split("/")[2])
    added = client.post(f"/journal/{client_id}/staff", data={"user_id": home.hugo.id})
    assert added.status_code == 302
    people.logout()
    people.login(home.hugo)
    assert client.get(f"/journal/{client_id}").status_code == 200


def test_a_correction_from_the_entry_page(client, people, db):
    home = make_home(people)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Kl. 8.")
    db.commit()
    people.login(home.hanna)
    url = f"/journal/{home.client.id}/entries/{entry.id}/correct"
    page = client.get(f"/journal/{home.client.id}/entries/{entry.id}")
    assert page.status_code == 200
    assert "Rätta" in text_of(soup(page).select_one(f'form[action="{url}"] h2'))
    empty = client.post(url, data={"text": ""})
    assert empty.status_code == 422
    assert soup(empty).select_one("#err-correction-text") is not None
    done = client.post(url, data={"text": "Rättelse: kl. 9."})
    assert done.status_code == 302
    thread = client.get(f"/journal/{home.client.id}")
    assert texts(thread, "li.bubble.entry.is-corrected .entry-text") == ["Kl. 8."]
    assert "Rättelse: kl. 9." in texts(thread, "li.bubble.entry .entry-text")


def test_a_colleague_who_is_not_assigned_gets_not_found_and_the_attempt_is_logged(
        client, people, db):
    home = make_home(people)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Hemligt.")
    db.commit()
    people.login(home.hugo)
    for url in (f"/journal/{home.client.id}", f"/journal/{home.client.id}/entries/{entry.id}",
                f"/journal/{home.client.id}/plan/{home.assignment.id}",
                f"/journal/{home.client.id}/consent", f"/journal/{home.client.id}/export"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Hemligt." not in response.get_data(as_text=True)
        assert "Astrid" not in response.get_data(as_text=True)
    posted = client.post(f"/journal/{home.client.id}/entries", data=_note(home))
    assert posted.status_code == 404
    denied = [row for row in _log(db, home.client.id) if row[0] == home.hugo.id]
    assert denied and all(outcome == "denied" for _u, _a, outcome in denied)
    assert ("entry.write" in {a for _u, a, _o in denied})


def test_every_read_and_write_appends_a_log_row(client, people, db):
    home = make_home(people)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Ok.")
    db.commit()
    people.login(home.hanna)
    cid, aid = home.client.id, home.assignment.id
    for url in (f"/journal/{cid}", f"/journal/{cid}/entries/{entry.id}",
                f"/journal/{cid}/plan/{aid}", f"/journal/{cid}/consent", f"/journal/{cid}/about",
                f"/journal/{cid}/export"):
        assert client.get(url).status_code == 200
    client.post(f"/journal/{cid}/entries", data=_note(home))
    actions = [a for _u, a, _o in _log(db, cid)]
    for action in ("thread.read", "entry.read", "plan.read", "consent.read", "client.read",
                   "export", "entry.write"):
        assert action in actions
    rows = db.exec(select(AccessLog).where(AccessLog.subject_id == cid)).all()
    assert all(r.request_id and r.subject_type == "client" and r.at for r in rows)


def test_when_the_access_log_cannot_be_written_no_client_data_is_returned(client, people, db):
    home = make_home(people)
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Känslig text.")
    db.commit()
    people.login(home.hanna)

    def broken(_conn, _cursor, statement, *_args):
        # the database refuses the log row (disk full, lost connection…)
        if statement.lstrip().upper().startswith("INSERT INTO ACCESS_LOG"):
            raise RuntimeError("log storage is down")

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", broken)
    try:
        read = client.get(f"/journal/{home.client.id}")
        write = client.post(f"/journal/{home.client.id}/entries",
                            data=_note(home, text="Får inte sparas."), headers=HX)
    finally:
        event.remove(engine, "before_cursor_execute", broken)
    for response in (read, write):
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert "Känslig text." not in body and "Astrid" not in body and "Duscha" not in body
    assert db.exec(select(JournalEntry).where(JournalEntry.text == "Får inte sparas.")).all() == []


def _read_by_hanna_and_hugo(client, people, db):
    """Hanna reads the file (allowed), Hugo tries (denied); then Maja, the manager, signs in."""
    home = make_home(people)
    db.commit()
    for reader in (home.hanna, home.hugo):
        people.login(reader)
        client.get(f"/journal/{home.client.id}")
        people.logout()
    people.login(home.maja)
    return home


def _who(response) -> set[str]:
    return set(texts(response, "li.log-row .log-what strong"))


def test_the_manager_sees_who_read_a_file_and_who_was_denied(client, people, db):
    home = _read_by_hanna_and_hugo(client, people, db)
    page = client.get(f"/journal/log?client={home.client.id}")
    assert page.status_code == 200
    assert {"Hanna Testsson", "Hugo Testsson"} <= _who(page)
    denied = soup(page).select("li.log-row.outcome-denied")
    assert denied and all("Nekad" in text_of(row.select_one(".log-outcome")) for row in denied)
    assert {text_of(row.select_one(".log-what strong")) for row in denied} == {"Hugo Testsson"}


def test_the_access_log_filters_by_person(client, people, db):
    home = _read_by_hanna_and_hugo(client, people, db)
    only_hugo = client.get(f"/journal/log?user={home.hugo.id}", headers=HX)
    assert _who(only_hugo) == {"Hugo Testsson"}


def test_the_access_log_filters_by_date(client, people, db):
    _read_by_hanna_and_hugo(client, people, db)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    later = client.get(f"/journal/log?start={tomorrow}", headers=HX)
    assert _who(later) == set()
    assert "Inga loggrader" in text_of(soup(later).select_one("#log-rows"))


def test_an_access_log_period_ending_before_it_starts_is_refused_at_its_field(
        client, people, db):
    _read_by_hanna_and_hugo(client, people, db)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    bad = client.get(f"/journal/log?start={tomorrow}&end={local_today().isoformat()}")
    assert bad.status_code == 422
    assert soup(bad).select_one("#err-end") is not None


def test_another_units_manager_sees_none_of_these_log_rows(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    client.get(f"/journal/{home.client.id}")
    people.logout()
    people.login(home.mats)
    assert "Astrid" not in html_text(client.get("/journal/log"))
    assert client.get(f"/journal/{home.client.id}").status_code == 404


def _journal_pages(client, people, db):
    """Every journal page, as the manager sees it."""
    home = make_home(people)
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Ok.")
    db.commit()
    people.login(home.maja)
    cid, aid = home.client.id, home.assignment.id
    for url in (f"/journal/{cid}", f"/journal/{cid}/about", f"/journal/{cid}/consent",
                f"/journal/{cid}/plan/{aid}", f"/journal/{cid}/plan/{aid}/edit",
                f"/journal/{cid}/plan/{aid}/follow-up", f"/journal/{cid}/close/{aid}",
                f"/journal/{cid}/receipts", f"/journal/{cid}/export", "/shift", "/journal/log",
                "/clients/new", f"/units/{home.unit.id}/phrases"):
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response


def test_journal_pages_have_no_inline_script_style_or_handlers(client, people, db):
    for url, response in _journal_pages(client, people, db):
        page = soup(response)
        assert page.select("script:not([src])") == [], url
        assert page.select("[style]") == [], url
        handlers = [a for tag in page.find_all(True) for a in tag.attrs if a.startswith("on")]
        assert handlers == [], url


def test_journal_pages_are_never_cached(client, people, db):
    for url, response in _journal_pages(client, people, db):
        assert response.headers["Cache-Control"] == "no-store", url


def test_journal_forms_never_put_personal_data_in_urls(client, people, db):
    home = make_home(people)
    people.login(home.maja)
    for url in (f"/journal/{home.client.id}", f"/journal/{home.client.id}/consent",
                "/clients/new"):
        for form in soup(client.get(url)).select("form"):
            assert form.get("method") == "post", form


def test_the_consent_form_has_nothing_pre_ticked(client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    page = soup(client.get(f"/journal/{home.client.id}/consent"))
    form = page.select_one(f'form[action="/journal/{home.client.id}/consent"]')
    assert form.select("input[type=radio][checked], input[type=checkbox][checked]") == []


def test_a_consent_saved_without_the_documentation_answer_is_refused_at_its_field(
        client, people, db):
    home = make_home(people, kind="service", consent=False)
    people.login(home.hanna)
    today = local_today()
    response = client.post(f"/journal/{home.client.id}/consent", data={
        "assignment": home.assignment.id, "given_on": today.isoformat(), "given_how": "oral",
        "valid_until": (today + timedelta(days=90)).isoformat(), "purpose": "Samordning"})
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page.select_one("#err-covers_documentation")) == (
        "Ange om den enskilde samtycker till att dokumentation förs och sparas.")
    assert page.select_one('textarea[name="purpose"]').text == "Samordning"


def test_revoking_comes_after_the_consent_form_not_above_it(client, people, db):
    home = make_home(people, kind="service", consent=True)
    people.login(home.hanna)
    page = soup(client.get(f"/journal/{home.client.id}/consent"))
    forms = [f["action"] for f in page.select("main form")]
    assert forms[0] == f"/journal/{home.client.id}/consent"
    assert forms[-1].endswith("/revoke")


def test_a_save_after_an_error_gives_a_composer_with_when_now_and_only_pinned_choices(
        client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    client.post(f"/journal/{home.client.id}/entries", data=_note(home, text=""), headers=HX)
    saved = client.post(f"/journal/{home.client.id}/entries", headers=HX, data=_note(
        home, had_errors="1", when="hour", pin="1", category="event", topic="behaviour"))
    assert saved.status_code == 200
    composer = soup(saved).select_one("#composer")
    assert composer.select_one("input[name=when][checked]")["value"] == "now"
    assert composer.select_one("input[name=category][checked]")["value"] == "event"
    assert composer.select_one("input[name=pin][checked]") is not None
