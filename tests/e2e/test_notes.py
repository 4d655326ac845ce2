"""Working notes on a phone (390×844): a counsellor's contact "Blå 7" from first talk to
shredding, a refused personnummer, and a manager who cannot reach the contact."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

from models.catalogue import Activity
from models.core.db import new_session
from models.tally import TallyValue
from tests.e2e.conftest import SHOTS, axe_violations, login, offline_notices, screenshot
from tests.notes_helpers import random_letters

CONTACT_URL = re.compile(r".*/notes/(\d+)$")
EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of (404|422)")


def shot(page, name: str) -> None:
    """Like the shared helper, but without Playwright's caret hiding: it leaves style=""
    on every input, and htmx copying that attribute in the next swap trips our CSP."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, str(SHOTS / f"{name}.png"))


def _database_bytes(live_app) -> bytes:
    path = Path(live_app.config["DATABASE_URL"][len("sqlite:///"):])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _talks_counted(live_app) -> int:
    """What the statistics count for Råd och stöd: the sum of "antal samtal"."""
    with new_session(live_app.extensions["nara_engine"]) as session:
        activity = session.exec(select(Activity).where(Activity.key == "rad-och-stod")).one()
        return int(session.exec(select(func.coalesce(func.sum(TallyValue.count), 0)).where(
            TallyValue.activity_id == activity.id, TallyValue.field_key == "talks",
            TallyValue.voided == False)).one())  # noqa: E712


def _rad_och_stod_id(live_app) -> int:
    with new_session(live_app.extensions["nara_engine"]) as session:
        return session.exec(select(Activity.id).where(Activity.key == "rad-och-stod")).one()


def _manager_sees_talks(page, live_app, expected: int):
    """The manager's statistics for Råd och stöd this month, exact figures (within the unit)."""
    page.goto(f"/manage/stats?activity={_rad_och_stod_id(live_app)}&view=exact")
    expect(page.locator("#h-summary")).to_have_text("Råd och stöd")
    expect(page.locator("#total-now")).to_have_text(str(expected))


def _choose(page, legend: str, option: str):
    fieldset = page.locator("fieldset", has=page.locator("legend", has_text=legend))
    fieldset.get_by_role("radio", name=option, exact=True).check()


def _log_talk(page, note: str, number: int):
    page.get_by_label("Arbetsanteckning (frivillig)").fill(note)
    page.get_by_role("button", name=f"Registrera samtal {number}").click()
    expect(page.locator(".bubble").filter(has_text=f"Samtal {number}")).to_be_visible()


def _log_out(page):
    page.goto("/account")
    page.get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()


