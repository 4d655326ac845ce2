"""Pinnstatistik in a phone browser: taps per tally, the offline outbox, exactly once."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

from models.catalogue import Activity
from models.core.db import new_session
from models.tally import Tally, values_of
from tests.e2e.conftest import (
    SHOTS,
    Taps,
    axe_violations,
    controlled,
    login,
    offline_notices,
    shot,
    wait_until,
)

PENDING_JS = """() => new Promise((resolve) => {
  const open = indexedDB.open("nara-outbox");
  open.onsuccess = () => {
    const read = open.result.transaction("items").objectStore("items").getAll();
    read.onsuccess = () => resolve(read.result.length);
  };
})"""


def rows(app) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(func.count()).select_from(Tally)).one()


def last_tally_values(app) -> dict:
    with new_session(app.extensions["nara_engine"]) as session:
        tally = session.exec(select(Tally).order_by(Tally.id.desc())).first()
        return values_of(session, [tally])[tally.id]


def activity_id(app, key: str) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(Activity.id).where(Activity.key == key)).one()


def open_activity(page, app, key: str) -> None:
    page.goto(f"/activities/{activity_id(app, key)}")
    page.locator("#composer").wait_for(state="attached")  # in the closed sheet


def open_sheet(page, taps=None) -> None:
    """'Ny': the composer opens as a sheet over the thread."""
    (taps or (lambda locator: locator.tap()))(page.locator("[data-open-sheet]"))
    page.locator("#composer-sheet[open]").wait_for()


def chip(page, field: str, label: str):
    return page.locator(f'#composer fieldset[data-field="{field}"] label.chip',
                        has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def wait_for_rows(page, app, expected: int) -> None:
    for _ in range(100):
        if rows(app) == expected:
            return
        page.wait_for_timeout(100)
    assert rows(app) == expected




# (user, activity key, taps for a new combination: [(field, chip label) | ("+", stepper)],
#  number of fields in the activity)
TAP_CASES = [
    ("fia", "faltare-allvarssamtal",
     [("gender_young", "Tjej"), ("age_individual", "17"), ("problem_area", "Skola"),
      ("route_in", "Skola")], 4),
    ("kim", "motesplats-oppen-verksamhet", [("+", "visitors_by_gender.k")], 1),
    ("kim", "familjecentral-enskilda-samtal",
     [("gender", "Kvinna"), ("age_adult", "30–34"), ("household", "Ensamstående"),
      ("problem_area", "Föräldraskap"), ("route_in", "BVC/BHV")], 8),
]


def test_a_new_combination_takes_a_tap_per_field_and_same_again_one_tap(page, live_app):
    report = {}
    for username, key, steps, fields in TAP_CASES:
        page.context.clear_cookies()
        login(page, username)
        open_activity(page, live_app, key)
        before = rows(live_app)
        taps = Taps(page)
        open_sheet(page, taps)
        for field, label in steps:
            if field == "+":
                taps(page.locator(f'button.step[data-step="1"][data-for="in-{label}"]'))
            else:
                taps(chip(page, field, label))
        taps(page.locator("#composer button[type=submit]"))
        wait_for_rows(page, live_app, before + 1)
        new_combination = taps.count
        page.locator("#same-again .again-summary").wait_for()
        same = Taps(page)
        same(page.locator("#same-again button[type=submit]"))
        wait_for_rows(page, live_app, before + 2)
        load = Taps(page)
        load(page.locator("#same-again a[data-load-again]"))
        load(page.locator("#composer button[type=submit]"))
        wait_for_rows(page, live_app, before + 3)
        assert new_combination <= fields + 2, (key, new_combination)  # + open the sheet, save
        assert same.count == 1 and load.count == 2
        report[key] = {"fields": fields, "new_combination_taps": new_combination,
                       "same_again_taps": same.count, "load_then_save_taps": load.count}
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS.parent / "tally-taps.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    assert not page.console_errors, page.console_errors


def test_composer_on_a_phone_passes_axe_and_saves_what_was_chosen(page, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    assert axe_violations(page) == []
    open_sheet(page)
    assert axe_violations(page) == []
    shot(page, "tally-composer")
    for field, label in (("gender_young", "Kille"), ("age_individual", "14"),
                         ("problem_area", "Psykisk ohälsa"), ("route_in", "Egen kontakt")):
        chip(page, field, label).tap()
    before = rows(live_app)
    page.locator("#composer button[type=submit]").tap()
    wait_for_rows(page, live_app, before + 1)
    assert last_tally_values(live_app) == {"gender_young": "m", "age_individual": "14",
                                           "problem_area": "psykisk_ohalsa",
                                           "route_in": "egen"}
    page.locator(".tally-bubble .tally-status", has_text="Sparad").last.wait_for()
    assert axe_violations(page) == []
    shot(page, "tally-saved")
    assert not page.console_errors, page.console_errors


def test_required_chips_are_highlighted_in_the_browser_before_anything_is_sent(page, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    open_sheet(page)
    chip(page, "gender_young", "Tjej").tap()
    page.locator("#composer button[type=submit]").tap()
    invalid = page.locator("#composer fieldset.invalid")
    assert invalid.count() == 3  # age, problem area, route in
    assert page.locator("#err-age_individual").inner_text() == "Välj ett."
    assert chip(page, "gender_young", "Tjej").locator("input").is_checked()  # kept
    page.wait_for_timeout(300)
    assert rows(live_app) == before and page.evaluate(PENDING_JS) == 0
    shot(page, "tally-required")


def test_undo_within_ten_seconds_takes_the_tally_back(page, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    page.locator("#same-again button[type=submit]").tap()
    wait_for_rows(page, live_app, before + 1)
    bubble = page.locator(".tally-bubble").last
    bubble.get_by_role("button", name="Ångra").tap()
    bubble_status = page.locator(".tally-bubble .tally-status", has_text="Ångrad")
    bubble_status.wait_for()
    with new_session(live_app.extensions["nara_engine"]) as session:
        last = session.exec(select(Tally).order_by(Tally.id.desc())).first()
        assert last.void_reason == "undo"


def test_twenty_tallies_offline_and_with_the_server_down_arrive_exactly_once(
        page, context, live_app, live_server):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)

    def log(i: int) -> None:
        if i % 2:
            page.locator("#same-again button[type=submit]").tap()
        else:
            open_sheet(page)
            for field, label in (("gender_young", "Tjej" if i % 4 else "Kille"),
                                 ("age_individual", str(13 + i % 9)),
                                 ("problem_area", "Skola"), ("route_in", "Polis")):
                chip(page, field, label).tap()
            page.locator("#composer button[type=submit]").tap()
        page.locator(f"#bubbles .status-pending >> nth={i}").wait_for()

    live_server.stop()  # the server does not answer
    for i in range(6):
        log(i)
    # Now the phone has no network, and then the server is back (in this order: the outbox
    # keeps trying while the server is down, and a try between the two would save a tally)
    context.set_offline(True)
    live_server.start()
    for i in range(6, 20):
        log(i)
    # the badge counts what IndexedDB has committed, a moment after the bubble shows
    expect(page.locator("#outbox-badge .outbox-count")).to_have_text("20")
    assert page.locator("#outbox-badge").is_visible()
    assert rows(live_app) == before
    shot(page, "tally-pending-badge")
    context.set_offline(False)
    wait_until(page, "() => document.getElementById('outbox-badge').hidden", timeout=20)
    wait_for_rows(page, live_app, before + 20)
    assert page.evaluate(PENDING_JS) == 0
    assert page.locator("#bubbles .status-pending").count() == 0
    page.wait_for_timeout(500)
    assert rows(live_app) == before + 20  # and not one more
    shot(page, "tally-synced")


def test_an_activity_opens_offline_from_the_cached_catalogue(page, context, live_app):
    login(page, "fia")
    controlled(page)
    before = rows(live_app)
    context.set_offline(True)
    page.goto(f"/activities/{activity_id(live_app, 'faltare-gruppverksamhet')}")
    page.locator("[data-shell-title]", has_text="Gruppverksamhet").wait_for()
    open_sheet(page)
    page.locator('button.step[data-step="1"][data-for="in-children_by_gender.k"]').tap()
    page.locator("#composer button[type=submit]").tap()
    page.locator("#bubbles .status-pending").wait_for()
    # the badge is updated once the IndexedDB write has committed
    wait_until(page,
        "() => document.querySelector('#outbox-badge .outbox-count').textContent.trim() === '1'")
    shot(page, "tally-offline-shell")
    context.set_offline(False)
    wait_for_rows(page, live_app, before + 1)
    assert last_tally_values(live_app)["children_by_gender"] == {"k": 1}


def test_the_offline_inbox_says_once_that_it_is_offline(page, context, live_app):
    login(page, "fia")
    controlled(page)
    context.set_offline(True)
    page.goto("/")
    page.locator("#offline-activities a.thread-row").first.wait_for()
    visible = offline_notices(page)
    assert len(visible) == 1 and visible[0].startswith("Du är offline"), visible


def open_offline_shell(page, context, live_app) -> None:
    """fia's phone, ready and then offline, on Gruppverksamhet: the activity's shell."""
    login(page, "fia")
    controlled(page)
    context.set_offline(True)
    page.goto(f"/activities/{activity_id(live_app, 'faltare-gruppverksamhet')}")
    page.locator("[data-shell-title]", has_text="Gruppverksamhet").wait_for()


def test_an_activity_offline_says_once_that_it_is_offline(page, context, live_app):
    open_offline_shell(page, context, live_app)
    visible = offline_notices(page)
    assert len(visible) == 1 and visible[0].startswith("Du är offline"), visible


def test_logout_with_unsent_tallies_warns_then_clears_the_phone(page, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    page.route("**/activities/*/tallies", lambda route: route.abort())  # the server is away
    page.locator("#same-again button[type=submit]").tap()
    page.locator("#bubbles .status-pending").wait_for()
    page.goto("/account")
    messages = []

    def answer(dialog, accept):
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_timeout(500)
    assert "1" in messages[0] and page.url.endswith("/account")
    assert page.evaluate(PENDING_JS) == 1
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login?reason=logged-out*")
    assert page.evaluate(PENDING_JS) == 0
    assert page.evaluate("() => caches.has('nara-tally-data')") is False


def test_logout_sends_what_is_waiting_first(page, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    page.route("**/activities/*/tallies", lambda route: route.abort())
    page.locator("#same-again button[type=submit]").tap()
    page.locator("#bubbles .status-pending").wait_for()
    page.goto("/account")
    page.unroute("**/activities/*/tallies")
    page.get_by_role("button", name="Logga ut").click()  # no dialog: the flush succeeds
    page.wait_for_url("**/login?reason=logged-out*")
    assert rows(live_app) == before + 1


def test_exempt_page_correction_page_and_unit_lists_pass_axe(page, live_app):
    login(page, "fia")
    page.goto(f"/activities/{activity_id(live_app, 'faltare-uppsokande')}")
    assert page.get_by_text("relationsskapande").is_visible()
    assert page.locator("#composer").count() == 0
    assert axe_violations(page) == []
    open_activity(page, live_app, "faltare-allvarssamtal")
    page.locator(".tally-bubble a", has_text="Rätta").first.click()
    page.get_by_role("heading", name="Rätta en registrering").wait_for()
    assert axe_violations(page) == []
    shot(page, "tally-correct")
    page.context.clear_cookies()
    login(page, "maja")
    page.goto(f"/activities/{activity_id(live_app, 'faltare-allvarssamtal')}")
    page.locator(".tally-about summary").click()
    page.get_by_role("link", name="Ändra listorna för Fältgruppen").click()
    page.get_by_role("heading", name="Listor för Fältgruppen").wait_for()
    assert axe_violations(page) == []
    shot(page, "tally-unit-lists")
    assert not page.console_errors, page.console_errors
