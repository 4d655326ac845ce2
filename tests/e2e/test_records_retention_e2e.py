"""Retention and destruction on the phone: the records officer (arkiv) reads the plan on the
demo's three old files, holds and lifts, finds a live file to hold, runs archiving and
destruction after a confirmation that shows the counts; the retention periods page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from models.core.db import new_session
from models.journal.tables import Client
from models.records import retention
from tests.e2e.conftest import axe_violations, login, shot

SHOTS = Path("/work/shots/rec14")


def look(page, name: str) -> None:
    """axe finds nothing, and a screenshot at 390×844 for people to look at."""
    assert axe_violations(page) == []
    path = shot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / path.name).write_bytes(path.read_bytes())


def file_row(page, name: str):
    return page.locator(".records-file", has_text=name)


def counts(page) -> list[str]:
    return page.locator(".records-counts tbody tr").first.locator("td").all_inner_texts()


def test_the_records_officer_holds_lifts_and_runs_destruction(page, live_app, tmp_path):
    live_app.config["RECORDS_ARCHIVE_DIR"] = str(tmp_path / "archive")
    login(page, "arkiv")
    page.get_by_role("link", name="Bevarande och gallring").click()
    page.wait_for_url("**/records/retention")
    assert counts(page) == ["Hemtjänst Norr", "3", "1", "1", "2"]
    expect(file_row(page, "Holger Kvarhållen")).to_contain_text("Spärrad: Överklagande")
    expect(file_row(page, "Signe Arkivsson")).to_contain_text("Till arkivet")
    page.mouse.wheel(0, 500)
    look(page, "records-retention-plan")

    gunnar = file_row(page, "Gunnar Gallring")
    gunnar.get_by_label("Skäl för gallringsspärr").fill("Polisens begäran om utlämnande")
    gunnar.get_by_role("button", name="Spärra akten").tap()
    expect(page.locator(".records-done")).to_have_text("Akten är spärrad: den gallras inte.")
    assert counts(page) == ["Hemtjänst Norr", "3", "1", "2", "1"]
    file_row(page, "Gunnar Gallring").get_by_role("button", name="Häv spärren").tap()
    expect(page.locator(".records-done")).to_have_text("Spärren är hävd.")
    assert counts(page) == ["Hemtjänst Norr", "3", "1", "1", "2"]

    page.get_by_role("button", name="Arkivera och gallra…").or_(
        page.get_by_role("link", name="Arkivera och gallra…")).tap()
    page.wait_for_url("**/records/retention/run?year=*")
    expect(page.locator(".records-consequences li")).to_have_text(
        "Hemtjänst Norr: 1 till arkivet först, 2 förstörs för gott, 1 spärrade och kvar.")
    look(page, "records-retention-confirm")
    page.get_by_role("button", name="Arkivera och gallra", exact=True).tap()
    expect(page.locator("#err-confirm")).to_have_text("Kryssa i rutan för att bekräfta gallringen.")
    look(page, "records-retention-confirm-error")

    page.get_by_label("Jag har granskat planen: gallra akterna").check()
    page.get_by_role("button", name="Arkivera och gallra", exact=True).tap()
    page.wait_for_url("**/records/retention?year=*")
    expect(page.locator(".records-done")).to_have_text("2 akter gallrade, 1 arkivpaket skrivna.")
    assert counts(page) == ["Hemtjänst Norr", "1", "0", "1", "0"]
    expect(page.locator(".records-log tbody tr")).to_contain_text(["Hemtjänst Norr"])
    page.locator("#log-title").scroll_into_view_if_needed()
    look(page, "records-retention-after-run")
    with new_session(live_app.extensions["nara_engine"]) as session:
        names = set(session.exec(select(Client.name)).all())
    assert {"Gunnar Gallring", "Signe Arkivsson"}.isdisjoint(names)
    assert "Holger Kvarhållen" in names
    assert len(list((tmp_path / "archive").iterdir())) == 1
    # the one refused submission (no tick) answered 422, as a form error should
    assert [e for e in page.console_errors if "422" not in e] == []


def test_the_records_officer_finds_a_live_file_and_holds_it(page, live_app):
    with new_session(live_app.extensions["nara_engine"]) as session:
        bengt = session.exec(select(Client).where(Client.name == "Bengt Karlsson")).one()
    login(page, "arkiv")
    page.goto("/records/retention")
    page.get_by_label("Sök en akt att spärra (personnummer eller namn)").fill(
        bengt.personal_number)
    page.get_by_role("button", name="Sök", exact=True).tap()
    found = page.locator("#found .records-file")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("en insats pågår")
    assert bengt.personal_number not in page.url
    look(page, "records-retention-search")

    found.get_by_label("Skäl för gallringsspärr").fill("Begäran om att ta del av akten")
    found.get_by_role("button", name="Spärra akten").tap()
    expect(page.locator(".records-done")).to_have_text("Akten är spärrad: den gallras inte.")
    page.get_by_label("Sök en akt att spärra (personnummer eller namn)").fill("Bengt")
    page.get_by_role("button", name="Sök", exact=True).tap()
    expect(page.locator("#found .records-file")).to_contain_text(
        "Spärrad: Begäran om att ta del av akten")
    look(page, "records-retention-search-held")
    page.locator("#found .records-file").get_by_role("button", name="Häv spärren").tap()
    expect(page.locator(".records-done")).to_have_text("Spärren är hävd.")
    with new_session(live_app.extensions["nara_engine"]) as session:
        assert bengt.id not in retention.active_holds(session)
    assert page.console_errors == []


def test_the_retention_periods_page_for_the_officer_and_the_admin(page, context, live_app):
    login(page, "arkiv")
    page.goto("/records/retention")
    page.get_by_role("link", name="Gallringsfrister").tap()
    page.wait_for_url("**/records/periods")
    expect(page.get_by_role("heading", name="Åtkomstlogg")).to_be_visible()
    assert page.locator("input[name=years]").count() == 0  # the officer reads them
    look(page, "records-periods-officer")

    context.clear_cookies()
    login(page, "admin")
    page.goto("/records/periods")
    card = page.locator("section", has=page.get_by_role("heading", name="Åtkomstlogg"))
    card.get_by_label("År").fill("6")
    card.get_by_label("Källa (underlag, lag eller beslut)").fill(
        "Beslut i socialnämnden 2026-11-20")
    card.get_by_role("button", name="Spara").tap()
    expect(page.locator(".records-done")).to_have_text("Gallringsfristen är sparad.")
    with new_session(live_app.extensions["nara_engine"]) as session:
        assert retention.periods(session)[retention.ACCESS_LOG_KIND] == 6
    look(page, "records-periods-admin")
    assert page.console_errors == []