def test_counsellor_keeps_notes_for_blue_7_then_shreds_them(page, live_app):
    marker = f"Minnesmarkör{random_letters()[:10]}"
    talks_before = _talks_counted(live_app)

    login(page, "kim")
    page.get_by_role("link", name=re.compile("^Arbetsanteckningar")).click()
    page.get_by_role("radio", name="Råd och stöd · Mötesplatsen").check()
    page.get_by_label("Pseudonym").fill("Blå 7")
    page.get_by_role("button", name="Starta kontakten").click()
    page.wait_for_url(CONTACT_URL)
    contact_url = page.url
    expect(page.get_by_role("heading", name="Blå 7")).to_be_visible()
    expect(page.locator("#talk-count")).to_have_text("0 av 5")

    # First talk: every statistics field chosen once.
    _choose(page, "Kön", "Kvinna")
    _choose(page, "Ålder barn", "7")
    _choose(page, "Problematik", "Skola")
    _choose(page, "Väg in", "Egen kontakt")
    _log_talk(page, f"{marker} Orolig för skolstarten.", 1)
    expect(page.locator("#talk-count")).to_have_text("1 av 5")
    # The next talks reuse the same person's values: only the note is new.
    _log_talk(page, f"{marker} Bättre sömn, fler kompisar.", 2)
    shot(page, "notes-two-talks")

    # A note with a personnummer is refused, the text stays for editing.
    leaking = "Mamman gav sitt pnr 850709-9805 i telefon"
    page.get_by_label("Arbetsanteckning (frivillig)").fill(leaking)
    page.get_by_role("button", name="Registrera samtal 3").click()
    error = page.locator("#err-note")
    expect(error).to_contain_text("personnummer")
    expect(error).to_contain_text("850709-9805")
    expect(page.get_by_label("Arbetsanteckning (frivillig)")).to_have_value(leaking)
    expect(page.get_by_label("Arbetsanteckning (frivillig)")).to_have_attribute(
        "aria-invalid", "true")
    shot(page, "notes-personnummer-refused")
    expect(page.locator(".bubble")).to_have_count(2)

    _log_talk(page, f"{marker} Mamman ringer skolan själv.", 3)
    expect(page.locator("#talk-count")).to_have_text("3 av 5")
    page.reload()  # the thread shows the previous notes before the next talk
    expect(page.locator(".note-text")).to_have_count(3)
    expect(page.locator(".note-text").first).to_contain_text("Orolig för skolstarten")
    shot(page, "notes-three-talks")
    assert axe_violations(page) == []
    assert _talks_counted(live_app) == talks_before + 3
    assert marker.encode() in _database_bytes(live_app)  # so the check below can fail
    _log_out(page)

    # The manager: the talks count in the statistics, the contact is unreachable.
    login(page, "maja")
    assert "Blå 7" not in page.content()
    _manager_sees_talks(page, live_app, talks_before + 3)
    page.locator("#total-now").evaluate("e => e.scrollIntoView({block: \"center\"})")
    shot(page, "notes-manager-statistics")
    assert "Blå 7" not in page.content() and marker not in page.content()
    for url in (contact_url, f"{contact_url}/end", "/notes/"):
        response = page.goto(url)
        assert response.status == 404, url
        assert "Blå 7" not in page.content() and marker not in page.content()
    response = page.request.post(f"{contact_url}/talks", form={"note": "x"})
    assert response.status in (400, 404)  # no CSRF token, and no such contact for her
    _log_out(page)

    # The counsellor ends the contact: asked first, then shredded.
    login(page, "kim")
    page.goto(contact_url)
    page.get_by_role("link", name="Avsluta kontakten och radera anteckningarna").click()
    expect(page.get_by_text("3 arbetsanteckningar förstörs för gott")).to_be_visible()
    expect(page.get_by_text("3 samtal finns kvar i statistiken")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "notes-end-confirm")
    page.get_by_role("button", name="Avsluta kontakten och radera anteckningarna").click()
    page.wait_for_url("**/notes/")
    expect(page.get_by_role("status").filter(has_text="3 anteckningar raderades")).to_be_visible()
    expect(page.locator(".thread-title", has_text="Blå 7")).to_have_count(0)
    shot(page, "notes-shredded")
    assert page.goto(contact_url).status == 404

    assert marker.encode() not in _database_bytes(live_app)
    assert "Blå 7".encode() not in _database_bytes(live_app)
    assert _talks_counted(live_app) == talks_before + 3
    _log_out(page)
    login(page, "maja")
    _manager_sees_talks(page, live_app, talks_before + 3)
    # only the refusals this test provoked (the 422 and the manager's 404s)
    assert [e for e in page.console_errors if not EXPECTED.match(e)] == []


def test_notes_pages_pass_axe(page):
    login(page, "kim")
    page.goto("/notes/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile("Grön 3")).click()
    page.wait_for_url(CONTACT_URL)
    assert axe_violations(page) == []
    page.get_by_text("Statistik för samtalet").click()  # unfold the prefilled fields
    assert axe_violations(page) == []
    shot(page, "notes-demo-contact")
    _log_out(page)
    login(page, "maja")
    page.goto("/notes/settings")
    assert axe_violations(page) == []
    shot(page, "notes-settings")


STORED_ON_DEVICE = """async (marker) => {
  const found = [];
  if (JSON.stringify(localStorage).includes(marker)) found.push("localStorage");
  if (JSON.stringify(sessionStorage).includes(marker)) found.push("sessionStorage");
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => {
      const request = indexedDB.open(info.name);
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    for (const name of db.objectStoreNames) {
      const rows = await new Promise((ok) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => ok(request.result);
      });
      if (JSON.stringify(rows).includes(marker)) found.push(`indexedDB:${info.name}/${name}`);
    }
    db.close();
  }
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).text();
      if (body.includes(marker)) found.push(`cache:${request.url}`);
    }
  }
  return found;
}"""


def test_offline_a_note_stays_in_the_form_and_nowhere_on_the_phone(page, context):
    marker = f"Offlinemarkör{random_letters()[:10]}"
    login(page, "kim")
    page.goto("/notes/")
    page.get_by_role("link", name=re.compile("Grön 3")).click()
    page.wait_for_url(CONTACT_URL)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    page.get_by_label("Arbetsanteckning (frivillig)").fill(f"{marker} inför nästa samtal")
    page.get_by_role("button", name="Registrera samtal 3").click()
    notice = page.locator("[data-notes-offline]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("sparas aldrig i telefonen")
    # and not also the banner's "what you save waits": here nothing is kept
    assert offline_notices(page) == [notice.inner_text()]
    expect(page.get_by_label("Arbetsanteckning (frivillig)")).to_have_value(
        f"{marker} inför nästa samtal")
    shot(page, "notes-offline")
    assert page.evaluate(STORED_ON_DEVICE, marker) == []
    context.set_offline(False)
    expect(notice).to_be_hidden()
    page.get_by_role("button", name="Registrera samtal 3").click()
    expect(page.locator(".note-text").filter(has_text=marker)).to_be_visible()
    assert page.evaluate(STORED_ON_DEVICE, marker) == []
