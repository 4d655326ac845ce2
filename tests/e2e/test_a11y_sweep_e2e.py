"""Issue 15 §6: the statistics page reflows at 320 CSS px with unique landmark names.
(axe on every room in Swedish, English and dark mode is test_rooms_e2e.py's sweep.)"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, screenshot

SHOTS = "/work/shots/journal15"

MODES = {
    "sv-light": {"locale": "sv-SE", "color_scheme": "light"},
    "en-light": {"locale": "en-GB", "color_scheme": "light"},
    "sv-dark": {"locale": "sv-SE", "color_scheme": "dark"},
}


def _sign_in(page, username: str):
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("nara-demo-2026")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def _context(browser, live_server, mode: str, **extra):
    options = {**PHONE, **MODES[mode], **extra}
    return browser.new_context(base_url=live_server.url, **options)


@pytest.mark.parametrize("view", ["", "?view=exact"])
def test_statistics_reflow_at_320_px_and_landmarks_have_unique_names(
        browser, live_server, view):
    from axe_playwright_python.sync_playwright import Axe

    context = _context(browser, live_server, "sv-light", viewport={"width": 320, "height": 700})
    page = context.new_page()
    _sign_in(page, "maja")
    page.goto(f"/manage/stats{view}")
    # Not innerWidth: a mobile browser widens its layout viewport to fit what overflows.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    # Whichever figures today's data hides: a hidden figure ("..", with visually hidden
    # words for screen readers) in the far column of a wide table stays in its scroll box.
    page.evaluate("""() => {
      const row = document.querySelector('.table-scroll tbody tr');
      const wide = Object.assign(document.createElement('td'), { textContent: '9'.repeat(80) });
      const cell = document.createElement('td');
      cell.innerHTML =
        '<span class="mark-hidden">..<span class="visually-hidden"> dolt</span></span>';
      row.append(wide, cell);
    }""")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    result = Axe().run(page, options={"runOnly": {"type": "rule", "values": [
        "landmark-unique", "duplicate-id", "duplicate-id-aria"]}})
    assert result.response["violations"] == []
    screenshot(page, f"{SHOTS}/stats-320{view.replace('?view=', '-')}.png")
    context.close()
