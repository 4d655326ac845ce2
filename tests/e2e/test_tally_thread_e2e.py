"""The tally thread on a 390×844 phone: a conversation, not a form (issue 15 §1, §6).

Measured, so it stays fixed: the composer at rest is a bar (≤ 25 % of the screen) on the
biggest activities; the thread opens at the newest bubble; after a save the new bubble's
Ångra is the element at its own centre (nothing covers it), online and offline; no page of
the room scrolls sideways; an undone tally stays readable; focus after save and undo.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from models.access import Role, Unit, create_user
from models.catalogue import Activity
from models.core.db import new_session
from models.tally import Tally
from tests.e2e.conftest import axe_violations, login, screenshot, shot, wait_until
from tests.e2e.test_tally import activity_id, chip, last_tally_values, rows, wait_for_rows

SHOTS = Path("/work/shots/tally15")
BIGGEST = [("fia", "faltare-allvarssamtal"), ("kim", "familjecentral-enskilda-samtal"),
           ("kim", "familjecentral-foraldrastodsgrupp")]

# Not innerWidth alone: a mobile browser widens its layout viewport to fit what overflows
# (innerWidth grows with the page); screen.width stays the phone's 390 px.
NO_OVERFLOW_JS = ("() => document.documentElement.scrollWidth"
                  " <= Math.min(window.innerWidth, screen.width)")
# The element at the centre of the newest bubble's Ångra is Ångra itself (or inside it).
UNDO_ON_TOP_JS = """() => {
  const bubbles = document.querySelectorAll('#bubbles > li');
  const undo = bubbles[bubbles.length - 1]?.querySelector('.undo-button');
  if (!undo) return 'no undo';
  const box = undo.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return undo.contains(hit) ? 'ok' : (hit ? hit.outerHTML.slice(0, 80) : 'nothing');
}"""
# The newest bubble is entirely between the app bar and the composer bar.
NEWEST_VISIBLE_JS = """() => {
  const bubbles = document.querySelectorAll('#bubbles > li');
  const last = bubbles[bubbles.length - 1].getBoundingClientRect();
  const top = document.querySelector('.appbar').getBoundingClientRect().bottom;
  const banner = document.getElementById('offline-banner');
  const dock = document.querySelector('.composer-dock').getBoundingClientRect().top;
  const bottom = banner && !banner.hidden
    ? Math.min(dock, banner.getBoundingClientRect().top) : dock;
  return last.top >= top - 1 && last.bottom <= bottom + 1;
}"""

# Chip rows of the open sheet that are cut off at the screen's edge (a clipped chip is no hint).
CUT_OFF_CHIP_ROWS_JS = """() => [...document.querySelectorAll('#composer .chips')]
  .filter((row) => row.checkVisibility() && row.scrollWidth > row.clientWidth + 1)
  .map((row) => row.closest('fieldset, .composer-row')?.id || row.className)"""
# Chips whose label touches or passes their rounded border (the border's curve needs room).
CRAMPED_CHIPS_JS = """() => [...document.querySelectorAll('#composer .chip span')]
  .filter((chip) => chip.checkVisibility())
  .filter((chip) => {
    const range = document.createRange();
    range.selectNodeContents(chip);
    const text = range.getBoundingClientRect(), box = chip.getBoundingClientRect();
    return text.left - box.left < 8 || box.right - text.right < 8;
  })
  .map((chip) => chip.textContent.trim())"""
# The sheet's Spara is on screen and nothing covers it, whatever the fields' scroll.
SPARA_ON_TOP_JS = """() => {
  const spara = document.querySelector('#composer button[type=submit]');
  const box = spara.getBoundingClientRect();
  if (box.top < 0 || box.bottom > innerHeight) return 'off screen';
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return spara.contains(hit) ? 'ok' : (hit ? hit.outerHTML.slice(0, 80) : 'nothing');
}"""


def snap(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, str(SHOTS / f"{name}.png"))
    shot(page, name)


def open_thread(page, app, key: str) -> None:
    page.goto(f"/activities/{activity_id(app, key)}")
    page.locator(".tally-bar").wait_for()
    page.wait_for_timeout(150)  # the scroll to the newest bubble runs after the first frame


def open_sheet(page) -> None:
    page.locator("[data-open-sheet]").tap()
    page.locator("#composer-sheet[open]").wait_for()


@pytest.mark.parametrize("username,key", BIGGEST)
def test_the_composer_at_rest_is_a_bar_of_at_most_a_quarter_of_the_screen(
        page, live_app, username, key):
    login(page, username)
    open_thread(page, live_app, key)
    dock = page.locator(".composer-dock").bounding_box()
    assert dock["height"] <= 0.25 * 844, dock
    print(f"composer bar {key}: {dock['height']:.0f} px = {dock['height'] / 844:.0%}")
    assert page.locator("#composer").is_hidden()
    snap(page, f"bar-{key}")
    open_sheet(page)
    snap(page, f"sheet-{key}")
    assert page.evaluate(NO_OVERFLOW_JS)
    assert page.evaluate(CUT_OFF_CHIP_ROWS_JS) == []  # age bands and the rest wrap
    assert page.evaluate(CRAMPED_CHIPS_JS) == []  # and every label fits inside its chip
    assert page.evaluate(SPARA_ON_TOP_JS) == "ok"  # sticky at the foot of the open sheet
    assert axe_violations(page) == []


def new_combination(page, choices) -> None:
    open_sheet(page)
    for field, label in choices:
        chip(page, field, label).tap()
    page.locator("#composer button[type=submit]").tap()
    page.locator("#composer-sheet").wait_for(state="hidden")


KIM_CHOICES = (("gender", "Kvinna"), ("age_adult", "35–39"), ("household", "Ensamstående"),
               ("problem_area", "Föräldraskap"), ("route_in", "BVC/BHV"))


def test_the_thread_opens_with_the_newest_bubble_fully_visible(page, live_app):
    login(page, "kim")
    open_thread(page, live_app, "familjecentral-enskilda-samtal")
    before = rows(live_app)
    for i in range(4):
        page.locator("#same-again button[type=submit]").tap()
        wait_for_rows(page, live_app, before + i + 1)
    open_thread(page, live_app, "familjecentral-enskilda-samtal")
    assert page.evaluate("() => window.scrollY") > 0  # not at the top any more
    assert page.evaluate(NEWEST_VISIBLE_JS)
    snap(page, "thread-opens-at-newest")


def test_after_a_save_the_new_bubble_and_its_undo_are_uncovered_online_and_offline(
        page, context, live_app):
    login(page, "kim")
    open_thread(page, live_app, "familjecentral-enskilda-samtal")
    before = rows(live_app)
    new_combination(page, KIM_CHOICES)
    wait_for_rows(page, live_app, before + 1)
    page.locator("#bubbles > li:last-child .tally-status", has_text="Sparad").wait_for()
    assert page.locator("#composer-sheet").is_hidden()  # the sheet closed
    assert page.evaluate(UNDO_ON_TOP_JS) == "ok"
    assert page.evaluate(NEWEST_VISIBLE_JS)
    status = page.locator("#saved-status")
    assert status.inner_text().startswith("Sparad · ") and status.inner_text().endswith(" i dag")
    countdown = page.locator("#bubbles > li:last-child .undo-left")
    assert countdown.inner_text().endswith(" s")
    seconds = int(countdown.inner_text().split()[0])
    wait_until(page, "() => parseInt(document.querySelector("
                     f"'#bubbles > li:last-child .undo-left').textContent) < {seconds}")
    assert "35–39" in page.locator("#same-again .again-summary").inner_text()
    snap(page, "saved-online")
    first_count = status.inner_text()
    page.locator("#same-again button[type=submit]").tap()  # a second tap reads differently
    wait_for_rows(page, live_app, before + 2)
    wait_until(page,
               f"() => document.getElementById('saved-status').textContent !== {first_count!r}")

    context.set_offline(True)
    page.locator("#offline-banner").wait_for()
    page.locator("#same-again button[type=submit]").tap()
    page.locator("#bubbles > li.status-pending").wait_for()
    assert page.evaluate(UNDO_ON_TOP_JS) == "ok"
    assert page.evaluate(NEWEST_VISIBLE_JS)
    status.filter(has_text="väntar").wait_for()
    snap(page, "saved-offline")
    context.set_offline(False)
    wait_for_rows(page, live_app, before + 3)


def test_same_again_offline_repeats_the_combination_just_queued(page, context, live_app):
    login(page, "fia")
    open_thread(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    context.set_offline(True)
    new_combination(page, (("gender_young", "Tjej"), ("age_individual", "14"),
                           ("problem_area", "Skola"), ("route_in", "Polis")))  # A
    new_combination(page, (("gender_young", "Kille"), ("age_individual", "19"),
                           ("problem_area", "Psykisk ohälsa"), ("route_in", "Egen kontakt")))  # B
    assert "19" in page.locator("#same-again .again-summary").inner_text()
    page.locator("#same-again button[type=submit]").tap()  # B again
    wait_until(page, "() => document.querySelectorAll('#bubbles .status-pending').length === 3")
    context.set_offline(False)
    wait_for_rows(page, live_app, before + 3)
    assert last_tally_values(live_app) == {"gender_young": "m", "age_individual": "19",
                                           "problem_area": "psykisk_ohalsa", "route_in": "egen"}


def test_a_backdated_tally_waiting_offline_shows_the_chosen_day_and_time(page, context, live_app):
    login(page, "fia")
    open_thread(page, live_app, "faltare-allvarssamtal")
    context.set_offline(True)
    open_sheet(page)
    for field, label in (("gender_young", "Tjej"), ("age_individual", "16"),
                         ("problem_area", "Skola"), ("route_in", "Polis")):
        chip(page, field, label).tap()
    yesterday = page.evaluate("() => { const d = new Date(Date.now() - 864e5); return "
                              "d.toLocaleDateString('sv-SE'); }")
    page.locator("#composer details.when summary").tap()
    page.locator("#when-day").fill(yesterday)
    page.locator("#when-time").fill("10:15")
    label = page.locator("#composer .when-label").inner_text()
    assert label != "När: nu" and "10:15" in label
    page.locator("#composer button[type=submit]").tap()
    pending = page.locator("#bubbles > li.status-pending time")
    pending.wait_for()
    assert "10:15" in pending.inner_text() and pending.inner_text() != "10:15"  # with the day
    assert page.locator("#composer .when-label").inner_text() == "När: nu"  # reset for the next
    context.set_offline(False)


def staff_in_every_unit(app) -> list[int]:
    """A staff member of every unit (the demo's people together miss some activities);
    returns the ids of every activity in the catalogue."""
    with new_session(app.extensions["nara_engine"]) as session:
        create_user(session, "alla", "Alla Enheter", "nara-demo-2026", Role.staff,
                    list(session.exec(select(Unit)).all()))
        session.commit()
        return list(session.exec(select(Activity.id).order_by(Activity.id)).all())


def test_no_activity_scrolls_sideways_at_rest_or_with_the_sheet_open(page, live_app):
    every = staff_in_every_unit(live_app)
    login(page, "alla")
    catalogue = page.request.get("/tally/catalogue.json").json()
    assert len(catalogue["activities"]) >= 15  # every activity that keeps tallies
    for activity_id_ in every:
        assert page.goto(f"/activities/{activity_id_}").status == 200, activity_id_
        page.locator("#main").wait_for()
        assert page.evaluate(NO_OVERFLOW_JS), activity_id_
        if page.locator("[data-open-sheet]").count():
            open_sheet(page)
            assert page.evaluate(NO_OVERFLOW_JS), activity_id_


CONTRAST_JS = """(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const el = document.querySelector(selector);
  const bubble = el.closest('li.tally-bubble');
  const style = getComputedStyle(bubble);
  if (style.opacity !== '1') return 0;  // opacity would blend the text into the page
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(style.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_undone_tally_keeps_its_time_and_status_readable(page, live_app, scheme):
    page.emulate_media(color_scheme=scheme)
    login(page, "fia")
    open_thread(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    page.locator("#same-again button[type=submit]").tap()
    wait_for_rows(page, live_app, before + 1)
    page.locator("#bubbles > li:last-child .tally-status", has_text="Sparad").wait_for()
    page.locator("#bubbles > li:last-child .undo-button").tap()
    page.locator("#bubbles > li.status-voided:last-child").wait_for()
    for part in ("time", ".tally-status", ".tally-lines li"):
        ratio = page.evaluate(CONTRAST_JS, f"#bubbles > li:last-child {part}")
        assert ratio >= 4.5, (scheme, part, ratio)
    assert axe_violations(page) == []
    snap(page, f"undone-{scheme}")


def voided_rows(app) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return len([t for t in session.exec(select(Tally)).all() if t.voided_at is not None])


def test_undo_tapped_while_the_tally_is_on_its_way_undoes_it_once_it_is_saved(page, live_app):
    """Ångra on a waiting bubble whose request is already sent cannot take it back from the
    phone; the tap must not be lost: the tally is undone on the server as soon as it is saved."""
    login(page, "fia")
    open_thread(page, live_app, "faltare-allvarssamtal")
    before, voided = rows(live_app), voided_rows(live_app)
    held = []
    page.route("**/activities/*/tallies", lambda route: held.append(route))
    page.locator("#same-again button[type=submit]").tap()
    wait_until(page, "() => document.querySelector('#bubbles > li[data-uuid]') !== null")
    while not held:  # the request is on its way, held by the network
        page.wait_for_timeout(50)
    page.locator("#bubbles > li[data-uuid] .undo-button").tap()
    page.locator("#saved-status", has_text="Ångras så snart").wait_for()
    held.pop().continue_()
    page.locator("#bubbles > li.status-voided:last-child").wait_for()
    assert (rows(live_app), voided_rows(live_app)) == (before + 1, voided + 1)


def test_keyboard_only_a_tally_is_saved_and_undone_and_focus_never_falls_to_the_page(
        page, live_app):
    login(page, "fia")
    open_thread(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    page.evaluate("() => { document.getElementById('saved-status').dataset.kept = 'yes'; }")
    page.locator("[data-open-sheet]").focus()
    page.keyboard.press("Enter")  # "Ny": the sheet opens and takes focus
    page.locator("#composer-sheet[open]").wait_for()
    assert page.evaluate(
        "() => document.getElementById('composer-sheet').contains(document.activeElement)")
    for field, label in (("gender_young", "Tjej"), ("age_individual", "15"),
                         ("problem_area", "Skola"), ("route_in", "Polis")):
        chip(page, field, label).locator("input").focus()
        page.keyboard.press("Space")
    page.locator("#composer button[type=submit]").focus()
    page.keyboard.press("Enter")
    wait_for_rows(page, live_app, before + 1)
    # the sheet closed and gave focus back to "Ny"
    wait_until(page, "() => document.activeElement.matches('[data-open-sheet]')")
    page.locator("#bubbles > li:last-child .tally-status", has_text="Sparad").wait_for()
    # back through the thread to the new bubble's Ångra, and Enter
    on_undo = "() => document.activeElement.matches('#bubbles > li:last-child .undo-button')"
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(on_undo):
            break
    assert page.evaluate(on_undo)
    page.keyboard.press("Enter")
    page.locator("#bubbles > li.status-voided:last-child").wait_for()
    # focus is on the undone bubble (not <body>), and the live region said so
    assert page.evaluate(
        "() => document.activeElement.matches('#bubbles > li.status-voided:last-child')")
    assert page.locator("#saved-status").inner_text().startswith("Ångrad · ")
    assert page.locator("#saved-status").get_attribute("role") == "status"
    # the live region is the one that was in the page: updated in place, never swapped
    assert page.locator("#saved-status").get_attribute("data-kept") == "yes"


def test_a_journal_link_offline_says_it_needs_a_connection(page, context):
    login(page, "hanna")
    page.goto("/")
    row = page.locator('a.thread-row[href*="/journal/"]').first
    row.wait_for()
    context.set_offline(True)
    url = page.url
    row.tap()
    page.locator("#needs-connection").wait_for()
    assert "anslutning" in page.locator("#needs-connection").inner_text()
    assert page.url == url
    context.set_offline(False)


def test_closing_the_sheet_keeps_the_choices_and_it_reads_well_in_dark_mode(page, live_app):
    page.emulate_media(color_scheme="dark")
    login(page, "kim")
    open_thread(page, live_app, "familjecentral-foraldrastodsgrupp")
    snap(page, "bar-dark")
    open_sheet(page)
    chip(page, "age_adult", "45–49").tap()
    snap(page, "sheet-dark")
    assert axe_violations(page) == []
    page.locator("[data-close-sheet]").tap()
    page.locator("#composer-sheet").wait_for(state="hidden")
    open_sheet(page)
    assert chip(page, "age_adult", "45–49").locator("input").is_checked()
    page.keyboard.press("Escape")  # Escape closes it too, and keeps them as well
    page.locator("#composer-sheet").wait_for(state="hidden")
    open_sheet(page)
    assert chip(page, "age_adult", "45–49").locator("input").is_checked()
