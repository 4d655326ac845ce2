"""The chaos run (issue 16 §5): tallies and journal notes logged through the UI as fast as it
allows while a controller takes the phone offline and back, drops answers after the server
has committed them, and kills the server with SIGKILL and starts it again. Afterwards every
tap is exactly one row, the outbox is empty and every bubble says it is saved.

Fixed seed, bounded counts: NARA_CHAOS_TALLIES (1,000, as the issue asks) and
NARA_CHAOS_NOTES (50). Through the UI this machine (2 cores, shared) logs about 10 tallies a
second, so the 1,000 take under two minutes of the run's ~2.5. What keeps it that fast
without proving less: a tap is a real touch on the screen where the element is, checked as
Locator.tap checks it (visible, not covered, the touch reached it, else tap again) but in
one or two round trips instead of about ten; "Samma igen" is found by role and name after
each page load and then where the last look saw it; the outbox (IndexedDB) is read every ten
taps, at the end of each disturbance and before a page is left, not after every tap (an
item refused by the server stays in it, so none is missed; the longest wait is measured to
about a second). Every tap is still asserted to be one submit, at once. At this pace the
taps outrun the outbox (it sends one item at a time): several hundred still wait when the
tapping ends and are sent after a reload; the figures say how many and how long it took.
"""

from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

from models.core.db import new_session
from models.journal.tables import JournalEntry
from models.tally import Tally
from tests.e2e.conftest import controlled, login, shot, wait_until
from tests.e2e.test_tally import PENDING_JS, activity_id, rows

SEED = 16
TALLIES = int(os.environ.get("NARA_CHAOS_TALLIES", "1000"))
NOTES = int(os.environ.get("NARA_CHAOS_NOTES", "50"))
OUTBOX_EVERY = 10  # taps between looks into the outbox (IndexedDB)
SHOTS = Path("/work/shots/chaos16")

# Kim's three activities that keep tallies; new combinations are chosen in the sheet.
ACTIVITIES = {
    "familjecentral-enskilda-samtal": [
        ("Kvinna", "Man"), ("25–29", "30–34", "35–39"), ("Ensamstående", "Sammanboende"),
        ("Föräldraskap",), ("BVC/BHV",)],
    "familjecentral-foraldrastodsgrupp": [
        ("Man", "Kvinna"), ("25–29", "30–34"), ("Sammanboende", "Ensamstående"), ("BVC/BHV",)],
    "motesplats-oppen-verksamhet": None,  # a count: "Fler" on the first stepper
}

# Counts the person's submits of a tally form (capture phase: before the outbox sees them),
# and remembers what the last touch reached.
WATCH_JS = """() => {
  if (window.__chaos) return;
  window.__chaos = { submits: 0, touched: null };
  document.addEventListener("submit", (event) => {
    if (event.target.matches?.("form[data-outbox]")) window.__chaos.submits += 1;
  }, true);
  document.addEventListener("touchstart", (event) => { window.__chaos.touched = event.target; },
                            true);
}"""
# Where a finger lands on an element: its centre, scrolled into view, if it is visible there
# and nothing covers it (a tap there reaches it or its label), else null.
POINT_JS = """(el) => {
  el.scrollIntoView({ block: "nearest", inline: "nearest" });
  const box = el.getBoundingClientRect();
  if (!box.width || !box.height || getComputedStyle(el).visibility !== "visible") return null;
  const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
  const hit = document.elementFromPoint(x, y);
  window.__chaos.target = el;
  return hit && (el.contains(hit) || [...(el.labels || [])].some((l) => l.contains(hit)))
    ? [x, y] : null;
}"""
# Did the last touch reach the element last looked at (or its label)? (Each touch asked once.)
REACHED_JS = """() => { const [el, hit] = [window.__chaos.target, window.__chaos.touched];
  window.__chaos.touched = null;
  return !!hit && (el.contains(hit) || [...(el.labels || [])].some((l) => l.contains(hit))); }"""
# "Samma igen" (its accessible name is its text), the button a tap on the bar reaches.
AGAIN = "#same-again button[type=submit]"
AGAIN_JS = f"""() => {{ const hit = window.__chaos.touched?.closest("{AGAIN}");
  window.__chaos.touched = null;
  return !!hit && hit.textContent.trim().startsWith("Samma igen"); }}"""
