"""The field worker's evening (issue 15 §2): three activities opened online, then offline
for the rest of the evening, tapping between them inside the app as in an installed app.

Kim is the demo's staff member with three activities that keep tallies (Fia, the demo's
fältare, has two and an exempt one); the evening is the same for any of them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import controlled, login, wait_until
from tests.e2e.test_tally import PENDING_JS, activity_id, chip, rows, wait_for_rows
from tests.e2e.test_tally_thread_e2e import NO_OVERFLOW_JS, UNDO_ON_TOP_JS, snap

EVENING = [
    ("familjecentral-enskilda-samtal",
     (("gender", "Kvinna"), ("age_adult", "30–34"), ("household", "Ensamstående"),
      ("problem_area", "Föräldraskap"), ("route_in", "BVC/BHV"))),
    ("familjecentral-foraldrastodsgrupp",
     (("gender_adult", "Man"), ("age_adult", "25–29"), ("household", "Sammanboende"),
      ("route_in", "BVC/BHV"))),
    ("motesplats-oppen-verksamhet", None),
]


def no_overflow(page, where: str) -> None:
    assert page.evaluate(NO_OVERFLOW_JS), where


def tap_row(page, app, key: str) -> None:
    """From the inbox (online page or the offline shell), tap the activity's row."""
    page.locator(f'a.thread-row[href="/activities/{activity_id(app, key)}"]').tap()
    page.locator("#bubbles").wait_for(state="attached")
    page.locator(".tally-bar").wait_for()
    page.wait_for_timeout(200)
    no_overflow(page, key)


def back_to_inbox(page) -> None:
    page.locator("a.back").tap()
    page.locator("a.thread-row").first.wait_for()
    no_overflow(page, "inbox")


def pending_here(page) -> int:
    return page.locator("#bubbles > li.status-pending").count()


def wait_pending(page, count: int) -> None:
    wait_until(page, "() => document.querySelectorAll('#bubbles > li.status-pending')"
                     f".length === {count}")


def log_first(page, choices) -> None:
    """The first tally of the evening in an activity: "Ny", the chips, Spara."""
    page.locator("[data-open-sheet]").tap()
    page.locator("#composer-sheet[open]").wait_for()
    no_overflow(page, "sheet")
    if choices:
        for field, label in choices:
            chip(page, field, label).tap()
    else:  # a count: one more of the first stepper
        page.locator("#composer button.step[data-step='1']").first.tap()
    before = pending_here(page)
    page.locator("#composer button[type=submit]").tap()
    page.locator("#composer-sheet").wait_for(state="hidden")
    # its bubble is there before the next tap counts the bubbles (on a busy machine it came
    # after, and "Samma igen" then waited for one bubble too few)
    wait_pending(page, before + 1)


def log_again(page, times: int) -> None:
    for _ in range(times):
        before = pending_here(page)
        page.locator("#same-again button[type=submit]").tap()
        wait_pending(page, before + 1)
        assert page.evaluate(UNDO_ON_TOP_JS) == "ok"
        no_overflow(page, "after a tally")


@pytest.mark.live_server(process=True)
def test_the_field_workers_evening_offline_arrives_exactly_once(
        page, context, live_app, live_server):
    login(page, "kim")
    controlled(page)
    before = rows(live_app)
    page.goto("/")
    for key, _choices in EVENING:  # online: open each activity from the inbox
        tap_row(page, live_app, key)
        back_to_inbox(page)

    context.set_offline(True)
    # 1: five tallies; the first through the sheet, then "Samma igen" (on the cached page)
    tap_row(page, live_app, EVENING[0][0])
    assert page.locator("[data-shell-title]").count() == 1  # the offline shell
    log_first(page, EVENING[0][1])
    log_again(page, 4)
    snap(page, "evening-shell")
    back_to_inbox(page)
    assert page.locator("#offline-activities").count() == 1  # the offline inbox shell
    snap(page, "evening-inbox-shell")

    # 2: six tallies and one undo
    tap_row(page, live_app, EVENING[1][0])
    log_first(page, EVENING[1][1])
    log_again(page, 5)
    page.locator("#bubbles > li.status-pending:last-child [data-undo]").tap()
    wait_pending(page, 5)
    assert page.evaluate("() => document.activeElement.matches('#same-again button')")

    page.reload()  # offline: the shell again, the waiting bubbles in the order they were made
    page.locator("#bubbles > li.status-pending >> nth=4").wait_for()
    created = page.evaluate("() => [...document.querySelectorAll('#bubbles > li[data-uuid]')]"
                            ".map((li) => Number(li.dataset.created))")
    assert created == sorted(created) and len(created) == 5
    no_overflow(page, "reloaded shell")
    back_to_inbox(page)

    # 3: five tallies
    tap_row(page, live_app, EVENING[2][0])
    log_first(page, EVENING[2][1])
    log_again(page, 4)
    wait_until(page, "() => document.querySelector('#outbox-badge .outbox-count')"
                     ".textContent.trim() === '15'")
    assert rows(live_app) == before

    live_server.kill()  # SIGKILL: the server dies and comes back while the phone is offline
    live_server.start()
    context.set_offline(False)
    wait_for_rows(page, live_app, before + 15)
    wait_until(page, "() => document.getElementById('outbox-badge').hidden", timeout=20)
    assert page.evaluate(PENDING_JS) == 0
    page.wait_for_timeout(500)
    assert rows(live_app) == before + 15  # and not one more
    for key, _choices in EVENING:  # every bubble of the evening says "Sparad"
        page.goto(f"/activities/{activity_id(live_app, key)}")
        page.locator(".tally-bar").wait_for()
        statuses = page.locator("#bubbles > li .tally-status").all_inner_texts()
        assert statuses and set(statuses) <= {"Sparad", "Ångrad", "Rättad", "Sparad (rättelse)"}
        assert page.locator("#bubbles > li.status-pending").count() == 0
        no_overflow(page, key)
    expect(page.locator("#outbox-badge .outbox-count")).to_have_text("0")
