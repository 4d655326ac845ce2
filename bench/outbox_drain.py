"""The outbox catching up: tallies logged with no signal, sent when the phone is back online.

An outreach worker in a basement or out of town logs tallies offline; they wait in the
outbox (IndexedDB) and are sent one by one, oldest first, when the connection returns. This
measures that catch-up as the person sees it, in Debian's chromium at 390×844 with touch,
against gunicorn with two workers on a file SQLite database: fia opens an activity thread,
logs one tally online, goes offline, taps "Samma igen" N times, goes online again and the
clock runs until the outbox is empty (badge hidden, no pending bubble left). The same page
then posts N saves with fetch one after another (no outbox, no drawing): the baseline, the
network and the server's share. Run for 100 and for 400 tallies; the time per item at 400
against that at 100 shows whether the catch-up grows with the backlog (it did: on
2026-12-02, 456–558 waiting tallies took 67–130 ms each, 100 took 72 ms each).

Every save is then counted in the database: rows against the client UUIDs tapped, none
lost, none twice. Targets: the 400-tally catch-up within 2× its baseline; 0 lost, 0
duplicated. Exit 1 on a miss, so `make bench` lists it.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import Row, record  # noqa: E402
from bench._serving import serve, stop  # noqa: E402
from bench.tally_save import prepare_database  # noqa: E402

SIZES = (100, 400)
TARGET_RATIO = 2.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2, "locale": "sv-SE", "timezone_id": "Europe/Stockholm"}

# N taps on "Samma igen", each once its pending bubble is drawn; returns the badge's count.
QUEUE_JS = """async (n) => {
  const pending = () => document.querySelectorAll('#bubbles li[data-uuid]').length;
  const start = pending();
  for (let i = 0; i < n; i++) {
    document.querySelector('#same-again button').click();
    const t0 = performance.now();
    while (pending() < start + i + 1) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (performance.now() - t0 > 15000) throw new Error(`tap ${i} was not queued`);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  return Number(document.getElementById('outbox-badge').dataset.count || 0);
}"""

# From now until the outbox is empty: the badge says 0 and no pending bubble is left.
DRAIN_JS = """() => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const badge = document.getElementById('outbox-badge');
  const check = () => {
    const waiting = Number(badge.dataset.count || 0) +
      document.querySelectorAll('#bubbles li[data-uuid]').length;
    if (waiting === 0) resolve(performance.now() - t0);
    else if (performance.now() - t0 > 300000) reject(new Error(`${waiting} still waiting`));
    else setTimeout(check, 5);
  };
  check();
})"""

# The baseline: n saves of the same combination posted one after another from the page.
BASELINE_JS = """async (n) => {
  const form = document.querySelector('#same-again form');
  const body = [...new FormData(form).entries()].filter(([k]) => k !== 'csrf_token');
  const token = document.querySelector('meta[name="nara-csrf"]').content;
  const uuids = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const data = new URLSearchParams(body);
    const uuid = crypto.randomUUID();
    uuids.push(uuid);
    data.set('client_uuid', uuid);
    data.set('occurred_at', new Date().toISOString());
    const response = await fetch(form.action, { method: 'POST', body: data,
      headers: { 'X-CSRFToken': token, 'HX-Request': 'true', 'X-Nara-Outbox': '1' } });
    await response.text();
    if (!response.ok) throw new Error(`status ${response.status}`);
  }
  return { ms: performance.now() - t0, uuids };
}"""


def catch_up(page, context, n: int) -> tuple[float, float]:
    """Queue n tallies offline, go online; the catch-up's and the baseline's seconds."""
    context.set_offline(True)
    page.wait_for_timeout(300)
    queued = page.evaluate(QUEUE_JS, n)
    assert queued == n, f"{queued} in the outbox, {n} tapped"
    context.set_offline(False)
    drain_ms = page.evaluate(DRAIN_JS)
    page.wait_for_timeout(500)
    baseline = page.evaluate(BASELINE_JS, n)
    return drain_ms / 1000, baseline["ms"] / 1000


def main() -> int:
    from playwright.sync_api import sync_playwright

    from models.demo.people import DEMO_PASSWORD

    results = {}
    with tempfile.TemporaryDirectory(prefix="nara-outbox-") as tmp:
        db = Path(tmp) / "bench.db"
        activity = prepare_database(db)
        process, port = serve("app:serve()", {
            "DATABASE_URL": f"sqlite:///{db}", "SECRET_KEY": "bench-secret",
            "RATELIMIT_ENABLED": "0", "NARA_ENV": "development", "PREFER_HTTPS": "0"},
            workers=2)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=CHROMIUM_ARGS)
                context = browser.new_context(base_url=f"http://127.0.0.1:{port}", **PHONE)
                page = context.new_page()
                page.goto("/login")
                page.fill("input[name=username]", "fia")
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                page.goto(f"/activities/{activity}")
                before = _tallies(db)
                page.locator("#same-again button").click()  # one online: "Samma igen" is it
                deadline = time.monotonic() + 15
                while _tallies(db)[0] == before[0] and time.monotonic() < deadline:
                    time.sleep(0.05)
                before = _tallies(db)
                for n in SIZES:
                    results[n] = catch_up(page, context, n)
                    print(f"  {n:4d} tallies: caught up in {results[n][0]:.1f} s "
                          f"({results[n][0] / n * 1000:.1f} ms each); the same saves posted "
                          f"one after another: {results[n][1]:.1f} s", flush=True)
                page.screenshot(path=str(Path(tmp) / "after.png"))
                browser.close()
        finally:
            stop(process)
        rows, distinct = _tallies(db)
    expected = before[0] + 2 * sum(SIZES)
    lost = max(0, expected - rows)
    duplicated = rows - distinct
    big, small = SIZES[-1], SIZES[0]
    per_item = {n: results[n][0] / n * 1000 for n in SIZES}
    ratio = results[big][0] / results[big][1]
    figures = [
        Row(f"outbox catch-up, {big} tallies queued offline (thread open)",
            round(results[big][0], 1), "s", round(results[big][1], 1),
            f"the same {big} saves posted one after another", target=f"≤ {TARGET_RATIO:g}×",
            met=ratio <= TARGET_RATIO),
        Row(f"outbox catch-up, {small} tallies queued offline (thread open)",
            round(results[small][0], 1), "s", round(results[small][1], 1),
            f"the same {small} saves posted one after another"),
        Row(f"outbox catch-up: ms per item at {big} waiting", round(per_item[big], 1), "ms",
            round(per_item[small], 1), f"ms per item at {small} waiting"),
        Row("outbox catch-up: tallies lost", lost, target="0", met=lost == 0),
        Row("outbox catch-up: tallies stored twice", duplicated, target="0",
            met=duplicated == 0),
    ]
    record("outbox_drain", figures)
    print(f"{big} tallies: {results[big][0]:.1f} s against {results[big][1]:.1f} s "
          f"({ratio:.2f}×, target ≤ {TARGET_RATIO:g}×); lost {lost}, stored twice "
          f"{duplicated}")
    return 0 if all(f.met for f in figures if f.met is not None) else 1


def _tallies(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*), count(DISTINCT client_uuid) FROM tally").fetchone()


if __name__ == "__main__":
    sys.exit(main())
