"""The outbox and a submission id already used for a different tally (issue 12): the
server refuses it (422) and keeps the stored tally; the phone keeps the item, shows it as
not saved with the server's message, and never sends it again."""

from __future__ import annotations

from sqlmodel import select

from models.core.db import new_session
from models.tally import Tally
from tests.e2e.conftest import login, wait_until
from tests.e2e.test_tally import chip, open_activity, open_sheet, rows, wait_for_rows

REUSED = "Inskickningens id har redan använts för en annan post, så den här sparades inte."

# Give the one waiting item the id of the tally already stored (what a buggy client or a
# restored phone backup could do), so the next flush re-sends that id with other values.
REUSE_JS = """async (stored) => {
  const db = await new Promise((resolve) => {
    const open = indexedDB.open("nara-outbox");
    open.onsuccess = () => resolve(open.result);
  });
  const store = () => db.transaction("items", "readwrite").objectStore("items");
  const items = await new Promise((resolve) => {
    const read = store().getAll();
    read.onsuccess = () => resolve(read.result);
  });
  const item = items[0];
  await new Promise((resolve) => { store().delete(item.uuid).onsuccess = resolve; });
  item.uuid = stored;
  item.body = item.body.map(([k, v]) => [k, k === "client_uuid" ? stored : v]);
  await new Promise((resolve) => { store().put(item).onsuccess = resolve; });
  return items.length;
}"""

ITEM_JS = """(uuid) => new Promise((resolve) => {
  const open = indexedDB.open("nara-outbox");
  open.onsuccess = () => {
    const read = open.result.transaction("items").objectStore("items").get(uuid);
    read.onsuccess = () => resolve(read.result ? read.result.status : null);
  };
})"""


def stored_tally(app) -> Tally:
    with new_session(app.extensions["nara_engine"]) as session:
        return session.exec(select(Tally).order_by(Tally.id.desc())).first()


def test_a_reused_submission_id_is_kept_on_the_phone_as_not_saved_and_never_resent(
        page, context, live_app):
    login(page, "fia")
    open_activity(page, live_app, "faltare-allvarssamtal")
    before = rows(live_app)
    page.locator("#same-again button[type=submit]").tap()
    wait_for_rows(page, live_app, before + 1)
    first = stored_tally(live_app)
    stored_id = str(first.client_uuid)

    context.set_offline(True)
    open_sheet(page)
    for field, label in (("gender_young", "Kille"), ("age_individual", "15"),
                         ("problem_area", "Skola"), ("route_in", "Polis")):
        chip(page, field, label).tap()
    page.locator("#composer button[type=submit]").tap()
    page.locator("#bubbles .status-pending").wait_for()
    assert page.evaluate(REUSE_JS, stored_id) == 1

    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/tallies") else None)
    context.set_offline(False)  # the outbox flushes when the network is back
    rejected = page.locator(f"#pending-{stored_id}.status-rejected")
    rejected.wait_for()
    page.reload()  # still there after a reload: the item is kept
    rejected.wait_for()
    assert rejected.locator(".tally-status").inner_text() == f"Inte sparad: {REUSED}"
    assert rejected.get_by_role("button", name="Ta bort").is_visible()

    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # flush again
    page.wait_for_timeout(1500)
    assert len([body for body in sent if stored_id in body]) == 1  # sent once, no loop
    assert page.evaluate(ITEM_JS, stored_id) == "rejected"  # kept on the phone
    wait_until(page, "() => document.getElementById('outbox-badge').hidden")
    assert rows(live_app) == before + 1
    assert stored_tally(live_app).id == first.id  # the stored tally is untouched
    expected = ("422", "ERR_INTERNET_DISCONNECTED")  # the refusal, and being offline
    assert not [e for e in page.console_errors if not any(x in e for x in expected)]
