// The tally thread in the browser (an activity page and its offline shell; app.js loads it
// there, tally-outbox.js calls it): pending and saved bubbles, the undo window, the composer
// sheet with its checks, "same again", and filling the offline shell from the cached
// catalogue. The queue, the badge and sending are tally-outbox.js's, on every page.

import { currentUser } from "./device.js";
import { fragment, messageOf, pageToken, paced } from "./offline-queue.js";
import { cachedCatalogue, last, queue, registerThread, updateBadge } from "./tally-outbox.js";

const texts = () => document.getElementById("tally-texts")?.dataset || {};

// --- bubbles -------------------------------------------------------------------------------

function activityOnPage() {
  const form = document.getElementById("composer");
  if (form?.hasAttribute("data-outbox")) return form.dataset.activity;
  return document.getElementById("tally-shell")?.dataset.activity || "";
}

function timeText(at) {
  const lang = document.documentElement.lang;
  const sameDay = at.toDateString() === new Date().toDateString();
  return at.toLocaleString(lang, sameDay ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function pendingBubble(item) {
  const t = texts();
  const li = document.getElementById("tally-pending").content.firstElementChild.cloneNode(true);
  li.id = `pending-${item.uuid}`;
  li.dataset.uuid = item.uuid;
  li.dataset.created = String(item.created);
  li.classList.add(`status-${item.status}`);
  li.querySelector(".tally-lines").append(...(item.summary || []).map((line) =>
    Object.assign(document.createElement("li"), { textContent: line })));
  const at = new Date(item.when || item.created); // a backdated tally shows the chosen time
  Object.assign(li.querySelector("time"), { dateTime: at.toISOString(), textContent: timeText(at) });
  li.querySelector(".tally-status").textContent = item.status === "rejected"
    ? `${t.rejected}: ${item.error || t.rejectedHint}` : t.waiting;
  li.querySelector(item.status === "rejected" ? "[data-undo]" : "[data-remove]").remove();
  const undo = li.querySelector("[data-undo]");
  if (undo) countDown(undo, item.created + Number(t.undoSeconds) * 1000);
  return li;
}

// Waiting bubbles in the order they were made, after the saved ones. A new tally (the usual
// case) goes last, found from the end at once: a backlog of hundreds is drawn without
// walking it for each bubble.
function insertPending(list, bubble, created) {
  let later = null;
  for (let li = list.lastElementChild; li; li = li.previousElementSibling) {
    if (!li.matches("li[data-uuid]")) continue;
    if (Number(li.dataset.created) <= created) break;
    later = li;
  }
  list.insertBefore(bubble, later);
}

function showBubble(item, reveal = false) {
  const list = document.getElementById("bubbles");
  if (!list || String(item.activity) !== String(activityOnPage())) return;
  const old = document.getElementById(`pending-${item.uuid}`);
  const bubble = pendingBubble(item);
  if (old) old.replaceWith(bubble); else insertPending(list, bubble, item.created);
  tick(bubble);
  if (reveal) bubble.scrollIntoView({ block: "nearest" });
}

function isVisible(el) {
  const box = el.getBoundingClientRect();
  return box.bottom > 0 && box.top < innerHeight;
}

// Saved answers are drawn together, at most five times a second, not one by one as they
// come: a backlog being sent brings one every few milliseconds, each redraw lays out the
// whole thread, and the next answers waited behind those frames. A single tap after a
// pause is drawn at once.
let arrived = [];
const drawArrived = paced(() => {
  const batch = arrived;
  arrived = [];
  return placeArrived(batch);
});

function placeSaved(item, html) {
  arrived.push({ item, html });
  return drawArrived();
}

async function placeArrived(batch) {
  const list = document.getElementById("bubbles");
  const activity = String(activityOnPage());
  const rows = batch.map(({ item, html }) => {
    const content = fragment(html);
    return {
      item, here: String(item.activity) === activity,
      bubble: content.querySelector("li.tally-bubble"),
      again: content.querySelector("#same-again"),
      today: content.querySelector("#tally-today")?.dataset.count,
      pending: document.getElementById(`pending-${item.uuid}`),
    };
  });
  // Where the pending bubbles are, read before anything is changed (one layout).
  for (const row of rows) row.shown = Boolean(row.pending && isVisible(row.pending));
  let reveal = null;
  for (const { item, here, bubble, pending, shown } of rows) {
    if (!(bubble && here && list)) {
      pending?.remove();
      continue;
    }
    if (bubble.id && document.getElementById(bubble.id)) pending?.remove();
    else if (pending) pending.replaceWith(bubble);
    else list.append(bubble);
    watchUndo(bubble);
    if (shown) reveal = bubble;
    // Ångra was tapped while the tally was on its way: it is undone now that it is saved
    // (through the bubble in the page: the answer's own one if it was already there).
    const placed = (bubble.id && document.getElementById(bubble.id)) || bubble;
    const undoForm = placed.querySelector("form.undo-form");
    if (undoWhenSaved.delete(item.uuid) && undoForm) undo(undoForm);
  }
  if (reveal?.isConnected) reveal.scrollIntoView({ block: "nearest" });
  const mineHere = rows.filter((row) => row.here);
  if (!mineHere.length) return;
  // Only the newest combination becomes "same again": an older item confirmed late must
  // not replace what was queued after it (still waiting, or in this batch after it).
  const queued = (await queue.mine()).filter((i) => String(i.activity) === activity);
  const newest = Math.max(...queued.map((i) => i.created), ...mineHere.map((row) => row.item.created));
  const chosen = mineHere.findLast((row) => row.again && row.item.created >= newest);
  const current = document.getElementById("same-again");
  if (chosen && current) {
    const focused = current.contains(document.activeElement);
    current.replaceWith(chosen.again);
    if (focused) chosen.again.querySelector("button")?.focus({ preventScroll: true });
  }
  const latest = mineHere.findLast((row) => row.today !== undefined);
  if (latest) {
    const status = savedStatus();
    if (status) status.dataset.today = latest.today;
    const waiting = queued.length;
    announce(waiting ? "waiting" : "saved", waiting || latest.today);
  }
}

// Tallies whose Ångra was tapped while their request was on its way (by uuid).
const undoWhenSaved = new Set();

// --- what just happened, said in #saved-status (a live region that stays in the page) ----

const savedStatus = () => document.getElementById("saved-status");

function announce(kind, count) {
  const status = savedStatus();
  const words = status?.dataset[kind];
  if (!status || !words) return;
  status.textContent = words.replace("{count}", count);
}

async function waitingHere() {
  const activity = String(activityOnPage());
  return (await queue.mine()).filter((i) => String(i.activity) === activity).length;
}

// --- the undo window: Ångra shows the seconds left and leaves when they are up -----------

function countDown(element, deadline) {
  element.dataset.deadline = String(deadline);
}

// Every second for the whole page; for one bubble when it is placed (a backlog being sent
// places hundreds: each would otherwise touch every countdown on the page).
function tick(scope = document) {
  const t = texts();
  for (const element of scope.querySelectorAll("[data-deadline]")) {
    const left = Math.ceil((Number(element.dataset.deadline) - Date.now()) / 1000);
    if (left > 0) {
      const label = element.querySelector(".undo-left");
      const text = (t.seconds || "{n} s").replace("{n}", left);
      if (label && label.textContent !== text) label.textContent = text;
      continue;
    }
    const bubble = element.closest("li");
    const focused = element.contains(document.activeElement);
    element.remove();
    if (focused) focusBubble(bubble);
  }
}
setInterval(() => tick(), 1000);

// The server says how long undo stays possible.
function watchUndo(root) {
  for (const form of root.querySelectorAll("form.undo-form[data-undo-seconds]")) {
    if (!form.dataset.deadline) {
      countDown(form, Date.now() + Math.max(0, Number(form.dataset.undoSeconds) || 0) * 1000);
    }
  }
  tick(root);
}

function focusBubble(bubble) {
  if (!bubble?.isConnected) return;
  bubble.tabIndex = -1;
  bubble.focus({ preventScroll: true });
}

// Focus after a waiting bubble is taken back: the bar ("same again", else "new").
function focusComposer() {
  (document.querySelector("#same-again button") || document.querySelector("[data-open-sheet]"))
    ?.focus({ preventScroll: true });
}

// Undo of a saved tally: sent from here (not swapped by htmx) so focus goes to the bubble
// and the result is said in #saved-status. Offline it cannot reach the server: say so.
async function undo(form) {
  const bubble = form.closest("li");
  let response;
  try {
    if (!navigator.onLine) throw new Error("offline");
    response = await fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
      headers: { "X-CSRFToken": pageToken(), "HX-Request": "true" }, redirect: "manual",
    });
  } catch {
    announce("offlineUndo", "");
    return;
  }
  const html = await response.text();
  const fresh = fragment(html).querySelector("li.tally-bubble");
  if (!response.ok || !fresh) {
    const status = savedStatus();
    if (status) status.textContent = messageOf(html) || status.dataset.offlineUndo;
    return;
  }
  bubble.replaceWith(fresh);
  focusBubble(fresh);
  const today = fragment(html).querySelector("#tally-today")?.dataset.count;
  if (today !== undefined) {
    savedStatus().dataset.today = today;
    announce("undone", today);
  }
}

