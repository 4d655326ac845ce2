"""The inbox for every role and the manager's pages on a 390×844 phone: nothing scrolls
sideways, axe finds nothing, the inbox and the day feed count the same day (issue 15 §4).

Screenshots, light and dark, go to test-artifacts/screenshots/ (and NARA_SHOTS if set)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.access import Unit, user_named
from models.catalogue import Activity
from models.core.db import new_session, utcnow
from models.tally.record import record_tally
from tests.e2e.conftest import PHONE, SHOTS, axe_violations, login, screenshot

ROLES = ["fia", "kim", "hanna", "hugo", "maja", "admin", "arkiv"]  # every role
MANAGER_PAGES = {
    "stats-exact": "/manage/stats",
    "stats-shared": "/manage/stats?view=shared",
    "day": "Fältgruppen",  # a unit's day, by the unit's id
    "day-home-care": "Hemtjänst Norr",
    "yesterday": "/manage/yesterday",
    "follow-ups": "/manage/follow-ups",
    "access-log": "/journal/log",
}


def overflow(page) -> int:
    """How far the page scrolls sideways (0 when it does not)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - Math.min(window.innerWidth, screen.width)")


def save(page, name: str) -> None:
    for folder in {SHOTS, Path(os.environ.get("NARA_SHOTS", SHOTS))}:
        folder.mkdir(parents=True, exist_ok=True)
        screenshot(page, str(folder / f"{name}.png"), full_page=True)


def signed_in(browser, live_server, username: str, scheme: str):
    context = browser.new_context(base_url=live_server.url, color_scheme=scheme, **PHONE)
    page = context.new_page()
    login(page, username)  # staff with clients land on /shift once; "/" is the inbox after
    return context, page


def unit_id(app, name: str) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(Unit.id).where(Unit.name == name)).one()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_roles_inbox_fits_the_phone_and_passes_axe(browser, live_server, scheme):
    for username in ROLES:
        context, page = signed_in(browser, live_server, username, scheme)
        try:
            page.goto("/")
            page.locator("#threads, .empty").first.wait_for()
            save(page, f"inbox-{username}-{scheme}")
            assert overflow(page) <= 0, username
            assert axe_violations(page) == [], username
        finally:
            context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_managers_pages_fit_the_phone_and_pass_axe(browser, live_server, live_app,
                                                       scheme):
    context, page = signed_in(browser, live_server, "maja", scheme)
    try:
        for name, url in MANAGER_PAGES.items():
            if not url.startswith("/"):
                url = f"/manage/units/{unit_id(live_app, url)}/day"
            page.goto(url)
            page.wait_for_load_state("networkidle")
            save(page, f"manage-{name}-{scheme}")
            assert overflow(page) <= 0, name
            assert axe_violations(page) == [], name
    finally:
        context.close()


def test_the_folded_exempt_activities_open_with_one_tap(page):
    login(page, "fia")
    folded = page.locator("#section-units details")
    assert not folded.locator("ul.threads").is_visible()
    folded.locator("summary").tap()
    assert folded.locator("ul.threads a.thread-row").first.is_visible()
    assert overflow(page) <= 0


def record_late_tally(app) -> None:
    """Fia registers now a talk she had 26 hours ago: registered today, happened yesterday."""
    with new_session(app.extensions["nara_engine"]) as session:
        activity = session.exec(
            select(Activity).where(Activity.key == "faltare-allvarssamtal")).one()
        record_tally(session, user_named(session, "fia"), activity,
                     {"gender_young": "k", "age_individual": "17", "problem_area": "skola",
                      "route_in": "skola"}, uuid.uuid4(),
                     occurred_at=utcnow() - timedelta(hours=26))
        session.commit()


def test_the_inbox_and_the_day_feed_show_the_same_count(page, live_app):
    login(page, "maja")
    row = page.locator("#section-units a.thread-row", has_text="Fältgruppen")
    before = row.locator(".thread-last").inner_text().strip()
    record_late_tally(live_app)  # counts today in both, or the two disagree
    page.reload()
    in_inbox = row.locator(".thread-last").inner_text().strip()
    assert in_inbox.startswith("Registrerat i dag:") and in_inbox != before
    row.tap()
    page.wait_for_url(f"**/manage/units/{unit_id(live_app, 'Fältgruppen')}/day")
    assert page.locator("#day-count").inner_text().strip() == in_inbox


def test_a_wide_statistics_table_scrolls_inside_its_box_with_a_hint(page):
    login(page, "maja")
    page.goto("/manage/stats?period=year")
    wide = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
        .filter(box => box.scrollWidth > box.clientWidth).length""")
    hints = page.locator(".scroll-hint").count()
    assert hints >= wide  # every table that scrolls has its hint above it
    assert overflow(page) <= 0


def test_statistics_reflow_at_320_css_pixels(browser, live_server):
    """WCAG 1.4.10: hidden helper text in table cells stays inside the tables' boxes."""
    narrow = {**PHONE, "viewport": {"width": 320, "height": 844}}
    context = browser.new_context(base_url=live_server.url, **narrow)
    try:
        page = context.new_page()
        login(page, "maja")
        for url in ("/manage/stats", "/manage/stats?view=shared"):
            page.goto(url)
            assert overflow(page) <= 0, url
    finally:
        context.close()
