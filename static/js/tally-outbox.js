// Nära's outbox for tallies (pinnstatistik), one user of offline-queue.js.
//
// Every tally form (form[data-outbox]) is queued with a UUID made here and only then sent;
// the server stores each UUID once, so a retry never makes a second row. Pending tallies
// show as bubbles (templates/tally/_texts.html) and in the header badge (#outbox-badge).
// Offline, an activity page is the data-free shell filled from the cached catalogue.
// Shared phones: an item waits for its owner's next sign-in, and is deleted once it is past
// the backdating limit (the server could no longer store it), with a notice to its owner.
// Tallies are anonymous; the catalogue holds no personal data.

import { currentUser, ready as deviceReady, url } from "./device.js";
import { createQueue, fragment, pageToken } from "./offline-queue.js";

const DATA_CACHE = "nara-tally-data";
const CATALOGUE_AT = "nara-catalogue-at";
const DAY_MS = 24 * 3600 * 1000;

const texts = () => document.getElementById("tally-texts")?.dataset || {};
const badge = () => document.getElementById("outbox-badge");

const queue = createQueue({
  name: "outbox",
  db: () => "nara-outbox",
  stores: { items: "uuid", last: "key" },
  headers: { "X-Nara-Outbox": "1" },
  saved: (response) => response.headers.has("X-Nara-Tally"),
  token: async (fresh) => (!fresh && pageToken()) || freshToken(),
  prepare: (item) => item.body,
  placed: placeSaved,
  refused: takeBack,
  rejected: showBubble,
  changed: updateBadge,
  warning: (count) => (badge()?.dataset.logoutWarning || "{count}").replace("{count}", count),
  forget: forgetShared,
});
const last = (mode, work) => queue.store("last", mode, work);

async function updateBadge() {
  const el = badge();
  if (!el) return;
  const count = String((await queue.mine()).length);
  el.querySelector(".outbox-count").textContent = count;
  el.hidden = count === "0";
  el.dataset.count = count;
}

// --- bubbles -------------------------------------------------------------------------------

function activityOnPage() {
  const form = document.getElementById("composer");
  if (form?.hasAttribute("data-outbox")) return form.dataset.activity;
  return document.getElementById("tally-shell")?.dataset.activity || "";
}