// A refused tally: while the person is still at the composer, it goes back with the
// messages and the choices kept; otherwise it stays as "not saved" with the server's words.
async function takeBack(item, html, kind) {
  const composer = document.getElementById("composer");
  const here = composer?.hasAttribute("data-outbox") &&
    String(composer.dataset.activity) === String(item.activity);
  const fresh = kind === "invalid" ? fragment(html).querySelector("form") : null;
  if (!fresh || !item.live || !here || Date.now() - item.created >= 60000) return false;
  document.getElementById(`pending-${item.uuid}`)?.remove();
  composer.replaceWith(fresh);
  openSheet();
  fresh.querySelector('[aria-invalid="true"]')?.focus();
  return true;
}

// --- the sheet ------------------------------------------------------------------------------

const sheet = () => document.getElementById("composer-sheet");

function openSheet() {
  const dialog = sheet();
  if (!dialog) return false;
  if (dialog.open && !dialog.matches(":modal")) dialog.close(); // rendered open (no script)
  if (!dialog.open) dialog.showModal();
  return true;
}

function closeSheet() {
  const dialog = sheet();
  if (dialog?.open) dialog.close();
}

// The time chosen in "när", in the summary line (not "När: nu" once a date is chosen).
function showWhen(form) {
  const label = form?.querySelector(".when-label");
  if (!label) return;
  const at = chosenTime(form.querySelector('[name="day"]')?.value, form.querySelector('[name="time"]')?.value);
  label.textContent = at === null ? label.dataset.unchanged
    : (texts().whenChosen || "{when}").replace("{when}", timeText(new Date(at)));
}

function localDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// As the server reads it (models.tally.occurred_from): an earlier day without a time is
// noon, today without a time is now.
function chosenTime(day, clock) {
  if (!day && !clock) return null;
  const today = localDay();
  const date = day || today;
  if (!clock) {
    if (date === today) return Date.now();
    clock = "12:00";
  }
  const at = new Date(`${date}T${clock}`).getTime();
  return Number.isNaN(at) ? null : at;
}

// --- the composer ---------------------------------------------------------------------------

function markRow(row, message) {
  const key = row.dataset.field;
  let error = row.querySelector(`#err-${CSS.escape(key)}`);
  row.classList.toggle("invalid", Boolean(message));
  for (const input of row.querySelectorAll("input")) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  if (message) {
    if (!error) {
      error = Object.assign(document.createElement("p"), { className: "field-error", id: `err-${key}` });
      row.append(error);
    }
    error.textContent = message;
    row.setAttribute("aria-describedby", error.id);
  } else if (error) {
    error.remove();
    row.removeAttribute("aria-describedby");
  }
}

function numberProblem(input, form) {
  const raw = input.value.trim();
  if (raw === "") return "";
  const n = Number(raw);
  const low = input.min === "" ? 0 : Number(input.min);
  const high = input.max === "" ? Infinity : Number(input.max);
  if (Number.isInteger(n) && n >= low && n <= high) return "";
  return (form.dataset.msgRange || "").replace("{min}", low).replace("{max}", high);
}

