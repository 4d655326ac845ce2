"""The right to read on a phone (390×844): the manager reviews Astrid's file, withholds one
passage about a third party, previews the copy and releases it as PDF/A; the downloaded PDF
says where something was withheld and does not hold the passage."""

from __future__ import annotations

import hashlib
import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from models.core.db import new_session
from models.journal.entries import add_entry
from models.journal.people import open_assignments
from models.journal.tables import Client
from models.records.right_to_read import ReadingRelease
from tests.e2e.conftest import axe_violations, login, shot

NOTICE = "Uppgift utelämnad enligt 26 kap. 1 § OSL"
PASSAGE = "grannen Åke Öberg"
NOTE = f"Astrid berättade att {PASSAGE} har hjälpt henne med nycklarna."


def _note_for_astrid(app) -> tuple[int, int]:
    with new_session(app.extensions["nara_engine"]) as session:
        client = session.exec(select(Client).where(Client.name == "Astrid Lindqvist")).one()
        from models.access import User

        hanna = session.exec(select(User).where(User.username == "hanna")).one()
        entry, _ = add_entry(session, hanna, client, open_assignments(session, client)[0].id,
                             "circumstance", NOTE)
        session.commit()
        return client.id, entry.id


def _release_row(app) -> ReadingRelease:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(ReadingRelease)).one()


def test_a_copy_released_with_one_passage_withheld(page, live_app):
    client_id, entry_id = _note_for_astrid(live_app)
    login(page, "maja")
    page.goto(f"/journal/{client_id}/about")
    page.get_by_role("link", name="Rätt att läsa").click()
    page.wait_for_url(re.compile(rf"/records/clients/{client_id}/right-to-read$"))
    assert axe_violations(page) == []
    note = page.locator(f"#note-{entry_id}")
    note.get_by_text("Utelämna…").click()
    note.get_by_label("Stycke att utelämna").fill(PASSAGE)
    note.get_by_label("Skäl").fill("Uppgift om tredje man")
    shot(page, "records-rtr-1-mark")
    note.get_by_role("button", name="Utelämna", exact=True).click()
    expect(page.locator("#marks")).to_contain_text(PASSAGE)
    shot(page, "records-rtr-2-marked")

    page.get_by_role("link", name="Förhandsgranska utskriftskopian").click()
    page.wait_for_url(re.compile(r"/right-to-read/copy$"))
    assert NOTICE in page.locator(".withheld").first.inner_text()
    assert PASSAGE not in page.locator("main").inner_text()
    assert axe_violations(page) == []
    shot(page, "records-rtr-3-copy")
    page.go_back()

    page.get_by_label("Till vem").fill("Astrid Lindqvist själv")
    page.get_by_role("button", name="Lämna ut som PDF").click()
    page.wait_for_url(re.compile(r"/records/releases/\d+$"))  # ids only in the address
    row = _release_row(live_app)
    assert page.locator(".checksum").inner_text() == row.pdf_sha256
    assert axe_violations(page) == []
    shot(page, "records-rtr-4-released")

    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner PDF:en").click()
    data = open(download.value.path(), "rb").read()
    assert hashlib.sha256(data).hexdigest() == row.pdf_sha256
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)
    assert NOTICE in text
    assert "Åke" not in text and "Öberg" not in text
    assert "har hjälpt henne med nycklarna" in text  # the rest of the note is there
    assert not page.console_errors, page.console_errors