# What waits in a queue of offline-queue.js: [database, store] → its items.
QUEUE_JS = """([name, store]) => new Promise((resolve) => {
  const open = indexedDB.open(name);
  open.onupgradeneeded = () => open.transaction.abort();  // never make the app's database
  open.onsuccess = () => {
    try {
      const read = open.result.transaction(store).objectStore(store).getAll();
      read.onsuccess = () => { open.result.close(); resolve(read.result); };
      read.onerror = () => resolve([]);
    } catch { open.result.close(); resolve([]); }  // not made yet: nothing waits
  };
  open.onerror = () => resolve([]);
})"""
# After a tap on "Samma igen": if it reached the button, wait until its submit was seen;
# the submits so far, and where the button is for the next tap (null: find it again).
AFTER_AGAIN_JS = """async (expected) => {
  if (!(AGAIN_JS)()) return { reached: false };
  const started = Date.now();
  while (window.__chaos.submits < expected && Date.now() - started < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const next = document.querySelector("AGAIN");
  return { reached: true, submits: window.__chaos.submits, point: next && (POINT_JS)(next) };
}""".replace("(AGAIN_JS)", f"({AGAIN_JS})").replace("AGAIN", AGAIN).replace(
    "(POINT_JS)", f"({POINT_JS})")
# After any other tap: wait until its submit was seen; the submits so far.
TAKEN_JS = """async (expected) => {
  const started = Date.now();
  while (window.__chaos.submits < expected && Date.now() - started < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return window.__chaos.submits;
}"""
# What waits in the outbox (uuid, created) and how many the server refused. Between taps
# the page keeps one connection to the outbox's database open; `fresh` (before the page is
# left) opens a new one, which IndexedDB opens only after the app's own pending opens: the
# look then comes after the last tap's write (a page left mid-write would lose that tally).
OUTBOX_JS = """async (fresh) => {
  const connect = () => new Promise((resolve) => {
    const open = indexedDB.open("nara-outbox");
    open.onupgradeneeded = () => open.transaction.abort();  // never make the app's database
    open.onsuccess = () => {
      open.result.onversionchange = () => { open.result.close(); window.__chaosOutbox = null; };
      resolve(open.result);
    };
    open.onerror = () => resolve(null);
  });
  const db = await (fresh ? connect() : (window.__chaosOutbox ||= connect()));
  const items = await new Promise((resolve) => {
    try {
      const read = db.transaction("items").objectStore("items").getAll();
      read.onsuccess = () => resolve(read.result);
      read.onerror = () => resolve([]);
    } catch { window.__chaosOutbox = null; resolve([]); }  // not made yet: nothing waits
  });
  if (fresh) db?.close();
  return { waiting: items.filter((i) => i.status === "pending").map((i) => [i.uuid, i.created]),
           rejected: items.filter((i) => i.status !== "pending").length };
}"""


# (share of the run done, kind, how many by then, the roll that starts it)
FORCED = [(0.2, "offline", 1, 0.0), (0.3, "killed", 1, 0.035), (0.4, "dropped", 1, 0.02),
          (0.6, "killed", 2, 0.035), (0.85, "killed", 3, 0.035)]


