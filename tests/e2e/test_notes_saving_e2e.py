"""A working note shows it is saving (issue 15 §3): on a 2 s network the talk's button is
busy at once and the note shows as "Sparar …"; a failed save keeps the note with the error
at the field; ending the contact is below the talks, and still asks first."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import login, screenshot, wait_until
from tests.e2e.test_journal_saving_e2e import SHOTS

TALKS = re.compile(r".*/notes/\d+/talks$")


def _open_contact(page):
    login(page, "kim")
    page.goto("/notes/")
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    page.goto(next(h for h in hrefs if re.fullmatch(r"/notes/\d+", h)))
    page.locator("#talk-composer").wait_for()


def test_a_slow_talk_is_busy_at_once_and_then_announced(page):
    _open_contact(page)
    held = []
    page.route(TALKS, lambda route: held.append(route))
    page.get_by_label("Arbetsanteckning (frivillig)").fill("Pratade om skolan.")
    button = page.locator("#talk-composer button[type=submit]")
    label = button.inner_text()
    button.click(no_wait_after=True)
    wait_until(page, """
        document.querySelector('#talk-composer').getAttribute('aria-busy') === 'true'
        && !!document.querySelector('#bubbles .bubble.saving')""", timeout=0.3 + 0.2)
    expect(page.locator("#bubbles .bubble.saving")).to_contain_text("Pratade om skolan.")
    screenshot(page, f"{SHOTS}/notes-saving.png")
    page.wait_for_timeout(2000)
    held.pop().continue_()
    number = int(label.rsplit(" ", 1)[1])
    expect(page.locator("#saved-status")).to_have_text(f"Samtal {number} är registrerat.")
    expect(page.locator("#bubbles .bubble.saving")).to_have_count(0)
    expect(page.locator(".bubble").filter(has_text="Pratade om skolan.")).to_be_visible()
    assert not page.console_errors, page.console_errors


def test_a_failed_talk_keeps_the_note_with_the_error_at_the_field(page):
    _open_contact(page)
    page.route(TALKS, lambda route: route.fulfill(
        status=500, content_type="text/html; charset=utf-8",
        headers={"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"},
        body='<div class="notice-card notice-error" role="alert"><p>Något gick fel</p></div>'))
    note = page.get_by_label("Arbetsanteckning (frivillig)")
    note.fill("Vill ses igen på torsdag.")
    page.locator("#talk-composer button[type=submit]").click()
    expect(page.locator("#err-save")).to_be_visible()
    expect(note).to_have_value("Vill ses igen på torsdag.")
    expect(note).to_be_focused()


def test_ending_the_contact_sits_below_the_talks_and_asks_first(page):
    _open_contact(page)
    end = page.get_by_role("link", name="Avsluta kontakten och radera anteckningarna")
    last_talk = page.locator("#bubbles > li").last
    assert end.bounding_box()["y"] > last_talk.bounding_box()["y"]
    end.click()
    expect(page.get_by_role("button", name="Avsluta kontakten och radera anteckningarna")
           ).to_be_visible()  # the confirmation page, nothing shredded yet
