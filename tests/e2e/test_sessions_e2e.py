"""Shared phones (390×844, Chromium): a sign-out made offline really ends the session, an
idle sign-out hands nothing to the next person, and each person's offline work waits for
them alone."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlmodel import select

from models.access import User
from models.access.sessions import UserSession
from models.core.db import move_clock, new_session, reset_clock
from tests.e2e.conftest import axe_violations, controlled, login, shot, wait_until
from tests.e2e.test_tally import activity_id, open_offline_shell, rows, wait_for_rows

OUTBOX_ITEMS = """() => new Promise((resolve) => {
  const open = indexedDB.open("nara-outbox");
  open.onupgradeneeded = () => { open.transaction.abort(); resolve([]); };
  open.onerror = () => resolve([]);
  open.onsuccess = () => {
    const read = open.result.transaction("items").objectStore("items").getAll();
    read.onsuccess = () => { open.result.close(); resolve(read.result); };
  };
})"""

# Everything this origin keeps in the browser, as one string: IndexedDB (every database,
# every store), Cache Storage (request URLs and bodies of the data caches), Web Storage.
EVERYTHING_STORED = """async () => {
  const out = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); });
    for (const name of db.objectStoreNames) {
      const rows = await new Promise((ok) => {
        const g = db.transaction(name).objectStore(name).getAll();
        g.onsuccess = () => ok(g.result); });
      out.push(`${info.name}/${name}:` + JSON.stringify(rows));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    if (name.startsWith("nara-shell-")) continue;  // the anonymous app shell
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      out.push(`cache:${name}:${request.url}:` + await (await cache.match(request)).text());
    }
  }
  out.push("local:" + JSON.stringify({ ...localStorage }));
  out.push("session:" + JSON.stringify({ ...sessionStorage }));
  return out.join("\\n");
}"""


def user_id(app, username: str) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(User.id).where(User.username == username)).one()


def live_sessions(app, username: str) -> int:
    with new_session(app.extensions["nara_engine"]) as session:
        uid = session.exec(select(User.id).where(User.username == username)).one()
        return len(session.exec(select(UserSession).where(
            UserSession.user_id == uid, UserSession.ended_at.is_(None))).all())


def badge_count(page) -> str:
    return page.locator("#outbox-badge .outbox-count").inner_text().strip()


def queue_offline(page, context, app, count: int) -> None:
    """Open Allvarssamtal, go offline, log `count` tallies with "same again"."""
    page.goto(f"/activities/{activity_id(app, 'faltare-allvarssamtal')}")
    # the composer rests as a bar; "same again" repeats the demo's last tally
    page.locator("#same-again button[type=submit]").wait_for()
    context.set_offline(True)
    for i in range(count):
        page.locator("#same-again button[type=submit]").tap()
        page.locator(f"#bubbles .status-pending >> nth={i}").wait_for()
    wait_until(page, f"() => document.querySelector('#outbox-badge .outbox-count')"
                     f".textContent.trim() === '{count}'")


def test_sign_out_offline_on_a_shared_phone_ends_the_session_and_leaves_no_trace(
        page, context, live_app):
    login(page, "fia")
    controlled(page)
    before = rows(live_app)
    queue_offline(page, context, live_app, 3)
    fia_cookie = next(c for c in context.cookies() if c["name"] == "nara_session")

    page.goto("/account")  # offline: the service worker's offline page, with "Logga ut"
    page.get_by_role("heading", name="Du är offline").wait_for()
    wait_until(page, "() => document.querySelector('#outbox-badge .outbox-count')"
                     ".textContent.trim() === '3'")  # counted once the store is read
    warnings = []
    page.once("dialog", lambda d: (warnings.append(d.message), d.accept()))
    page.get_by_role("button", name="Logga ut").tap()
    page.get_by_role("heading", name="Utloggad").wait_for()
    assert "3" in warnings[0]
    assert page.url.endswith("/signed-out")
    shot(page, "sessions-signed-out-offline")
    assert axe_violations(page) == []

    page.reload()  # still offline: the signed-out page, never the browser's error page
    page.get_by_role("heading", name="Utloggad").wait_for()
    page.goto("/")  # an app address typed by hand
    page.get_by_role("heading", name="Utloggad").wait_for()
    page.goto(f"/activities/{activity_id(live_app, 'faltare-allvarssamtal')}")
    page.get_by_role("heading", name="Utloggad").wait_for()
    assert live_sessions(live_app, "fia") == 1  # the server has not heard yet

    context.set_offline(False)  # the network is back: the sign-out is finished first
    page.wait_for_url("**/login?reason=logged-out*", timeout=30000)
    assert live_sessions(live_app, "fia") == 0
    assert rows(live_app) == before  # the 3 deleted tallies were never sent

    thief = context.browser.new_context(base_url=page.url.split("/login")[0])
    thief.add_cookies([fia_cookie])
    stolen = thief.new_page()
    stolen.goto("/account")
    assert "/login" in stolen.url  # the copied cookie no longer works
    thief.close()

    page.goto("/")  # Kim picks up the phone
    assert "/login" in page.url
    login(page, "kim")
    assert badge_count(page) == "0" and page.locator("#outbox-badge").is_hidden()
    stored = page.evaluate(EVERYTHING_STORED)
    fia = str(user_id(live_app, "fia"))
    assert f'"user":"{fia}"' not in stored
    assert "Allvarssamtal" not in stored and "allvarssamtal" not in stored
    assert page.evaluate(OUTBOX_ITEMS) == []
    shot(page, "sessions-kim-after-fia")


def test_the_login_page_never_opens_the_previous_persons_inbox(page):
    login(page, "fia")
    page.goto("/login")
    page.get_by_role("heading", name="Inloggad som Fia Fältare").wait_for()
    assert page.locator("#username").count() == 0
    assert axe_violations(page) == []
    shot(page, "sessions-login-while-signed-in")
    page.get_by_role("button", name="Logga ut och logga in som någon annan").tap()
    page.wait_for_url("**/login?reason=logged-out*")
    login(page, "kim")
    assert page.locator(".avatar-me").inner_text() == "KK"


def test_an_idle_sign_out_keeps_each_persons_tallies_for_them_alone(page, context, live_app):
    idle = live_app.config["SESSION_IDLE_MINUTES"]
    try:
        login(page, "fia")
        controlled(page)
        before = rows(live_app)
        queue_offline(page, context, live_app, 2)
        move_clock(timedelta(minutes=idle + 1))  # Fia walks away

        context.set_offline(False)  # the outbox tries, meets the ended session, stops
        page.wait_for_url(re.compile(r"/login\?reason=idle"), timeout=30000)
        expect(page.locator("#login-reason")).to_have_text(
            f"Du loggades ut efter {idle} minuter utan aktivitet.")
        shot(page, "sessions-idle-login")
        assert rows(live_app) == before

        login(page, "kim")
        assert badge_count(page) == "0" and page.locator("#outbox-badge").is_hidden()
        page.wait_for_timeout(1500)  # give Kim's outbox every chance to (wrongly) send
        assert rows(live_app) == before
        fia = str(user_id(live_app, "fia"))
        waiting = page.evaluate(OUTBOX_ITEMS)
        assert len(waiting) == 2 and {i["user"] for i in waiting} == {fia}
        page.goto("/account")
        page.get_by_role("button", name="Logga ut").tap()  # no warning: Kim has nothing
        page.wait_for_url("**/login?reason=logged-out*")
        # Clear-Site-Data "cache", "cookies" left Fia's queue and the offline shell alone
        assert len(page.evaluate(OUTBOX_ITEMS)) == 2
        assert any(k.startswith("nara-shell-") for k in page.evaluate("() => caches.keys()"))

        login(page, "fia")  # Fia is back: her 2 go, exactly once
        wait_for_rows(page, live_app, before + 2)
        wait_until(page, "() => document.getElementById('outbox-badge').hidden")
        page.wait_for_timeout(1000)
        assert rows(live_app) == before + 2
        assert page.evaluate(OUTBOX_ITEMS) == []
    finally:
        reset_clock()


def test_tallies_past_the_backdating_limit_are_deleted_with_a_notice_to_their_owner(
        page, context, live_app):
    login(page, "fia")
    controlled(page)
    queue_offline(page, context, live_app, 1)
    # the item was made 15 days ago (past the 14-day limit)
    page.evaluate("""() => new Promise((resolve) => {
      const open = indexedDB.open("nara-outbox");
      open.onsuccess = () => {
        const store = open.result.transaction("items", "readwrite").objectStore("items");
        store.getAll().onsuccess = (e) => {
          const then = Date.now() - 15 * 86400e3;
          for (const item of e.target.result) {
            item.when = item.created = then;
            item.body = item.body.map(([k, v]) => [k, k === "occurred_at" ?
              new Date(then).toISOString() : v]);
            store.put(item);
          }
          store.transaction.oncomplete = () => resolve(true);
        };
      };
    })""")
    page.goto("/")  # still offline: the offline page, for the person signed in here
    expect(page.locator("#outbox-expired")).to_contain_text("raderats från telefonen: 1",
                                                             timeout=15000)
    assert page.evaluate(OUTBOX_ITEMS) == []
    shot(page, "sessions-expired-notice")
    context.set_offline(False)


def test_a_journal_draft_cannot_be_listed_or_decrypted_by_the_next_person(
        page, context, live_app):
    idle = live_app.config["SESSION_IDLE_MINUTES"]
    try:
        login(page, "hanna")
        page.goto("/")
        greta = page.get_by_role("link", name=re.compile("Greta Nilsson")).first
        greta_url = greta.get_attribute("href")
        page.goto(greta_url)
        context.set_offline(True)
        page.locator("#composer").get_by_role("radio", name="Åtgärd").check()
        page.get_by_role("textbox", name="Anteckningen").fill("Hannas utkast om Greta.")
        page.get_by_role("button", name="Spara", exact=True).click()
        expect(page.locator("#bubbles .bubble.draft")).to_have_count(1)
        hanna_store = "nara-drafts-" + page.locator("#outbox-badge").get_attribute(
            "data-drafts")
        move_clock(timedelta(minutes=idle + 1))
        context.set_offline(False)  # the draft is tried, meets the ended session: login
        # The browser's own "online" event may already be navigating to the login
        # page: nudge the outbox after this evaluate has returned, and let a
        # navigation that is already under way win.
        try:
            page.evaluate(
                "() => { setTimeout(() => window.dispatchEvent(new Event('online'))); }")
        except PlaywrightError as gone:
            if "context was destroyed" not in str(gone):
                raise
        page.wait_for_url(re.compile(r"/login\?reason=idle"))

        login(page, "hugo")
        page.goto(greta_url)  # Greta is Hugo's client too
        page.locator("#composer").wait_for()
        expect(page.locator("#bubbles .bubble.draft")).to_have_count(0)
        expect(page.locator("[data-draft-status]")).to_have_text("")
        assert "Hannas utkast" not in page.content()
        # The store's name says nothing; Hugo's key cannot open what is in it.
        opened = page.evaluate("""async (name) => {
          const key = await crypto.subtle.importKey("raw",
            Uint8Array.from(atob(document.querySelector("[data-draft-key]").dataset.draftKey
              .replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0)),
            { name: "AES-GCM" }, false, ["decrypt"]);
          const db = await new Promise((ok) => {
            const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); });
          const rows = await new Promise((ok) => {
            const g = db.transaction("drafts").objectStore("drafts").getAll();
            g.onsuccess = () => ok(g.result); });
          db.close();
          let readable = 0;
          for (const r of rows) {
            try {
              await crypto.subtle.decrypt({ name: "AES-GCM", iv: r.iv,
                additionalData: new TextEncoder().encode(r.uuid) }, key, r.data);
              readable += 1;
            } catch { /* not Hugo's */ }
          }
          return { rows: rows.length, readable,
                   plain: JSON.stringify(rows).includes("Hannas") };
        }""", hanna_store)
        assert opened == {"rows": 1, "readable": 0, "plain": False}
        page.goto("/account")
        page.get_by_role("button", name="Logga ut").tap()  # no warning: not Hugo's draft
        page.wait_for_url("**/login?reason=logged-out*")

        login(page, "hanna")  # Hanna is back: her draft is sent
        page.goto(greta_url)
        expect(page.locator("#bubbles .bubble.mine").last).to_contain_text(
            "Hannas utkast om Greta.")
        expect(page.locator("#bubbles .bubble.draft")).to_have_count(0)
    finally:
        reset_clock()


def test_an_admin_sees_where_a_person_is_signed_in_and_ends_it(browser, live_server,
                                                               live_app):
    from tests.e2e.conftest import PHONE

    phone = browser.new_context(base_url=live_server.url, **PHONE)
    fia = phone.new_page()
    login(fia, "fia")
    office = browser.new_context(base_url=live_server.url, **PHONE)
    admin = office.new_page()
    login(admin, "admin")
    admin.goto("/admin/")
    admin.get_by_role("link", name=re.compile("Fia Fältare")).click()
    admin.get_by_role("heading", name="Inloggad på").wait_for()
    expect(admin.locator("#live-sessions li")).to_have_count(1)
    expect(admin.locator("#live-sessions li")).to_contain_text("Chrome")
    assert axe_violations(admin) == []
    shot(admin, "sessions-admin-person")
    admin.get_by_role("button", name="Avsluta alla inloggningar för personen").tap()
    admin.locator("#live-sessions-none").wait_for()
    assert live_sessions(live_app, "fia") == 0
    fia.goto("/")
    assert "/login" in fia.url
    phone.close()
    office.close()


def test_the_offline_tally_shell_offers_sign_out(page, context, live_app):
    open_offline_shell(page, context, live_app)
    button = page.get_by_role("button", name="Logga ut")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box and box["height"] >= 44
    shot(page, "sessions-offline-shell-sign-out")
    button.tap()
    page.get_by_role("heading", name="Utloggad").wait_for()
    context.set_offline(False)
    page.wait_for_url("**/login?reason=logged-out*", timeout=30000)
    assert live_sessions(live_app, "fia") == 0
