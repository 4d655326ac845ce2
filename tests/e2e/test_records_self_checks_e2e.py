"""Self-checks on the phone (egenkontroll, seed 003): the manager draws a sample of the
unit's files, walks the checklist, signs; the year's summary for the quality report counts
the signed self-check."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from models.core.db import new_session
from models.records import self_checks as sc
from tests.e2e.test_records_retention_e2e import look


def test_the_manager_draws_walks_and_signs_a_self_check(page, live_app):
    from tests.e2e.conftest import login

    login(page, "maja")
    page.goto("/records/deviations")
    page.get_by_role("link", name="Egenkontroller").tap()
    page.wait_for_url("**/records/self-checks")
    page.get_by_label("Enhet").select_option(label="Hemtjänst Norr")
    page.get_by_label("Antal akter").fill("2")
    look(page, "records-self-check-draw")
    page.get_by_role("button", name="Dra urvalet").tap()
    page.wait_for_url(re.compile(r"/records/self-checks/\d+$"))
    check_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".self-check-file")).to_have_count(2)
    look(page, "records-self-check-walk")

    page.get_by_label("Slutsats").fill("Planerna är aktuella; en uppföljning saknas.")
    page.get_by_role("button", name="Signera egenkontrollen").tap()  # nothing answered yet
    expect(page.locator(".field-error").first).to_have_text("Besvara detta innan du signerar.")
    expect(page.get_by_label("Slutsats")).to_have_value(
        "Planerna är aktuella; en uppföljning saknas.")  # nothing typed is lost
    look(page, "records-self-check-unanswered")
    items = page.locator("fieldset.self-check-item")
    for n in range(items.count()):
        item = items.nth(n)
        auto = item.locator("[data-auto]")
        answer = {"yes": "Ja", "no": "Nej", "na": "Ej aktuellt"}[
            auto.get_attribute("data-auto") if auto.count() else "yes"]
        item.locator("label.chip", has_text=re.compile(f"^{answer}$")).tap()
    page.get_by_label("Åtgärder").fill("Uppföljningen bokas inom två veckor.")
    page.get_by_role("button", name="Signera egenkontrollen").tap()
    expect(page.locator(".system-note[role=status]")).to_contain_text(
        "Signerad av Maja Enhetschef")
    assert page.locator("input[type=radio]:not([disabled])").count() == 0
    look(page, "records-self-check-signed")
    with new_session(live_app.extensions["nara_engine"]) as session:
        check = session.get(sc.SelfCheck, check_id)
        items = session.exec(select(sc.SelfCheckItem).where(
            sc.SelfCheckItem.self_check_id == check_id)).all()
    assert check.signed and all(i.result for i in items)

    page.goto("/records/self-checks")
    page.get_by_role("link", name="Kvalitetsberättelse").tap()
    page.wait_for_url("**/records/quality")
    unit = page.locator("section", has=page.get_by_role("heading", name="Hemtjänst Norr"))
    expect(unit.locator("[data-count=self-checks]")).to_contain_text("1 signerad egenkontroll")
    expect(unit.locator("[data-count=self-checks]")).to_contain_text("2 akter")
    expect(unit).to_contain_text("Uppföljningen bokas inom två veckor.")
    unit.scroll_into_view_if_needed()
    look(page, "records-quality-year")
    csv = page.request.get(page.locator("#csv-link").get_attribute("href"))
    assert csv.ok and "Hemtjänst Norr" in csv.text()
    assert [e for e in page.console_errors if "400" not in e] == []
