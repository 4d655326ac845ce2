"""Every room of the app on a 390×844 phone, in Swedish light and dark and in English
(issue 15, "Done means"): nothing scrolls sideways, no id is used twice in the live page
(after its scripts ran), axe finds no WCAG 2.1 A/AA violation, and each room is
photographed for people to look at: test-artifacts/screenshots/room-<room>-<mode>.png.

The rooms: the tally thread with its bar and with the sheet open, the offline tally shell
and the offline inbox shell, the inbox of every role, the journal thread and its consent
page, the working-notes contact, the manager's day feed, yesterday, statistics (both
views), follow-ups, the access log, the admin's pages and the records officer's pages.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, SHOTS, axe_violations, controlled, screenshot
from tests.e2e.test_inbox_manage_e2e import unit_id
from tests.e2e.test_tally import activity_id

MODES = {
    "sv-light": {"locale": "sv-SE", "color_scheme": "light"},
    "sv-dark": {"locale": "sv-SE", "color_scheme": "dark"},
    "en-light": {"locale": "en-GB", "color_scheme": "light"},
}
# screen.width, not innerWidth alone: a mobile browser widens its layout viewport to fit
# what overflows.
OVERFLOW_JS = ("() => document.documentElement.scrollWidth"
               " - Math.min(window.innerWidth, screen.width)")
REPEATED_IDS_JS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id).sort();
}"""


class Rooms:
    """Looks at one room after another in one language and colour scheme."""

    def __init__(self, browser, live_server, mode: str):
        self.browser, self.live_server, self.mode = browser, live_server, mode
        self.found: dict[str, object] = {}
        self.context = self.page = None

    def sign_in(self, username: str):
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(base_url=self.live_server.url,
                                                **{**PHONE, **MODES[self.mode]})
        self.page = self.context.new_page()
        if not self.mode.startswith("sv"):
            self.page.goto("/login")  # the login page follows the browser's language
        login_any_language(self.page, username)
        return self.page

    def look(self, room: str, url: str | None = None, full_page: bool = True) -> None:
        page = self.page
        if url is not None:
            assert page.goto(url).status == 200, (room, url)
            page.wait_for_load_state("networkidle")
        page.wait_for_timeout(150)  # a thread scrolls to its newest bubble after a frame
        if self.mode.startswith("sv"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            screenshot(page, SHOTS / f"room-{room}-{self.mode}.png", full_page=full_page)
        problems = {}
        if (overflow := page.evaluate(OVERFLOW_JS)) > 0:
            problems["overflow px"] = overflow
        if repeated := page.evaluate(REPEATED_IDS_JS):
            problems["repeated ids"] = repeated
        if violations := axe_violations(page):
            problems["axe"] = [v["id"] for v in violations]
        if problems:
            self.found[room] = problems

    def first_link(self, pattern: str, start: str = "/") -> str:
        self.page.goto(start)
        hrefs = self.page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))")
        return next(h for h in hrefs if re.fullmatch(pattern, h))

    def close(self):
        if self.context is not None:
            self.context.close()


def login_any_language(page, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("nara-demo-2026")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("mode", list(MODES))
def test_every_room_fits_the_phone_with_unique_ids_and_no_axe_violations(
        browser, live_server, live_app, mode):
    rooms = Rooms(browser, live_server, mode)
    try:
        # The field worker: inbox, the tally thread (bar, then the sheet open).
        page = rooms.sign_in("fia")
        rooms.look("inbox-faltare", "/")
        rooms.look("tally-thread-bar",
                   f"/activities/{activity_id(live_app, 'faltare-allvarssamtal')}",
                   full_page=False)
        page.locator("[data-open-sheet]").tap()
        page.locator("#composer-sheet[open]").wait_for()
        rooms.look("tally-thread-sheet", full_page=False)

        # Home care: inbox, a client's journal thread and its consent page.
        page = rooms.sign_in("hanna")
        rooms.look("inbox-hemtjanst", "/")
        journal = rooms.first_link(r"/journal/\d+")
        rooms.look("journal-thread", journal, full_page=False)
        page.locator("details.guide > summary").click()  # the guide and "när" open
        page.locator("details.composer-more > summary").click()
        rooms.look("journal-thread-open", full_page=False)
        rooms.look("journal-consent", f"{journal}/consent")

        # The counsellor's working-notes contact.
        rooms.sign_in("kim")
        rooms.look("inbox-kurator", "/")
        rooms.look("notes-contact", rooms.first_link(r"/notes/\d+", "/notes/"))

        # The manager's day.
        rooms.sign_in("maja")
        rooms.look("inbox-manager", "/")
        # the day is a thread with its review form at the foot: photographed as seen
        rooms.look("day-feed", f"/manage/units/{unit_id(live_app, 'Hemtjänst Norr')}/day",
                   full_page=False)
        rooms.look("day-feed-tallies", f"/manage/units/{unit_id(live_app, 'Fältgruppen')}/day",
                   full_page=False)
        rooms.look("yesterday", "/manage/yesterday")
        rooms.look("stats-exact", "/manage/stats")
        rooms.look("stats-shared", "/manage/stats?view=shared")
        rooms.look("follow-ups", "/manage/follow-ups")
        rooms.look("access-log", "/journal/log")

        # The administrator.
        rooms.sign_in("admin")
        rooms.look("inbox-admin", "/")
        rooms.look("admin-people", "/admin/")
        rooms.look("admin-person", rooms.first_link(r"/admin/users/\d+", "/admin/"))
        rooms.look("admin-new-person", "/admin/users/new")
        rooms.look("admin-units", "/admin/units")
        rooms.look("admin-catalogue", "/admin/catalogue")
        rooms.look("admin-settings", "/admin/settings")
        rooms.look("admin-log", "/admin/log")

        # The records officer.
        rooms.sign_in("arkiv")
        rooms.look("inbox-records", "/")
        rooms.look("records-retention", "/records/retention")
        rooms.look("records-periods", "/records/periods")
    finally:
        rooms.close()
    assert rooms.found == {}


@pytest.mark.parametrize("mode", list(MODES))
def test_the_offline_rooms_fit_the_phone_with_unique_ids_and_no_axe_violations(
        browser, live_server, live_app, mode):
    """The offline tally shell and the offline inbox shell, reached by tapping."""
    rooms = Rooms(browser, live_server, mode)
    try:
        page = rooms.sign_in("kim")
        controlled(page)
        talks = activity_id(live_app, "familjecentral-enskilda-samtal")
        row = f'a.thread-row[href="/activities/{talks}"]'
        page.goto("/")
        page.locator(row).tap()
        page.locator(".tally-bar").wait_for()
        page.locator("a.back").tap()
        page.locator("a.thread-row").first.wait_for()

        rooms.context.set_offline(True)
        page.locator(row).tap()
        page.locator("[data-shell-title]").wait_for()
        page.locator(".tally-bar").wait_for()
        rooms.look("offline-tally-shell", full_page=False)
        page.locator("[data-open-sheet]").tap()
        page.locator("#composer-sheet[open]").wait_for()
        rooms.look("offline-tally-shell-sheet", full_page=False)
        page.keyboard.press("Escape")
        page.locator("#composer-sheet").wait_for(state="hidden")
        page.locator("a.back").tap()
        page.locator("#offline-activities").wait_for()
        rooms.look("offline-inbox-shell", full_page=False)
        rooms.context.set_offline(False)
    finally:
        rooms.close()
    assert rooms.found == {}
