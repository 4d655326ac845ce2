"""The right to read with a secrecy review (seed 002; OSL 26:1): marks, the copy, the release."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import select

from models.access import AccessLog, authorize
from models.core.errors import DomainError, ValidationErrors
from models.journal.entries import add_entry
from models.records import right_to_read as rtr
from tests.conftest import soup, text_of, texts
from tests.journal_helpers import make_home

NOTICE = "Uppgift utelämnad enligt 26 kap. 1 § OSL"
SECRET = "grannen Åke Öberg på 3:e våningen"
TEXT = f"Besök. Astrid berättade om {SECRET} och att han hjälper till."


@pytest.fixture
def home(people):
    return make_home(people)


@pytest.fixture
def note(db, home):
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", TEXT)
    db.commit()
    return entry


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(
        io.BytesIO(data)).pages)


# --- the model: what the copy shows -------------------------------------------------------


def test_a_passage_is_replaced_by_one_withheld_piece():
    pieces = rtr.pieces_of("a secret b secret c", ["secret"])
    assert [(p.text, p.withheld) for p in pieces] == [
        ("a ", False), ("", True), (" b ", False), ("", True), (" c", False)]


def test_overlapping_passages_become_one_notice_so_lengths_cannot_be_told():
    pieces = rtr.pieces_of("x Åke Öberg y", ["Åke Ö", "Öberg"])
    assert [(p.text, p.withheld) for p in pieces] == [("x ", False), ("", True), (" y", False)]


def test_a_whole_note_withheld_shows_only_the_notice(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    rtr.withhold(db, home.maja, review, note.id, "", "Tredje man")
    redaction = rtr.redactions(db, review)[note.id]
    assert redaction.whole and [p.withheld for p in redaction.pieces] == [True]


def test_a_passage_not_word_for_word_in_the_note_is_refused_at_its_field(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    with pytest.raises(ValidationErrors) as refused:
        rtr.withhold(db, home.maja, review, note.id, "grannen Åke Berg", "Tredje man")
    assert set(refused.value.errors) == {"passage"}


def test_a_withholding_needs_a_reason(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    with pytest.raises(ValidationErrors) as refused:
        rtr.withhold(db, home.maja, review, note.id, SECRET, "  ")
    assert set(refused.value.errors) == {"reason"}


def test_a_note_of_another_clients_file_cannot_be_marked(db, home, note, people):
    from models.journal.people import create_client

    other = create_client(db, home.unit, "Bertil Annan", "19500316-4216")
    review = rtr.open_review(db, home.maja, other)
    with pytest.raises(DomainError) as refused:
        rtr.withhold(db, home.maja, review, note.id, "", "Tredje man")
    assert refused.value.field == "entry"


# --- the model: the release is final ------------------------------------------------------


def test_a_release_keeps_the_pdf_its_sha256_who_and_to_whom(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    row = rtr.release(db, home.maja, review, "Astrid själv", b"%PDF-1.7 copy")
    assert (row.pdf, row.pdf_sha256, row.released_by, row.recipient) == (
        b"%PDF-1.7 copy", hashlib.sha256(b"%PDF-1.7 copy").hexdigest(), home.maja.id,
        "Astrid själv")


def test_a_released_review_takes_no_more_marks(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    rtr.release(db, home.maja, review, "Astrid", b"%PDF")
    with pytest.raises(DomainError):
        rtr.withhold(db, home.maja, review, note.id, "", "Tredje man")


def test_a_mark_of_a_released_review_cannot_be_taken_back(db, home, note):
    review = rtr.open_review(db, home.maja, home.client)
    mark = rtr.withhold(db, home.maja, review, note.id, "", "Tredje man")
    rtr.release(db, home.maja, review, "Astrid", b"%PDF")
    with pytest.raises(DomainError):
        rtr.unmark(db, home.client, mark.id)


def test_a_released_copy_cannot_be_changed(db, home, note):
    row = rtr.release(db, home.maja, rtr.open_review(db, home.maja, home.client), "Astrid",
                      b"%PDF")
    db.commit()
    row.recipient = "Någon annan"
    with pytest.raises(DomainError):
        db.commit()


def test_after_a_release_a_new_review_starts_empty(db, home, note):
    first = rtr.open_review(db, home.maja, home.client)
    rtr.withhold(db, home.maja, first, note.id, "", "Tredje man")
    rtr.release(db, home.maja, first, "Astrid", b"%PDF")
    second = rtr.open_review(db, home.maja, home.client)
    assert second.id != first.id and rtr.withholdings_of(db, second) == []


def test_the_pdf_is_pdf_a_2b_and_keeps_swedish_characters(app):
    with app.app_context():
        style = app.static_folder + "/css/records-copy.css"
        data = rtr.pdf_of("<html lang='sv'><body><p>Åsa Öberg – ärende</p></body></html>",
                          style)
    reader = PdfReader(io.BytesIO(data))
    assert "Åsa Öberg – ärende" in _pdf_text(data)
    xmp = reader.xmp_metadata.stream.get_data()
    assert re.search(rb'pdfaid:part(="|>)2', xmp) and re.search(rb'pdfaid:conformance(="|>)B', xmp)
    assert "/OutputIntents" in reader.trailer["/Root"]


@pytest.mark.parametrize("who, allowed", [
    ("maja", True), ("hanna", False), ("hugo", False), ("mats", False), ("admin", False)])
def test_only_managers_of_the_clients_unit_may_review_and_release(db, home, who, allowed):
    assert authorize(db, getattr(home, who), "records.right_to_read", home.client) is allowed


# --- the routes ---------------------------------------------------------------------------


def _base(home):
    return f"/records/clients/{home.client.id}/right-to-read"


def _mark(client, home, note, passage=SECRET, reason="Uppgift om tredje man"):
    return client.post(f"{_base(home)}/withhold",
                       data={"entry": note.id, "passage": passage, "reason": reason})


def _release(client, home, recipient="Astrid själv", page=None):
    """Press "Release" on the review page as it was shown (`page`: an older rendering)."""
    form = (page or soup(client.get(_base(home)))).select_one("#release form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    return client.post(f"{_base(home)}/release", data=data | {"recipient": recipient})


def test_the_review_offers_a_withhold_form_for_each_note(people, home, note):
    client = people.login(home.maja)
    page = soup(client.get(_base(home)))
    form = page.select_one(f"#note-{note.id} form")
    assert form.select_one("input[name=entry]")["value"] == str(note.id)


def test_a_marked_passage_is_listed_among_the_marks(people, home, note):
    client = people.login(home.maja)
    response = _mark(client, home, note)
    assert response.status_code == 302
    assert SECRET in texts(client.get(_base(home)), "#marks li")[0]


def test_a_passage_not_in_the_note_gives_its_message_at_the_field(people, home, note):
    client = people.login(home.maja)
    response = _mark(client, home, note, passage="står inte där")
    assert response.status_code == 422
    error = soup(response).select_one(f"#passage-err-{note.id}")
    assert text_of(error) == "Kopiera stycket exakt som det står i anteckningen."


def test_the_printable_copy_shows_the_notice_and_not_the_passage(people, home, note):
    client = people.login(home.maja)
    _mark(client, home, note)
    page = soup(client.get(f"{_base(home)}/copy"))
    entry = next(p for p in page.select(".entry-text") if "Besök." in p.text)
    assert text_of(entry.select_one(".withheld")) == NOTICE
    assert SECRET not in page.get_text()


def test_a_release_without_recipient_is_refused_at_the_field(people, home, note):
    client = people.login(home.maja)
    response = _release(client, home, "")
    assert response.status_code == 422
    assert text_of(soup(response).select_one("#err-recipient")) == "Ange till vem kopian lämnas ut."


def test_the_release_page_shows_the_recipient_and_the_checksum(people, home, note, db):
    client = people.login(home.maja)
    _mark(client, home, note)
    response = _release(client, home)
    row = db.exec(select(rtr.ReadingRelease)).one()
    assert response.headers["Location"] == f"/records/releases/{row.id}"
    page = soup(client.get(response.headers["Location"]))
    assert page.select_one(".checksum").text == row.pdf_sha256
    assert "Astrid själv" in page.select_one(".goal-details").text


def test_the_released_pdf_is_the_stored_one_with_the_notice_and_without_the_passage(
        people, home, note, db):
    client = people.login(home.maja)
    _mark(client, home, note)
    _release(client, home)
    row = db.exec(select(rtr.ReadingRelease)).one()
    pdf = client.get(f"/records/releases/{row.id}/pdf")
    assert hashlib.sha256(pdf.data).hexdigest() == row.pdf_sha256
    text = _pdf_text(pdf.data)
    assert NOTICE in text and "Astrid Test" in text and "Åke" not in text


def test_each_step_of_the_review_and_release_is_access_logged(people, home, note, db):
    client = people.login(home.maja)
    client.get(_base(home))
    _mark(client, home, note)
    client.get(f"{_base(home)}/copy")
    _release(client, home)
    row = db.exec(select(rtr.ReadingRelease)).one()
    client.get(f"/records/releases/{row.id}/pdf")
    actions = [r.action for r in db.exec(select(AccessLog).where(
        AccessLog.subject_id == home.client.id, AccessLog.user_id == home.maja.id,
        AccessLog.action.startswith("right_to_read")).order_by(AccessLog.id))]
    assert actions == ["right_to_read.review", "right_to_read.withhold", "right_to_read.copy",
                       "right_to_read.review", "right_to_read.release", "right_to_read.pdf"]


def test_staff_concerned_cannot_open_the_review_and_the_attempt_is_logged(
        people, home, note, db):
    client = people.login(home.hanna)
    assert client.get(_base(home)).status_code == 404
    row = db.exec(select(AccessLog).where(AccessLog.user_id == home.hanna.id,
                                          AccessLog.action == "right_to_read.review")).one()
    assert row.outcome == "denied"


def test_pressing_release_twice_releases_one_copy(people, home, note, db):
    client = people.login(home.maja)
    _mark(client, home, note)
    page = soup(client.get(_base(home)))
    _release(client, home, page=page)
    again = _release(client, home, page=page)
    assert again.status_code == 422
    assert soup(again).select_one("#err-release") is not None
    assert len(db.exec(select(rtr.ReadingRelease)).all()) == 1


def test_a_mark_made_after_the_page_was_shown_stops_the_release(people, home, note, db):
    client = people.login(home.maja)
    page = soup(client.get(_base(home)))  # no review yet: nothing marked
    _mark(client, home, note)  # e.g. a colleague, in another tab
    assert _release(client, home, page=page).status_code == 422
    assert db.exec(select(rtr.ReadingRelease)).all() == []


def test_the_journal_export_still_shows_every_note_in_full(people, home, note):
    client = people.login(home.maja)
    page = soup(client.get(f"/journal/{home.client.id}/export"))
    assert TEXT in [p.text for p in page.select(".entry-text")]
    assert page.select(".withheld") == []
