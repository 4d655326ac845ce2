"""Issue 15 §6 on the pages this change touched: axe finds nothing in Swedish, English
and dark mode; the statistics page reflows at 320 CSS px with unique landmark names."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, axe_violations

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


def _first(page, pattern: str) -> str:
    page.goto("/")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return next(h for h in hrefs if re.fullmatch(pattern, h))


def _context(browser, live_server, mode: str, **extra):
    options = {**PHONE, **MODES[mode], **extra}
    return browser.new_context(base_url=live_server.url, **options)


@pytest.mark.parametrize("mode", list(MODES))
def test_the_touched_pages_pass_axe_in_both_languages_and_dark_mode(browser, live_server, mode):
    context = _context(browser, live_server, mode)
    page = context.new_page()
    _sign_in(page, "hanna")
    astrid = _first(page, r"/journal/\d+")
    found: dict[str, list] = {}
    for name, url in {"journal-thread": astrid, "consent": f"{astrid}/consent"}.items():
        assert page.goto(url).status == 200
        if name == "journal-thread":  # with the guide and "när" open, a note saved
            page.locator("details.guide > summary").click()
            page.locator("details.composer-more > summary").click()
        found[name] = axe_violations(page)
        page.screenshot(path=f"{SHOTS}/{name}-{mode}.png", caret="initial")
    context.close()

    context = _context(browser, live_server, mode)
    page = context.new_page()
    _sign_in(page, "kim")
    page.goto("/notes/")
    contact = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))")
    contact = next(h for h in contact if re.fullmatch(r"/notes/\d+", h))
    page.goto(contact)
    found["notes-contact"] = axe_violations(page)
    page.screenshot(path=f"{SHOTS}/notes-contact-{mode}.png", caret="initial", full_page=True)
    context.close()

    context = _context(browser, live_server, mode)
    page = context.new_page()
    _sign_in(page, "fia")
    page.goto(_first(page, r"/activities/\d+"))
    found["tally-thread"] = axe_violations(page)  # own bubbles' "Rätta" links in dark mode
    page.screenshot(path=f"{SHOTS}/tally-thread-{mode}.png", caret="initial")
    context.close()

    context = _context(browser, live_server, mode)
    page = context.new_page()
    _sign_in(page, "maja")
    for view in ("", "?view=exact"):
        page.goto(f"/manage/stats{view}")
        found[f"stats{view}"] = axe_violations(page)
    context.close()
    assert {name: [v["id"] for v in violations] for name, violations in found.items()
            if violations} == {}


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
    page.screenshot(path=f"{SHOTS}/stats-320{view.replace('?view=', '-')}.png", caret="initial")
    context.close()
