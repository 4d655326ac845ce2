"""Deviations on a phone (390×844): staff report one from a client's thread in at most four
taps (typing is not a tap; tapping into the text box is), the journal gets its deviation
note, and the unit's manager classifies and closes it. axe-core finds no violations."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from sqlmodel import select

from models.core.db import new_session
from models.journal.tables import Client, JournalEntry
from models.records.deviations import Deviation
from tests.e2e.conftest import PHONE, SHOTS, Taps, axe_violations, login, shot, wait_until

WHAT = "Kvällsbesöket uteblev, ingen personal kom."




def _client_id(live_app, name: str) -> int:
    with new_session(live_app.extensions["nara_engine"]) as session:
        return session.exec(select(Client.id).where(Client.name == name)).first()


def _reported(live_app, what: str) -> list[Deviation]:
    with new_session(live_app.extensions["nara_engine"]) as session:
        return list(session.exec(select(Deviation).where(Deviation.what == what)))


def _category(live_app, entry_id: int) -> str:
    with new_session(live_app.extensions["nara_engine"]) as session:
        return session.get(JournalEntry, entry_id).category


def test_staff_report_a_deviation_in_four_taps_and_the_manager_closes_it(page, browser,
                                                                         live_app, live_server):
    client_id = _client_id(live_app, "Astrid Lindqvist")
    login(page, "hanna")
    page.goto(f"/journal/{client_id}")
    taps = Taps(page)
    taps(page.locator("#report-deviation"))
    page.wait_for_url(re.compile(r"/records/clients/\d+/deviations/new$"))
    assert axe_violations(page) == []
    shot(page, "deviation-1-report-form")
    taps(page.get_by_label("Vad hände?"))
    page.get_by_label("Vad hände?").fill(WHAT)
    taps(page.get_by_role("button", name="Rapportera avvikelsen"))
    expect(page.get_by_role("heading", name="Tack: avvikelsen är rapporterad.")).to_be_visible()
    assert taps.count <= 4, taps.count
    assert axe_violations(page) == []
    shot(page, "deviation-2-receipt")
    [deviation] = _reported(live_app, WHAT)
    assert deviation.status == "reported" and _category(live_app, deviation.entry_id) == "deviation"

    manager = browser.new_context(base_url=live_server.url, **PHONE)
    boss = manager.new_page()
    login(boss, "maja")
    boss.goto("/records/deviations")
    expect(boss.locator("#deviation-counts [data-count=reported]")).to_have_text("1")
    assert axe_violations(boss) == []
    shot(boss, "deviation-3-manager-list")
    boss.locator("#deviation-list a.thread-row", has_text=WHAT[:30]).tap()
    boss.get_by_role("radio", name="Utebliven insats").tap()
    boss.get_by_label("Utredning och analys").fill(
        "Schemat saknade kvällspasset.")
    boss.get_by_label("Åtgärder").fill("Schemat rättat; rutin för kontroll av kvällspass.")
    assert axe_violations(boss) == []
    shot(boss, "deviation-4-investigation")
    boss.get_by_role("button", name="Spara och avsluta").tap()
    expect(boss.locator("#deviation-status")).to_have_text("Avslutad")
    wait_until(boss, "document.querySelector('#h-closed') !== null")
    shot(boss, "deviation-5-closed")
    [closed] = _reported(live_app, WHAT)
    assert closed.status == "closed" and closed.kind_id is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS.parent / "deviation-taps.json").write_text(json.dumps({"report_taps": taps.count}))
    assert not page.console_errors, page.console_errors
    manager.close()