function pendingBubble(item) {
  const t = texts();
  const li = document.getElementById("tally-pending").content.firstElementChild.cloneNode(true);
  li.id = `pending-${item.uuid}`;
  li.dataset.uuid = item.uuid;
  li.classList.add(`status-${item.status}`);
  li.querySelector(".tally-lines").append(...(item.summary || []).map((line) =>
    Object.assign(document.createElement("li"), { textContent: line })));
  const at = new Date(item.when || item.created);
  Object.assign(li.querySelector("time"), { dateTime: at.toISOString(),
    textContent: at.toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit" }) });
  li.querySelector(".tally-status").textContent = item.status === "rejected"
    ? `${t.rejected}: ${item.error || t.rejectedHint}` : t.waiting;
  const undo = li.querySelector("[data-undo]");
  const left = Number(t.undoSeconds) * 1000 - (Date.now() - item.created);
  li.querySelector(item.status === "rejected" ? "[data-undo]" : "[data-remove]").remove();
  if (item.status !== "rejected") setTimeout(() => undo.remove(), Math.max(0, left));
  return li;
}

function showBubble(item) {
  const list = document.getElementById("bubbles");
  if (!list || String(item.activity) !== String(activityOnPage())) return;
  const old = document.getElementById(`pending-${item.uuid}`);
  const bubble = pendingBubble(item);
  if (old) old.replaceWith(bubble); else list.append(bubble);
  bubble.scrollIntoView({ block: "nearest" });
}

function placeSaved(item, html) {
  const content = fragment(html);
  const bubble = content.querySelector("li.tally-bubble");
  const again = content.querySelector("#same-again");
  const pending = document.getElementById(`pending-${item.uuid}`);
  const list = document.getElementById("bubbles");
  const here = String(item.activity) === String(activityOnPage());
  if (bubble && here && list) {
    if (bubble.id && document.getElementById(bubble.id)) pending?.remove();
    else if (pending) pending.replaceWith(bubble);
    else list.append(bubble);
    watchUndo(bubble);
    window.htmx?.process(bubble);
  } else {
    pending?.remove();
  }
  const current = document.getElementById("same-again");
  if (again && current && here && !document.getElementById("tally-shell")) current.replaceWith(again);
}

// The server says how long undo stays possible; the button leaves when that time is up.
function watchUndo(root) {
  for (const form of root.querySelectorAll("form.undo-form[data-undo-seconds]")) {
    if (form.dataset.watched) continue;
    form.dataset.watched = "1";
    setTimeout(() => form.remove(), Math.max(0, Number(form.dataset.undoSeconds) || 0) * 1000);
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
  fresh.querySelector('[aria-invalid="true"]')?.focus();
  return true;
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

// "Change first": load the last combination into the composer without a round trip.
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
  composer.querySelector('button[type="submit"]')?.focus();
  return true;
}

async function keep(form) {
  const data = new FormData(form);
  const uuid = crypto.randomUUID();
  data.set("client_uuid", uuid);
  data.delete("csrf_token");
  const now = Date.now();
  if (!data.get("day") && !data.get("time")) data.set("occurred_at", new Date(now).toISOString());
  const item = {
    uuid, user: currentUser(), activity: form.dataset.activity, url: form.action, created: now,
    when: now, body: [...data.entries()].filter(([, v]) => typeof v === "string"),
    summary: summarize(form), live: form.id === "composer",
  };
  await queue.add(item);
  await last("readwrite", (s) => s.put({ key: `${item.user}:${item.activity}`, body: item.body,
    summary: item.summary, url: item.url }));
  showBubble({ ...item, status: "pending" });
  if (form.id === "composer") {
    form.reset();
    for (const row of form.querySelectorAll("[data-field]")) markRow(row, "");
  }
  await updateBadge();
  queue.flush(true);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-outbox")) return;
  event.preventDefault();
  if (form.id !== "composer" || validate(form)) keep(form);
});

document.addEventListener("change", (event) => {
  const row = event.target.closest?.("#composer [data-field].invalid");
  if (row) markRow(row, "");
});

document.addEventListener("click", async (event) => {
  const link = event.target.closest?.("a[data-load-again]");
  if (link && loadAgain(link)) event.preventDefault();
  const button = event.target.closest?.("li[data-uuid] button");
  const bubble = button?.closest("li");
  if (bubble && (await queue.discard(bubble.dataset.uuid))) bubble.remove();
});

// --- the catalogue, for the offline shell ------------------------------------------------

async function freshToken() {
  try {
    const response = await fetch(url("catalogue"), { credentials: "same-origin", redirect: "manual" });
    if (!response.ok) return "";
    const data = await response.json();
    await cacheCatalogue(data);
    return data.csrf || "";
  } catch {
    return "";
  }
}

async function cacheCatalogue(data) {
  if (!("caches" in window) || !data?.user) return;
  const { csrf, ...copy } = data; // a session's token never goes into a cache
  await (await caches.open(DATA_CACHE)).put(url("catalogue"), new Response(JSON.stringify(copy),
    { headers: { "Content-Type": "application/json" } }));
  localStorage.setItem(CATALOGUE_AT, String(Date.now()));
}

async function cachedCatalogue() {
  if (!("caches" in window)) return null;
  const hit = await (await caches.open(DATA_CACHE)).match(url("catalogue"));
  return hit ? hit.json() : null;
}

async function refreshCatalogue() {
  const user = currentUser();
  if (!user || !navigator.onLine || document.getElementById("tally-shell")) return;
  const cached = await cachedCatalogue();
  const fresh = Date.now() - Number(localStorage.getItem(CATALOGUE_AT) || 0) < 5 * 60 * 1000;
  if (!(cached && String(cached.user) === user && fresh)) await freshToken();
}

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
  if (combo) document.getElementById("composer")?.before(sameAgainForm(combo, activity.id));
  for (const item of await queue.mine(user, null)) showBubble(item);
}

function sameAgainForm(combo, activityId) {
  const form = document.getElementById("tally-again").content.firstElementChild.cloneNode(true);
  form.action = combo.url;
  form.dataset.activity = String(activityId);
  for (const [name, value] of combo.body) {
    if (["client_uuid", "occurred_at", "day", "time"].includes(name)) continue;
    form.prepend(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
  }
  form.querySelector(".again-summary").textContent = (combo.summary || []).join(" · ");
  return form;
}

// --- shared phones: what no one owns, the backdating limit ----------------------------

// After anyone's session: the cached catalogue and the "same again" combinations go; the
// notices of deleted items wait for their owner.
async function forgetShared() {
  for (const record of await last("readonly", (s) => s.getAll())) {
    if (!record.key.startsWith("expired:")) await last("readwrite", (s) => s.delete(record.key));
  }
  if ("caches" in window) await caches.delete(DATA_CACHE);
}

// Items past the backdating limit can never be stored: delete them, and tell their owner
// (now, or at their next sign-in on this phone).
async function dropExpired(user) {
  const days = Number(badge()?.dataset.backdateDays);
  if (!days) return; // a page without the badge (the login page) knows no limit
  const dropped = new Map();
  for (const item of await queue.all()) {
    if ((item.when || item.created) >= Date.now() - days * DAY_MS || item.status !== "pending") continue;
    await queue.remove(item.uuid);
    dropped.set(item.user, (dropped.get(item.user) || 0) + 1);
  }
  for (const [owner, count] of dropped) {
    const known = await last("readonly", (s) => s.get(`expired:${owner}`));
    await last("readwrite", (s) => s.put({ key: `expired:${owner}`, count: (known?.count || 0) + count }));
  }
  const mine = user && (await last("readonly", (s) => s.get(`expired:${user}`)));
  const notice = document.getElementById("notice");
  if (!mine || !notice || !badge()?.dataset.expiredNotice) return;
  await last("readwrite", (s) => s.delete(`expired:${user}`));
  const text = badge().dataset.expiredNotice.replace("{count}", mine.count).replace("{days}", days);
  notice.replaceChildren(Object.assign(document.createElement("p"),
    { className: "notice-card", id: "outbox-expired", textContent: text }));
}

// --- start --------------------------------------------------------------------------------

// Runs on load and after every htmx swap (a boosted navigation replaces the header badge
// and may bring an activity thread whose pending tallies only this phone knows about).
async function pageReady() {
  watchUndo(document);
  if (activityOnPage() && !document.getElementById("tally-shell")) {
    for (const item of await queue.mine(currentUser(), null)) {
      if (!document.getElementById(`pending-${item.uuid}`)) showBubble(item);
    }
  }
  return updateBadge();
}

async function start() {
  await deviceReady;
  await dropExpired(currentUser());
  await fillShell();
  await pageReady();
  queue.flush(true);
  refreshCatalogue();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
document.addEventListener("htmx:after:settle", () => { pageReady(); });