class Chaos:
    """The controller: offline windows, dropped answers and SIGKILLed servers, by seed."""

    def __init__(self, page, context, server, rng: random.Random, path: re.Pattern,
                 often: float = 1.0, length: int = 1):
        self.page, self.context, self.server, self.rng = page, context, server, rng
        self.often, self.length = often, length
        self.offline = self.down = False
        self.drop = 0  # answers still to drop
        self.events = {"offline": 0, "dropped": 0, "killed": 0}
        self.until = 0  # taps left in the current disturbance
        context.route(path, self._route)

    def _route(self, route):
        if route.request.method != "POST" or self.drop <= 0:
            route.continue_()
            return
        self.drop -= 1
        try:
            answer = route.fetch()  # the server gets it and commits; the phone never hears
        except Exception:  # noqa: BLE001 - the server still booting: a plain network error
            answer = None
        if answer is not None and answer.ok:  # stored (2xx), then lost on the way back
            self.events["dropped"] += 1
        route.abort("connectionreset")

    def tick(self, progress: float = 0.0) -> None:
        """Before a tap: end the current disturbance when its time is up, or start one. Each
        kind at least once, and the server killed at least three times (by FORCED)."""
        if self.until > 0:
            self.until -= 1
            if self.until == 0:
                self.calm()
            return
        roll = self.rng.random() / self.often
        for at, kind, times, forced in FORCED:
            if progress >= at and self.events[kind] < times:
                roll = forced
                break
        if roll < 0.015:
            self.context.set_offline(True)
            self.offline, self.until = True, self.rng.randint(5, 40) // self.length + 1
            self.events["offline"] += 1
        elif roll < 0.03:
            self.drop = self.rng.randint(1, 6)
            self.until = self.rng.randint(3, 10) // self.length + 1
        elif roll < 0.04:
            self.server.kill()
            self.down, self.until = True, self.rng.randint(3, 25) // self.length + 1
            self.events["killed"] += 1

    def calm(self) -> None:
        """Everything back to normal: online, answers delivered, the server up."""
        self.until = self.drop = 0
        if self.down:
            self.server.start(wait=False)  # taps go on while it boots
            self.down = False
        if self.offline:
            self.context.set_offline(False)
            self.offline = False


class Waits:
    """How long each item stayed in the outbox, from when it was made to when it was gone."""

    def __init__(self):
        self.seen: dict[str, int] = {}
        self.longest_ms = 0

    def update(self, waiting: list) -> None:
        now = int(time.time() * 1000)
        current = {uuid: created for uuid, created in waiting}
        for uuid, created in self.seen.items():
            if uuid not in current:
                self.longest_ms = max(self.longest_ms, now - created)
        self.seen = current
        for created in current.values():
            self.longest_ms = max(self.longest_ms, now - created)


def snap(page, name: str) -> None:
    """For people to look at: test-artifacts/screenshots/, and the project's shots folder."""
    path = shot(page, name)
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / path.name).write_bytes(path.read_bytes())


def tally_uuids(app) -> tuple[int, int]:
    with new_session(app.extensions["nara_engine"]) as session:
        total = session.exec(select(func.count()).select_from(Tally)).one()
        distinct = session.exec(select(func.count(func.distinct(Tally.client_uuid)))).one()
        return total, distinct


