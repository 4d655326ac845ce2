"""The manager on a phone: the live day feed, statistics with a chart and rounded figures, the CSV
and XLSX downloads opened and read, and the follow-up list (issue 7, "Done means")."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from models.access import Unit
from models.catalogue import Activity
from models.core.db import new_session
from models.tally import Tally
from tests.e2e.conftest import PHONE, axe_violations, login, shot

POLL_SECONDS = 5  # production polls every 30 s; the mechanism is the same


def ids(app) -> dict:
    with new_session(app.extensions["nara_engine"]) as session:
        unit = session.exec(select(Unit).where(Unit.name == "Fältgruppen")).one()
        act = session.exec(select(Activity).where(Activity.key == "faltare-allvarssamtal")).one()
        return {"unit": unit.id, "activity": act.id}


def tallies(app) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(func.count()).select_from(Tally)).one()


def log_a_serious_talk(browser, live_server, app, activity_id: int) -> None:
    """Fia, on her own phone, logs one Allvarssamtal with four taps and Save, and waits
    until the server has it (the outbox sends it in the background)."""
    before = tallies(app)
    context = browser.new_context(base_url=live_server.url, **PHONE)
    try:
        page = context.new_page()
        login(page, "fia")
        page.goto(f"/activities/{activity_id}")
        page.locator("[data-open-sheet]").tap()  # "Ny" opens the composer sheet
        page.locator("#composer").wait_for()
        for field, label in (("gender_young", "Kille"), ("age_individual", "16"),
                             ("problem_area", "Skola"), ("route_in", "Polis")):
            page.locator(f'#composer fieldset[data-field="{field}"] label.chip',
                         has_text=re.compile(rf"^\s*{label}\s*$")).tap()
        page.locator("#composer button[type=submit]").tap()
        for _ in range(100):
            if tallies(app) > before:
                break
            page.wait_for_timeout(100)
        assert tallies(app) == before + 1
    finally:
        context.close()


def test_manager_follows_the_day_live_then_statistics_exports_and_follow_ups(
        page, browser, live_server, live_app, tmp_path):
    live_app.config["MANAGE_POLL_SECONDS"] = POLL_SECONDS
    known = ids(live_app)
    login(page, "maja")
    page.get_by_role("link", name=re.compile("^Fältgruppen")).click()
    page.wait_for_url(f"**/manage/units/{known['unit']}/day")
    assert page.locator(".live-status[hx-trigger]").get_attribute("hx-trigger") == (
        f"every {POLL_SECONDS}s")
    bubble = page.locator(f"#activity-{known['activity']}")
    before = int(bubble.locator(".feed-number").inner_text()) if bubble.count() else 0
    assert axe_violations(page) == []

    log_a_serious_talk(browser, live_server, live_app, known["activity"])
    page.locator(f"#activity-{known['activity']} .feed-number").filter(
        has_text=re.compile(rf"^{before + 1}$")).wait_for(timeout=(POLL_SECONDS + 3) * 1000)
    assert "Fia Fältare" in bubble.inner_text()  # by whom: on the manager's screen only
    shot(page, "manage-day-feed")
    page.get_by_label("Kommentar om dagen").fill("Lugn dag, inget att följa upp.")
    page.get_by_role("button", name="Markera dagen som genomgången").click()
    page.get_by_text("Du markerade dagen som genomgången").wait_for()
    assert page.locator(".feed-review", has_text="Lugn dag").is_visible()

    page.goto("/")
    page.get_by_role("link", name=re.compile("^Statistik")).click()
    page.wait_for_url("**/manage/stats")
    for unit in ("Familjecentralen", "Hemtjänst Norr", "Mötesplatsen"):
        page.locator("label.chip", has_text=unit).locator("input").uncheck()
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**/manage/stats?*")
    page.get_by_label("Verksamhet", exact=True).select_option(label="Allvarssamtal med enskild")
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Visa").click()
    page.get_by_role("heading", name="Allvarssamtal med enskild").wait_for()
    # the page opens on the exact figures; the version that may leave the unit is one tap
    page.get_by_role("link", name="För delning och export (avrundat)").click()
    page.wait_for_url("**view=shared*")
    age = page.locator("#grid-field-age_individual")
    assert age.locator("svg.chart-svg[role=img]").is_visible()
    figures = age.locator("table.stats-table td").all_inner_texts()
    assert figures and all(int(f) % 5 == 0 for f in figures)  # rounded: no 1–4 leaves
    assert "avrundas slumpvis" in page.locator(".view-note").inner_text()
    age.scroll_into_view_if_needed()
    shot(page, "manage-stats")
    assert axe_violations(page) == []

    with page.expect_download() as download:
        age.get_by_role("link", name="CSV", exact=True).click()
    name = download.value.suggested_filename
    assert name.startswith("Fältgruppen_Allvarssamtal-med-enskild_") and name.endswith(".csv")
    raw = (tmp_path / "age.csv")
    download.value.save_as(raw)
    data = raw.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Ålder"
    table = [r for r in rows[1:] if len(r) == 3]
    assert table and all(int(v) % 5 == 0 for r in table for v in r[1:])
    assert "Fia" not in data.decode("utf-8-sig")

    with page.expect_download() as download:
        age.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book_path = tmp_path / "age.xlsx"
    download.value.save_as(book_path)
    sheet = load_workbook(book_path).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    numbers = [c for c in cells if isinstance(c, int)]
    assert "Ålder" in cells and numbers and all(n % 5 == 0 for n in numbers)

    page.goto("/")
    page.get_by_role("link", name=re.compile("^Uppföljningar")).click()
    page.get_by_role("heading", name="Planer att följa upp").wait_for()
    sven = page.get_by_role("link", name=re.compile("^Sven Ekdahl"))
    assert "om 6 dagar" in sven.inner_text()
    assert page.get_by_role("link", name=re.compile("^Ingrid Holm")).count() == 2  # no plan,
    shot(page, "manage-follow-ups")  # and her consent ends within 30 days
    assert axe_violations(page) == []
    sven.click()  # one tap to the client's plan
    page.get_by_text("Sven går till brevlådan själv.").wait_for()
    assert not page.console_errors, page.console_errors
