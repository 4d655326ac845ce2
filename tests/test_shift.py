"""Shift start (seed 004): each worker reads what was written about their clients since
their last shift, client by client, marks it read; managers see who has read what."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from models.access import AccessLog
from models.core.db import utcnow
from models.journal.entries import add_entry
from models.journal.people import assign_staff
from models.journal.shift import (
    SHIFT_GAP,
    mark_read,
    read_status,
    shift_digest,
    shift_is_due,
    start_shift,
)
from tests.conftest import html_text, soup, text_of
from tests.journal_helpers import make_home

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _colleague_note(db, home, text="Hugo: Astrid var pigg."):
    assign_staff(db, home.client, home.hugo)
    entry, _ = add_entry(db, home.hugo, home.client, home.assignment.id, "action", text)
    db.commit()
    return entry


def test_the_digest_holds_colleagues_notes_not_my_own(people, db):
    home = make_home(people)
    mine, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Min egen.")
    theirs = _colleague_note(db, home)
    digest = shift_digest(db, home.hanna)
    assert [c.client.id for c in digest] == [home.client.id]
    ids = [v.entry.id for v in digest[0].entries]
    assert theirs.id in ids and mine.id not in ids
    assert digest[0].through == max(ids)


def test_marking_read_stores_a_receipt_and_empties_the_digest(people, db):
    home = make_home(people)
    entry = _colleague_note(db, home)
    start_shift(db, home.hanna)
    receipt = mark_read(db, home.hanna, home.client, entry.id)
    assert receipt.shift_id is not None and receipt.through_entry_id == entry.id
    assert shift_digest(db, home.hanna) == []
    later, _ = add_entry(db, home.hugo, home.client, home.assignment.id, "action", "Senare.")
    assert [v.entry.id for v in shift_digest(db, home.hanna)[0].entries] == [later.id]
    status = {s.user.username: s for s in read_status(db, home.client)}
    assert status["hanna"].read_at is not None and status["hanna"].unread == 1
    assert status["hugo"].read_at is None


def test_a_shift_is_due_after_a_break_for_staff_with_clients(people, db):
    home = make_home(people)
    assert shift_is_due(db, home.hanna)
    assert not shift_is_due(db, home.hugo)  # no clients
    start_shift(db, home.hanna, now=utcnow() - SHIFT_GAP - timedelta(minutes=1))
    assert shift_is_due(db, home.hanna)
    start_shift(db, home.hanna)
    assert not shift_is_due(db, home.hanna)


def test_the_first_sign_in_of_a_shift_opens_the_digest(client, people, db):
    home = make_home(people)
    _colleague_note(db, home)
    people.login(home.hanna)
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].endswith("/shift")
    page = client.get("/shift")
    assert "Hugo: Astrid var pigg." in html_text(page)
    assert client.get("/").status_code == 200  # once per shift
    people.logout()
    people.login(home.hanna)
    assert client.get("/").status_code == 200  # the shift is still running


def test_marking_read_with_htmx_swaps_the_clients_card(client, people, db):
    home = make_home(people)
    entry = _colleague_note(db, home)
    people.login(home.hanna)
    response = client.post(f"/shift/read/{home.client.id}", data={"through": entry.id},
                           headers=HX)
    assert response.status_code == 200
    row = soup(response).select_one(f"#shift-{home.client.id}")
    assert text_of(row.select_one('[role="status"]')) == "Markerad som läst."
    assert "Hugo: Astrid var pigg." not in html_text(client.get("/shift"))
    actions = {r.action for r in db.exec(select(AccessLog).where(
        AccessLog.subject_id == home.client.id, AccessLog.user_id == home.hanna.id))}
    assert {"journal.read"} <= actions


def test_a_receipt_for_another_clients_note_is_refused(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    response = client.post(f"/shift/read/{home.client.id}", data={"through": "999999"})
    assert response.status_code == 422


def test_the_start_shift_button_starts_a_new_shift(client, people, db):
    home = make_home(people)
    people.login(home.hanna)
    response = client.post("/shift/start")
    assert response.status_code == 302
    assert "Passet började" in html_text(client.get("/shift"))


def test_the_inbox_shows_the_shift_digest_and_clients_with_unread_counts(client, people, db):
    home = make_home(people)
    _colleague_note(db, home)
    people.login(home.hanna)
    client.get("/shift")
    inbox = html_text(client.get("/"))
    assert "Passets början" in inbox and "1 ny anteckning om 1 brukare" in inbox
    assert "Astrid Test" in inbox


def test_managers_see_who_has_read_what(client, people, db):
    home = make_home(people)
    entry = _colleague_note(db, home)
    mark_read(db, home.hanna, home.client, entry.id)
    db.commit()
    people.login(home.maja)
    receipts = html_text(client.get(f"/journal/{home.client.id}/receipts"))
    assert "Hanna Testsson" in receipts and "Hugo Testsson" in receipts
    thread = client.get(f"/journal/{home.client.id}").get_data(as_text=True)
    assert "läst av" in thread and "Hanna" in thread
