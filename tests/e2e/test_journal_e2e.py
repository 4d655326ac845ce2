"""The journal on a phone (390×844): shift start, a note in three taps, a colleague who is
not assigned gets 404, the manager sees the note and the access log; offline drafts stay
encrypted and are sent when the connection returns; sign-out wipes them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, axe_violations, shot, wait_until

IDB_DUMP = """() => new Promise((resolve) => {
  const tag = document.getElementById("outbox-badge").dataset.drafts;
  const open = indexedDB.open(`nara-drafts-${tag}`, 1);
  open.onupgradeneeded = () => open.result.createObjectStore("drafts", { keyPath: "uuid" });
  open.onsuccess = () => {
    const tx = open.result.transaction("drafts", "readonly");
    const all = tx.objectStore("drafts").getAll();
    all.onsuccess = () => {
      const rows = all.result.map((r) => ({ ...r,
        iv: Array.from(new Uint8Array(r.iv || [])),
        data: Array.from(new Uint8Array(r.data || [])),
        text: new TextDecoder().decode(r.data || new Uint8Array()) }));
      open.result.close();
      resolve(JSON.stringify(rows));
    };
  };
})"""


def sign_in(page, username: str, lands_on: str = "**/"):
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill("nara-demo-2026")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lands_on)


def _client_url(page, name: str) -> str:
    href = page.get_by_role("link", name=re.compile(name)).first.get_attribute("href")
    assert href and re.fullmatch(r"/journal/\d+", href)  # no personal data in the URL
    return href


def test_shift_start_a_note_in_three_taps_a_404_and_the_managers_log(page, browser, live_server):
    # 1. The first sign-in of the shift opens the digest: hugo's notes about Greta.
    sign_in(page, "hanna", "**/shift")
    expect(page.get_by_role("heading", name="Passets början")).to_be_visible()
    expect(page.get_by_text("Greta var orolig")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "journal-1-shift-start")
    page.get_by_role("button", name="Markera Greta Nilsson som läst").click()
    expect(page.get_by_text("Markerad som läst.")).to_be_visible()
    shot(page, "journal-2-shift-read")
    page.get_by_role("link", name="Till inkorgen").click()
    page.wait_for_url("**/")
    astrid = _client_url(page, "Astrid Lindqvist")

    # 2. A note with a quick phrase: tap the client, tap the phrase, type, tap Save.
    taps = 0
    page.get_by_role("link", name=re.compile("Astrid Lindqvist")).click()
    taps += 1
    page.wait_for_url(f"**{astrid}")
    expect(page.get_by_role("heading", name="Astrid Lindqvist")).to_be_visible()
    page.evaluate("() => { window.__sameDocument = true; }")
    phrase = page.get_by_role("button", name="Besöket genomfört enligt plan.")
    expect(phrase).to_be_visible()
    phrase.click()
    taps += 1
    page.get_by_role("textbox", name="Anteckningen").press_sequentially(" Astrid duschade själv.")
    page.get_by_role("button", name="Spara", exact=True).click()
    taps += 1
    bubble = page.locator("#bubbles .bubble.mine").last
    expect(bubble).to_contain_text("Besöket genomfört enligt plan. Astrid duschade själv.")
    expect(bubble).to_contain_text("Åtgärd")
    assert page.evaluate("() => window.__sameDocument === true")  # swapped, not reloaded
    assert taps <= 3
    expect(page.get_by_role("textbox", name="Anteckningen")).to_have_value("")
    shot(page, "journal-3-note-saved")
    assert axe_violations(page) == []
    assert not page.console_errors, page.console_errors

    # 3. A colleague of the same unit who is not assigned to Astrid: not found.
    other = browser.new_context(base_url=live_server.url, **PHONE)
    hugo = other.new_page()
    sign_in(hugo, "hugo", "**/shift")
    response = hugo.goto(astrid)
    assert response.status == 404
    expect(hugo.get_by_text("Astrid")).to_have_count(0)
    shot(hugo, "journal-4-colleague-404")
    other.close()

    # 4. The manager reads the note, then the access log for Astrid.
    boss = browser.new_context(base_url=live_server.url, **PHONE)
    maja = boss.new_page()
    sign_in(maja, "maja")
    maja.goto(astrid)
    expect(maja.get_by_text("Astrid duschade själv.")).to_be_visible()
    maja.goto(f"/journal/log?client={astrid.rsplit('/', 1)[1]}")
    rows = maja.locator(".log-row")
    expect(rows.filter(has_text="Hanna Hemtjänst").filter(has_text="Skrev en anteckning")
           ).to_have_count(1)
    expect(rows.filter(has_text="Hugo Hemtjänst").filter(has_text="Nekad").first).to_be_visible()
    expect(rows.filter(has_text="Maja Enhetschef").filter(has_text="Läste journalen").first
           ).to_be_visible()
    shot(maja, "journal-5-manager-access-log")
    assert axe_violations(maja) == []
    boss.close()


def test_an_offline_note_stays_encrypted_and_is_sent_when_the_network_returns(page, context):
    sign_in(page, "hanna", "**/shift")
    page.goto("/")
    astrid = _client_url(page, "Astrid Lindqvist")
    page.goto(astrid)
    expect(page.get_by_role("button", name="Besöket genomfört enligt plan.")).to_be_visible()
    context.set_offline(True)
    page.locator("#composer").get_by_role("radio", name="Händelse av betydelse").check()
    note = page.get_by_role("textbox", name="Anteckningen")
    note.fill("Offline: Astrid hade ramlat men var oskadd.")
    page.get_by_role("button", name="Spara", exact=True).click()
    draft = page.locator("#bubbles .bubble.draft")
    expect(draft).to_contain_text("Inte sparad än")
    expect(draft).to_contain_text("Offline: Astrid hade ramlat")
    expect(page.locator("[data-draft-status]")).to_contain_text("Inte sparade än: 1.")
    expect(page.get_by_role("textbox", name="Anteckningen")).to_have_value("")
    shot(page, "journal-6-offline-draft")
    stored = page.evaluate(IDB_DUMP)
    assert '"uuid"' in stored and '"iv":[' in stored  # a record, encrypted
    assert "Offline" not in stored and "ramlat" not in stored and "Astrid" not in stored
    storage = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "Offline" not in storage and "Astrid" not in storage
    cached = page.evaluate("""() => caches.keys().then((names) => Promise.all(names.map(
        (n) => caches.open(n).then((c) => c.keys())))).then((all) =>
        all.flat().map((r) => new URL(r.url).pathname)
        .filter((p) => p.startsWith("/journal") || p.startsWith("/shift")))""")
    assert cached == []

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#bubbles .bubble.draft")).to_have_count(0)
    saved = page.locator("#bubbles .bubble.mine").last
    expect(saved).to_contain_text("Offline: Astrid hade ramlat men var oskadd.")
    expect(saved).to_contain_text("Händelse av betydelse")
    assert page.evaluate(IDB_DUMP) == "[]"
    page.reload()
    expect(page.get_by_text("Offline: Astrid hade ramlat men var oskadd.")).to_have_count(1)


def test_signing_out_wipes_unsent_drafts(page, context):
    sign_in(page, "hanna", "**/shift")
    page.goto("/")
    page.goto(_client_url(page, "Bengt Karlsson"))
    context.set_offline(True)
    page.locator("#composer").get_by_role("radio", name="Åtgärd").check()
    page.get_by_role("textbox", name="Anteckningen").fill("Utkast som inte får ligga kvar.")
    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.locator("#bubbles .bubble.draft")).to_have_count(1)
    page.route("**/journal/**/entries", lambda route: route.abort())  # keep it unsent
    context.set_offline(False)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/account")
    store = "nara-drafts-" + page.locator("#outbox-badge").get_attribute("data-drafts")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login?reason=logged-out*")
    wait_until(page, f"""() => indexedDB.databases().then(
        (d) => !d.some((x) => x.name === "{store}"))""")


def test_the_journal_pages_pass_axe_for_the_manager(page):
    sign_in(page, "maja")
    astrid = _client_url(page, "Astrid Lindqvist")
    client_id = astrid.rsplit("/", 1)[1]
    page.goto(f"{astrid}/about")
    plan = page.get_by_role("link", name="Plan").first.get_attribute("href")
    unit_phrases = page.get_by_role("link", name="Snabbfraser").get_attribute("href")
    pages = {
        "about": f"{astrid}/about", "consent": f"{astrid}/consent", "plan": plan,
        "plan-form": f"{plan}/edit", "follow-up": f"{plan}/follow-up",
        "receipts": f"{astrid}/receipts", "export": f"{astrid}/export",
        "new-client": "/clients/new", "phrases": unit_phrases,
        "log": f"/journal/log?client={client_id}",
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, name
        assert axe_violations(page) == [], name
        if name in ("about", "plan-form", "consent"):
            shot(page, f"journal-page-{name}")
    assert not page.console_errors, page.console_errors


def test_bad_input_on_the_phone_shows_the_message_and_keeps_the_text(page):
    sign_in(page, "hanna", "**/shift")
    page.goto("/")
    page.goto(_client_url(page, "Bengt Karlsson"))
    page.locator("#composer").get_by_role("radio", name="Åtgärd").check()
    page.get_by_text("När, mål").click()
    page.locator("#composer").get_by_role("radio", name="Annan tid").check()
    page.get_by_label("Datum och tid").fill("2099-01-01T10:00")
    note = page.get_by_role("textbox", name="Anteckningen")
    note.fill("Bengt ville gå ut.")
    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.locator("#err-occurred_at")).to_contain_text("framtiden")
    expect(page.get_by_role("textbox", name="Anteckningen")).to_have_value("Bengt ville gå ut.")
    shot(page, "journal-7-bad-input")
    assert axe_violations(page) == []