// Browser-side check from the same definitions the server enforces: required chips, ranges.
function validate(form) {
  let first = null;
  for (const row of form.querySelectorAll("[data-field]")) {
    let message = "";
    const numbers = [...row.querySelectorAll('input[type="number"]')];
    for (const input of numbers) message = message || numberProblem(input, form);
    if (!message && row.dataset.required) {
      if (row.dataset.split) {
        if (!numbers.some((i) => Number(i.value) > 0)) message = form.dataset.msgCount;
      } else if (!row.querySelector("input:checked")) {
        message = form.dataset.msgRequired;
      }
    }
    markRow(row, message);
    if (message && !first) first = row;
  }
  if (first) {
    first.querySelector("input")?.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
    return false;
  }
  form.querySelector(".form-error")?.remove();
  return true;
}

function summarize(form) {
  const again = form.querySelector(".again-summary");
  if (again) return again.textContent.split(" · ").map((s) => s.trim()).filter(Boolean);
  const lines = [];
  for (const row of form.querySelectorAll("[data-field]")) {
    if (row.dataset.field === "unit") continue;
    const label = (row.querySelector("legend, .stepper-label")?.firstChild?.textContent || "").trim();
    const checked = [...row.querySelectorAll("input:checked")]
      .map((i) => i.nextElementSibling?.textContent.trim());
    if (checked.length) {
      lines.push(row.querySelector('input[type="checkbox"]') ? `${label}: ${checked.join(", ")}`
        : checked[0]);
      continue;
    }
    const steppers = [...row.querySelectorAll(".stepper")];
    if (row.dataset.split) {
      const parts = steppers.map((s) => [s.querySelector(".stepper-label").textContent.trim(),
        s.querySelector("input").value]).filter(([, v]) => Number(v) > 0);
      if (parts.length) lines.push(`${label}: ${parts.map((p) => p.join(" ")).join(", ")}`);
    } else if (steppers.length) {
      lines.push(`${label}: ${steppers[0].querySelector("input").value}`);
    }
  }
  return lines;
}

// "Change first": load the last combination into the composer sheet without a round trip.
function loadAgain(link) {
  const source = link.closest("form");
  const composer = document.getElementById("composer");
  if (!source || !composer) return false;
  for (const input of composer.querySelectorAll('input[type="checkbox"]')) input.checked = false;
  for (const input of composer.querySelectorAll('input[type="number"]')) input.value = "0";
  for (const [name, value] of new FormData(source).entries()) {
    if (["csrf_token", "client_uuid", "occurred_at"].includes(name)) continue;
    for (const input of composer.querySelectorAll(`input[name="${CSS.escape(name)}"]`)) {
      if (input.type === "number") input.value = value;
      else if (input.value === value) input.checked = true;
    }
  }
  openSheet();
  composer.querySelector('button[type="submit"]')?.focus();
  return true;
}

