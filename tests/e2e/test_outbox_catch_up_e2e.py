"""The outbox catching up after a time without signal, and the outbox shared by tabs.

Tallies logged offline are sent one by one when the connection returns; their answers are
drawn together (at most five times a second) and the waiting count is read from the page's
copy of the outbox. These tests hold what a person sees through that: every tally saved
once, the newest combination stays "Samma igen", the day's count is right, and tallies
queued in another tab are counted. bench/outbox_drain.py measures the catch-up's time;
tests/e2e/test_tally.py and test_chaos_e2e.py hold exactly-once under worse conditions.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import login, wait_until
from tests.e2e.test_tally import rows, wait_for_rows
from tests.e2e.test_tally_thread_e2e import new_combination, open_thread

ALLVARSSAMTAL = "faltare-allvarssamtal"
FIRST = (("gender_young", "Tjej"), ("age_individual", "14"), ("problem_area", "Skola"),
         ("route_in", "Polis"))
NEWEST = (("gender_young", "Kille"), ("age_individual", "19"),
          ("problem_area", "Psykisk ohälsa"), ("route_in", "Egen kontakt"))
PENDING = "#bubbles li[data-uuid]"


def tap_same_again(page, times: int, waiting: int) -> int:
    """`times` taps on "Samma igen", each once the one before shows as pending; the number
    of pending bubbles then (`waiting` before)."""
    for _ in range(times):
        page.locator("#same-again button[type=submit]").tap()
        waiting += 1
        expect(page.locator(PENDING)).to_have_count(waiting)
    return waiting


def test_a_backlog_sent_on_reconnect_becomes_saved_bubbles_with_the_newest_combination(
        page, context, live_app):
    login(page, "fia")
    open_thread(page, live_app, ALLVARSSAMTAL)
    before = rows(live_app)
    today = int(page.locator("#saved-status").get_attribute("data-today"))
    context.set_offline(True)
    new_combination(page, FIRST)
    expect(page.locator(PENDING)).to_have_count(1)
    tap_same_again(page, 9, waiting=1)
    new_combination(page, NEWEST)  # queued last: it is what "Samma igen" must repeat
    expect(page.locator(PENDING)).to_have_count(11)

    context.set_offline(False)
    wait_until(page, "() => document.getElementById('outbox-badge').hidden", timeout=30)
    wait_for_rows(page, live_app, before + 11)
    expect(page.locator(PENDING)).to_have_count(0)
    expect(page.locator("#same-again .again-summary")).to_contain_text("19")
    expect(page.locator("#saved-status")).to_have_text(f"Sparad · {today + 11} i dag")


def test_a_tally_queued_in_another_tab_counts_in_this_tabs_waiting_count(
        page, context, live_app):
    login(page, "fia")
    open_thread(page, live_app, ALLVARSSAMTAL)
    other = context.new_page()
    open_thread(other, live_app, ALLVARSSAMTAL)
    context.set_offline(True)
    tap_same_again(page, 1, waiting=0)
    tap_same_again(other, 2, waiting=0)  # the same phone, the same outbox, another tab
    tap_same_again(page, 1, waiting=1)  # this tab draws its own and the live ones only
    expect(page.locator("#saved-status")).to_have_text("Sparad i telefonen · 4 väntar")
    context.set_offline(False)
    wait_until(page, "() => document.getElementById('outbox-badge').hidden", timeout=30)
    other.close()
