"""The admin room on a phone (390×844): every page fits and passes axe; an activity's
field edited in the browser makes a new field version while old tallies keep theirs; a
settings change is in the admin log with before and after; deactivation asks first."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import func, select

from models.access import Unit, User
from models.catalogue import Activity, FieldSet, current_field_set, spec_of
from models.core.db import new_session
from models.tally.record import Tally
from tests.e2e.conftest import SHOTS, axe_violations, login, screenshot, shot

OURS = Path("/work/shots/admin17")  # where the lead collects screenshots, when it exists


def look(page, name: str) -> None:
    """A screenshot of the viewport and of the whole page (test-artifacts/screenshots/, and
    /work/shots/admin17 when /work/shots exists), kept for people to look at."""
    path = shot(page, f"admin-{name}")
    full = SHOTS / f"admin-{name}-full.png"
    screenshot(page, full, full_page=True)
    if OURS.parent.exists():
        OURS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, OURS / f"{name}.png")
        shutil.copy(full, OURS / f"{name}-full.png")


def fits_and_passes_axe(page, name: str) -> None:
    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, Math.min(innerWidth, screen.width)]")
    assert width[0] <= width[1], f"{name} scrolls sideways: {width}"
    assert axe_violations(page) == [], name
    look(page, name)


def _busiest_activity(app) -> tuple[int, int, int]:
    """The loggable activity with the most tallies: (activity id, a tally id, its set)."""
    with new_session(app.extensions["nara_engine"]) as session:
        row = session.exec(
            select(FieldSet.activity_id, func.count())
            .join(Tally, Tally.field_set_id == FieldSet.id).group_by(FieldSet.activity_id)
            .order_by(func.count().desc())).first()
        tally = session.exec(select(Tally).join(FieldSet, FieldSet.id == Tally.field_set_id)
                             .where(FieldSet.activity_id == row[0])).first()
        return row[0], tally.id, tally.field_set_id


def _ids(app, model, **where):
    with new_session(app.extensions["nara_engine"]) as session:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return session.exec(stmt).first().id


def test_every_admin_page_fits_the_phone_and_passes_axe(page, live_app):
    login(page, "admin")
    fia = _ids(live_app, User, username="fia")
    me = _ids(live_app, User, username="admin")  # signed in here: a live session listed
    unit = _ids(live_app, Unit, name="Fältgruppen")
    activity, _tally, _set = _busiest_activity(live_app)
    for name, url in (
        ("people", "/admin/"), ("new-person", "/admin/users/new"), ("units", "/admin/units"),
        ("person", f"/admin/users/{fia}"), ("person-signed-in", f"/admin/users/{me}"),
        ("deactivate", f"/admin/users/{fia}/deactivate"),
        ("catalogue", "/admin/catalogue"), ("activity", f"/admin/catalogue/{activity}"),
        ("new-activity", "/admin/catalogue/new"), ("settings", "/admin/settings"),
        ("unit-settings", f"/admin/settings/units/{unit}"), ("log", "/admin/log"),
    ):
        page.goto(url)
        fits_and_passes_axe(page, name)


def test_people_rows_are_links_apart_from_the_new_person_form(page, live_app):
    login(page, "admin")
    page.goto("/admin/")
    expect(page.locator("form input[name=username]")).to_have_count(0)
    row = page.locator("#people a", has_text="Fia Fältare")
    box = row.bounding_box()
    assert box["height"] >= 44 and box["width"] > 300  # the whole row is the target
    row.tap()
    page.wait_for_url("**/admin/users/*")
    expect(page.locator("#person-facts")).to_contain_text("Fältgruppen")


def test_editing_a_field_makes_a_new_version_and_an_old_tally_keeps_its_own(page, live_app):
    activity, tally, old_set = _busiest_activity(live_app)
    login(page, "admin")
    page.goto(f"/admin/catalogue/{activity}")
    first = page.locator("#field-0")
    first.locator("summary").tap()  # each field folds open
    label = first.locator("input[name=f0_label]")
    label.fill(label.input_value() + " (ny)")
    first.locator("input[name=f0_required]").set_checked(True)
    page.locator("#save-activity").tap()
    expect(page.locator("#activity-saved")).to_contain_text("tidigare pinnar")
    look(page, "activity-saved")
    with new_session(live_app.extensions["nara_engine"]) as session:
        assert session.get(Tally, tally).field_set_id == old_set
        new = session.exec(select(func.max(FieldSet.version))
                           .where(FieldSet.activity_id == activity, FieldSet.base)).one()
        assert new > session.get(FieldSet, old_set).version
        act = session.get(Activity, activity)
        field = session.exec(select(FieldSet).where(FieldSet.activity_id == activity,
                                                    FieldSet.version == new)).one()
        assert spec_of(session, field.id).fields[0].required
        assert current_field_set(session, act, None).version == new
    page.goto("/admin/log")
    expect(page.locator("#admin-log li").first).to_contain_text("Verksamhet ändrad")


def test_a_settings_change_is_in_the_admin_log_with_before_and_after(page, live_app):
    unit = _ids(live_app, Unit, name="Mötesplatsen")
    login(page, "admin")
    page.goto(f"/admin/settings/units/{unit}")
    page.get_by_label("Dagar utan samtal innan").fill("45")
    page.get_by_role("button", name="Spara gränsen").tap()
    expect(page.locator("#settings-saved")).to_be_visible()
    page.goto("/admin/log")
    entry = page.locator("#admin-log li").first
    expect(entry).to_contain_text("Mötesplatsen")
    expect(entry.locator(".before")).to_have_text("Dagar utan samtal: 90")
    expect(entry.locator(".after")).to_have_text("Dagar utan samtal: 45")
    fits_and_passes_axe(page, "log-after-setting")


def test_deactivation_asks_for_a_confirmation_first(page, live_app):
    fia = _ids(live_app, User, username="fia")
    login(page, "admin")
    page.goto(f"/admin/users/{fia}")
    page.locator("#deactivate-link").tap()
    page.wait_for_url(f"**/admin/users/{fia}/deactivate")
    page.get_by_role("button", name="Inaktivera", exact=True).tap()
    expect(page.locator("#err-confirm")).to_be_visible()
    fits_and_passes_axe(page, "deactivate-unconfirmed")
    with new_session(live_app.extensions["nara_engine"]) as session:
        assert session.get(User, fia).active
    page.locator("#confirm-deactivate").check()
    page.get_by_role("button", name="Inaktivera", exact=True).tap()
    page.wait_for_url(f"**/admin/users/{fia}?done=active")
    expect(page.locator("#person-facts")).to_contain_text("inaktiverad")
    look(page, "deactivated")
    with new_session(live_app.extensions["nara_engine"]) as session:
        assert not session.get(User, fia).active


def test_a_mistake_in_a_field_opens_it_with_the_error_and_keeps_the_text(page, live_app):
    activity, _tally, _set = _busiest_activity(live_app)
    login(page, "admin")
    page.goto(f"/admin/catalogue/{activity}")
    page.locator("#field-1 summary").tap()
    page.locator("#f1_options").fill("")
    page.locator("#a-target").fill("Unga i centrum")
    page.locator("#save-activity").tap()
    expect(page.locator("#activity-errors")).to_be_visible()
    expect(page.locator("#field-1")).to_have_attribute("open", "")
    expect(page.locator("#err-f1_options")).to_be_visible()
    expect(page.locator("#a-target")).to_have_value("Unga i centrum")
    fits_and_passes_axe(page, "activity-error")


def test_the_admin_pages_pass_axe_in_dark_mode(page, live_app):
    page.emulate_media(color_scheme="dark")
    login(page, "admin")
    fia = _ids(live_app, User, username="fia")
    activity, _tally, _set = _busiest_activity(live_app)
    for name, url in (("person-dark", f"/admin/users/{fia}"),
                      ("activity-dark", f"/admin/catalogue/{activity}"),
                      ("settings-dark", "/admin/settings")):
        page.goto(url)
        fits_and_passes_axe(page, name)


def test_the_token_and_import_pages_fit_the_phone_and_pass_axe(page, live_app, tmp_path):
    """The admin pages issue 18 added: the API tokens (with a secret shown once) and the
    historic import (with a checked file's report)."""
    login(page, "admin")
    page.goto("/api/tokens")
    fits_and_passes_axe(page, "api-tokens")
    page.get_by_label("System som hämtar").fill("Statistikportalen")
    page.locator("input[name=units]").first.check()
    page.get_by_role("button", name="Skapa nyckel").click()
    expect(page.locator("#token-secret")).to_be_visible()
    fits_and_passes_axe(page, "api-token-issued")
    page.goto("/tally/import")
    fits_and_passes_axe(page, "tally-import")
    target = page.locator("#import-target option", has_text="Allvarssamtal").first
    page.select_option("#import-target", target.get_attribute("value"))
    sheet = tmp_path / "pinnar-2025.csv"
    sheet.write_text("Datum;Kön;Ålder;Problematik;Väg in\n2025-03-14;Tjej;15;Skola;Polis\n"
                     "2025-03-15;Tjej;9;Skola;Polis\n", encoding="utf-8")
    page.set_input_files("#import-file", str(sheet))
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.locator("#import-report .import-problems li")).to_have_count(1)
    fits_and_passes_axe(page, "tally-import-checked")