// "Same again" for a combination: the server's form, or this one built on the phone from
// what was just queued (offline, and on the cached page).
function sameAgainForm(combo, activityId) {
  const form = document.getElementById("tally-again").content.firstElementChild.cloneNode(true);
  form.action = combo.url;
  form.dataset.activity = String(activityId);
  for (const [name, value] of combo.body) {
    if (["client_uuid", "occurred_at", "day", "time", "csrf_token"].includes(name)) continue;
    form.prepend(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
  }
  form.querySelector(".again-summary").textContent = (combo.summary || []).join(" · ");
  return form;
}

function showSameAgain(combo, activityId) {
  const holder = document.getElementById("same-again");
  if (holder && document.getElementById("tally-again")) {
    holder.replaceChildren(sameAgainForm(combo, activityId));
  }
}

async function keep(form) {
  const data = new FormData(form);
  const uuid = crypto.randomUUID();
  data.set("client_uuid", uuid);
  data.delete("csrf_token");
  const now = Date.now();
  const chosen = chosenTime(data.get("day"), data.get("time"));
  if (chosen === null) data.set("occurred_at", new Date(now).toISOString());
  const live = form.id === "composer";
  const item = {
    uuid, user: currentUser(), activity: form.dataset.activity, url: form.action, created: now,
    when: chosen ?? now, body: [...data.entries()].filter(([, v]) => typeof v === "string"),
    summary: summarize(form), live,
  };
  const combo = { key: `${item.user}:${item.activity}`, body: item.body, summary: item.summary,
    url: item.url };
  // At once, before anything is awaited: the sheet closes empty for the next tally and
  // "same again" becomes what was just logged (also offline, also on the cached page).
  if (live) {
    closeSheet();
    form.reset();
    for (const row of form.querySelectorAll("[data-field]")) markRow(row, "");
    showWhen(form);
    showSameAgain(combo, item.activity);
  }
  await queue.add(item);
  showBubble({ ...item, status: "pending" }, true); // once it is on the phone's disk
  await last("readwrite", (s) => s.put(combo));
  updateBadge(); // not awaited: sending never waits for a redraw
  await queue.flush(true);
  if (await queue.get(uuid)) announce("waiting", await waitingHere());
}

// A tally form or an undo, sent (tally-outbox.js catches the submit event).
function submitted(form) {
  if (form.matches("form.undo-form")) undo(form);
  else if (form.id !== "composer" || validate(form)) keep(form);
}

document.addEventListener("change", (event) => {
  const row = event.target.closest?.("#composer [data-field].invalid");
  if (row) markRow(row, "");
  if (event.target.matches?.('#composer [name="day"], #composer [name="time"]')) {
    showWhen(event.target.form);
  }
});

document.addEventListener("click", async (event) => {
  const link = event.target.closest?.("a[data-load-again]");
  if (link && loadAgain(link)) event.preventDefault();
  const opener = event.target.closest?.("a[data-open-sheet]");
  if (opener && openSheet()) event.preventDefault();
  if (event.target.closest?.("[data-close-sheet]")) closeSheet();
  // a tap on the dimmed thread around the sheet closes it (the choices stay)
  if (event.target === sheet()) closeSheet();
  const button = event.target.closest?.("li[data-uuid] button");
  const bubble = button?.closest("li");
  if (!bubble) return;
  if (await queue.discard(bubble.dataset.uuid)) {
    bubble.remove();
    focusComposer();
    announce("removed", await waitingHere());
  } else if (button.matches("[data-undo]") && queue.sending(bubble.dataset.uuid)) {
    // On its way to the server: it cannot be taken back from the phone, so it is undone on
    // the server as soon as the answer comes (placeSaved), never silently kept.
    undoWhenSaved.add(bubble.dataset.uuid);
    button.disabled = true;
    announce("undoing", "");
  }
});

async function fillShell() {
  const shell = document.getElementById("tally-shell");
  if (!shell) return;
  const match = location.pathname.match(/\/activities\/(\d+)/);
  const data = await cachedCatalogue();
  const user = currentUser();
  // Only the catalogue of the person this phone is signed in as, never the last person's.
  const activity = data && match && user && String(data.user) === user &&
    data.activities.find((a) => String(a.id) === match[1]);
  if (!activity) {
    shell.textContent = shell.dataset.missing;
    return;
  }
  shell.dataset.activity = String(activity.id);
  document.querySelector("[data-shell-title]").textContent = activity.name;
  document.querySelector("[data-shell-subtitle]").textContent = activity.subtitle;
  document.title = `${activity.name} · Nära`;
  document.getElementById("shell-panel").replaceChildren(fragment(activity.html));
  const combo = await last("readonly", (s) => s.get(`${user}:${activity.id}`));
  if (combo) showSameAgain(combo, activity.id);
  for (const item of await queue.mine(user, null)) showBubble(item);
  toNewest();
}

// The thread opens at the newest bubble, just above the bar (a chat's reading order).
// After htmx's own scroll of a boosted swap.
function toNewest() {
  if (!document.getElementById("bubbles") || !activityOnPage()) return;
  requestAnimationFrame(() => setTimeout(() => {
    if (!sheet()?.open) window.scrollTo({ top: document.documentElement.scrollHeight });
  }, 0));
}

// On load and after every htmx swap (tally-outbox.js calls it): pending tallies only this
// phone knows about become bubbles; a sheet rendered open (no script, a 422 page) opens.
async function pageReady() {
  watchUndo(document);
  const dialog = sheet();
  if (dialog?.open && !dialog.matches(":modal")) { // "new" without script, or a 422 page
    openSheet();
    (dialog.querySelector('[aria-invalid="true"]') || dialog.querySelector("input:not([type=hidden])"))
      ?.focus();
  }
  if (activityOnPage() && !document.getElementById("tally-shell")) {
    for (const item of await queue.mine(currentUser(), null)) {
      if (!document.getElementById(`pending-${item.uuid}`)) showBubble(item);
    }
    toNewest();
  }
}

registerThread({ submitted, placeSaved, takeBack, showBubble, fillShell, pageReady });