def touch(page, locator, timeout: float = 15.0) -> None:
    """A person's tap on the element `locator` names (by role and name), as Locator.tap does
    it but in three round trips to the page instead of about ten: a real touch at its
    centre once it is visible there and nothing covers it, again if the touch did not reach
    it. Whether the tap did what it should, the caller checks (a submit was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        point = locator.evaluate(POINT_JS, timeout=timeout * 1000)
        if point is not None:
            page.touchscreen.tap(*point)
            if page.evaluate(REACHED_JS):
                return
        assert time.monotonic() < deadline, f"not tappable: {locator}"
        page.wait_for_timeout(20)


def tap_again(page, same_again, point, expected: int, timeout: float = 15.0):
    """A tap on "Samma igen": at `point` (where the last look found it), else where its role
    and name find it; again if the touch did not reach it (Locator.tap's rule). Returns how
    many submits the page has seen and where the button is now."""
    deadline = time.monotonic() + timeout
    while True:
        if point is None:
            point = same_again.evaluate(POINT_JS, timeout=timeout * 1000)
        if point is not None:
            page.touchscreen.tap(*point)
            state = page.evaluate(AFTER_AGAIN_JS, expected)
            if state["reached"]:
                return state["submits"], state["point"]
            point = None
        assert time.monotonic() < deadline, "Samma igen: not tappable"
        page.wait_for_timeout(20)


def open_thread(page, app, key: str) -> None:
    page.goto(f"/activities/{activity_id(app, key)}")
    page.locator(".tally-bar").wait_for()
    page.evaluate(WATCH_JS)


def new_combination(page, rng: random.Random, key: str) -> None:
    """The sheet: "Ny", a combination, "Spara"."""
    touch(page, page.locator(".tally-bar").get_by_role("link", name="Ny"))
    sheet = page.get_by_role("dialog")
    sheet.wait_for()
    fields = ACTIVITIES[key]
    if fields is None:
        plus = sheet.get_by_role("button", name=re.compile(r"^Fler")).first
        for _ in range(rng.randint(1, 3)):
            touch(page, plus)
    else:
        for options in fields:
            touch(page, sheet.get_by_role("radio", name=rng.choice(options), exact=True).first)
    touch(page, sheet.get_by_role("button", name="Spara", exact=True))
    sheet.wait_for(state="hidden")


@pytest.mark.live_server(process=True)
def test_chaos_tallies_arrive_exactly_once(page, context, live_app, live_server,
                                           record_property):
    rng = random.Random(SEED)
    login(page, "kim")
    controlled(page)
    before, _ = tally_uuids(live_app)
    chaos = Chaos(page, context, live_server, rng, re.compile(r"/activities/\d+/tallies$"))
    waits = Waits()
    keys = list(ACTIVITIES)
    same_again = page.locator("#same-again").get_by_role("button", name=re.compile(r"^Samma igen"))
    submitted, visited, snapped = 0, set(), False
    per_activity = dict.fromkeys(keys, 0)
    started = time.monotonic()
    visits = 0
    while submitted < TALLIES:
        # In turn, not from `rng`: how much of `rng` the chaos has used depends on timing,
        # and "several activities" must not.
        key = keys[visits % len(keys)]
        visits += 1
        open_thread(page, live_app, key)  # online, offline, server down: the page or its shell
        here, again = 0, key in visited and same_again.count() > 0
        point = None  # where "Samma igen" is: found by role and name after each page load
        for _ in range(min(rng.randint(20, 120), TALLIES - submitted)):
            chaos.tick((submitted + here) / TALLIES)
            if not again or rng.random() < 0.03:
                new_combination(page, rng, key)
                visited.add(key)
                again, point = True, None
                here += 1
                submits = page.evaluate(TAKEN_JS, here)
            else:
                here += 1
                submits, point = tap_again(page, same_again, point, here)
            assert submits == here, "a tap was not taken"
            if here % OUTBOX_EVERY == 0 or chaos.until == 1:  # and as a disturbance ends
                outbox = page.evaluate(OUTBOX_JS, False)
                assert outbox["rejected"] == 0, "the server refused a tally"
                waits.update(outbox["waiting"])
            if chaos.offline and chaos.until == 1 and not snapped:  # the phone, offline
                snap(page, "chaos-offline")
                snapped = True
        outbox = page.evaluate(OUTBOX_JS, True)  # before the page is left
        assert outbox["rejected"] == 0, "the server refused a tally"
        waits.update(outbox["waiting"])
        submitted += here
        per_activity[key] += here
    chaos.calm()
    live_server.wait_ready()
    logging_s = time.monotonic() - started

    # Back online with the server up: what is still waiting goes now (a reload sends at once).
    # The taps can outrun the outbox, which sends one item at a time: how many still wait
    # when the tapping ends, and how long they take, is part of the figures.
    backlog = len(page.evaluate(OUTBOX_JS, True)["waiting"])
    drain_started = time.monotonic()
    page.reload()
    page.locator(".tally-bar").wait_for()
    deadline = time.monotonic() + 120
    while page.evaluate(PENDING_JS) and time.monotonic() < deadline:
        waits.update(page.evaluate(OUTBOX_JS, True)["waiting"])
        page.wait_for_timeout(200)
    waits.update(page.evaluate(OUTBOX_JS, True)["waiting"])
    drain_s = time.monotonic() - drain_started
    total, distinct = tally_uuids(live_app)
    made = total - before
    lost, duplicated = max(0, submitted - made), max(0, made - submitted) + (total - distinct)
    record_property("summary", (
        f"chaos run, tallies: {submitted} tapped in {logging_s:.0f} s "
        f"({submitted / logging_s:.1f}/s), {made} rows, lost {lost}, duplicated {duplicated}, "
        f"longest wait in the outbox {waits.longest_ms / 1000:.1f} s "
        f"({backlog} still waiting when the tapping ended, sent in {drain_s:.0f} s); "
        f"offline {chaos.events['offline']}×, answers dropped {chaos.events['dropped']}, "
        f"server SIGKILLed {chaos.events['killed']}× (seed {SEED}); per activity "
        f"{', '.join(str(n) for n in per_activity.values())}"))
    assert (lost, duplicated) == (0, 0)
    assert page.evaluate(PENDING_JS) == 0
    wait_until(page, "() => document.getElementById('outbox-badge').hidden")
    expect(page.locator("#outbox-badge .outbox-count")).to_have_text("0")
    for key in keys:  # every bubble in every thread: saved (or undone by no one: none)
        page.goto(f"/activities/{activity_id(live_app, key)}")
        page.locator(".tally-bar").wait_for()
        statuses = page.locator("#bubbles > li .tally-status").all_inner_texts()
        assert statuses and set(statuses) == {"Sparad"}, (key, set(statuses))
        snap(page, f"chaos-after-{key}")
    assert rows(live_app) == before + submitted
    assert chaos.events["killed"] >= (3 if TALLIES >= 300 else 1)
    assert chaos.events["offline"] and chaos.events["dropped"]
    assert all(per_activity.values()) or TALLIES < 300  # several activities, not one


DRAFTS_JS = """async () => {
  const tag = document.getElementById("outbox-badge")?.dataset.drafts;
  const items = tag ? await (QUEUE)([`nara-drafts-${tag}`, "drafts"]) : [];
  return items.map((i) => [i.uuid, i.created]);
}""".replace("(QUEUE)", f"({QUEUE_JS})")


def journal_entries(app, prefix: str) -> list[str]:
    with new_session(app.extensions["nara_engine"]) as session:
        return list(session.exec(select(JournalEntry.text).where(
            JournalEntry.text.startswith(prefix))).all())


@pytest.mark.live_server(process=True)
def test_chaos_journal_notes_arrive_exactly_once(page, context, live_app, live_server,
                                                 record_property):
    rng = random.Random(SEED + 1)
    page.goto("/login")
    page.get_by_label("Användarnamn").fill("hanna")
    page.get_by_label("Lösenord").fill("nara-demo-2026")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/")
    page.get_by_role("link", name=re.compile("Astrid Lindqvist")).first.click()
    page.get_by_role("textbox", name="Anteckningen").wait_for()
    thread = page.url
    chaos = Chaos(page, context, live_server, rng, re.compile(r"/journal/\d+/entries$"),
                  often=6, length=4)
    waits = Waits()
    prefix = "Kaos"
    started = time.monotonic()
    for n in range(1, NOTES + 1):
        chaos.tick(n / NOTES)
        page.get_by_role("button", name="Besöket genomfört enligt plan.").tap()
        page.get_by_role("textbox", name="Anteckningen").fill(f"{prefix} {n:03d}: allt lugnt.")
        page.get_by_role("button", name="Spara", exact=True).tap()
        # saved (a bubble) or kept on the phone (a draft bubble): the composer is empty again
        wait_until(page, "() => document.querySelector('#composer textarea[name=text]')"
                         "?.value === ''", timeout=20)
        waits.update(page.evaluate(DRAFTS_JS))
    chaos.calm()
    live_server.wait_ready()
    logging_s = time.monotonic() - started
    page.goto(thread)  # the drafts are sent from their thread's page
    page.get_by_role("textbox", name="Anteckningen").wait_for()
    deadline = time.monotonic() + 60
    while page.evaluate(DRAFTS_JS) and time.monotonic() < deadline:
        waits.update(page.evaluate(DRAFTS_JS))
        page.wait_for_timeout(200)
    waits.update(page.evaluate(DRAFTS_JS))
    wait_until(page, "() => !document.querySelector('#bubbles .bubble.draft')", timeout=60)
    texts = journal_entries(live_app, prefix)
    lost = NOTES - len(set(texts))
    duplicated = len(texts) - len(set(texts))
    record_property("summary", (
        f"chaos run, journal: {NOTES} notes in {logging_s:.0f} s, {len(texts)} rows, "
        f"lost {lost}, duplicated {duplicated}, longest wait as a draft "
        f"{waits.longest_ms / 1000:.1f} s; offline {chaos.events['offline']}×, "
        f"answers dropped {chaos.events['dropped']}, server SIGKILLed "
        f"{chaos.events['killed']}× (seed {SEED + 1})"))
    assert (lost, duplicated) == (0, 0)
    assert page.evaluate(DRAFTS_JS) == []
    page.reload()
    page.get_by_role("textbox", name="Anteckningen").wait_for()
    assert page.locator("#bubbles .bubble.draft").count() == 0
    assert page.locator("[data-draft-status]").inner_text().strip() == ""
    snap(page, "chaos-journal-after")
