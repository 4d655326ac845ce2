// Nära's offline outbox for tallies (pinnstatistik).
//
// Every tally form (form[data-outbox]) is written to IndexedDB first, with a UUID made
// here, and only then sent. The server stores each UUID once, so sending again after a
// timeout or a dead connection never makes a second row. The outbox flushes on page
// load, on `online`, and every 30 s while it holds anything, oldest first, backing off
// after failures. The header badge (#outbox-badge) shows what is waiting.
//
// Shared phones: every item carries its owner's user id; the outbox shows, counts and
// sends only the signed-in person's items, so the next person sees no trace of them. An
// item waits for its owner's next sign-in on this phone, and is deleted once it is past the
// backdating limit (the server could no longer store it), with a notice to its owner. A
// request that meets an ended session stops the outbox and goes to the login page with the
// reason. Signing out (device.js) tries a last flush, asks before dropping anything, then
// clears the person's items. Tallies are anonymous; the catalogue holds no personal data.

import { currentUser, ready as deviceReady, registerRoom } from "./device.js";

const DB_NAME = "nara-outbox";
const ITEMS = "items";
const LAST = "last";
const DATA_CACHE = "nara-tally-data";
const CATALOGUE_URL = "/tally/catalogue.json";
const CATALOGUE_AT = "nara-catalogue-at";
const FLUSH_EVERY_MS = 30000;
const TIMEOUT_MS = 10000;
const UNDO_MS = 10000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

// --- IndexedDB ---------------------------------------------------------------------------

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore(ITEMS, { keyPath: "uuid" });
        db.createObjectStore(LAST, { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function store(name, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const result = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const allItems = () => store(ITEMS, "readonly", (s) => s.getAll());
const putItem = (item) => store(ITEMS, "readwrite", (s) => s.put(item));
const deleteItem = (uuid) => store(ITEMS, "readwrite", (s) => s.delete(uuid));
const getItem = (uuid) => store(ITEMS, "readonly", (s) => s.get(uuid));
const putLast = (record) => store(LAST, "readwrite", (s) => s.put(record));
const getLast = (key) => store(LAST, "readonly", (s) => s.get(key));

// --- who and what --------------------------------------------------------------------------

function texts() {
  const el = document.getElementById("tally-texts");
  return el ? el.dataset : {};
}

function csrfToken() {
  const meta = document.querySelector('meta[name="nara-csrf"]');
  return meta ? meta.content : "";
}

function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function pendingItems(user) {
  const items = await allItems();
  return items.filter((i) => i.user === user && i.status === "pending")
    .sort((a, b) => a.created - b.created);
}

// --- the badge ----------------------------------------------------------------------------

async function updateBadge() {
  const badge = document.getElementById("outbox-badge");
  if (!badge) return 0;
  const user = currentUser();
  const count = user ? (await pendingItems(user)).length : 0;
  const number = badge.querySelector(".outbox-count");
  if (number) number.textContent = String(count);
  badge.hidden = count === 0;
  badge.dataset.count = String(count);
  return count;
}

// --- bubbles -------------------------------------------------------------------------------

function activityOnPage() {
  const form = document.getElementById("composer");
  if (form && form.hasAttribute("data-outbox")) return form.dataset.activity;
  const shell = document.getElementById("tally-shell");
  return shell ? shell.dataset.activity || "" : "";
}

function timeText(ms) {
  return new Date(ms).toLocaleTimeString(document.documentElement.lang || "sv",
    { hour: "2-digit", minute: "2-digit" });
}

function pendingBubble(item) {
  const t = texts();
  const li = document.createElement("li");
  li.className = `bubble mine tally-bubble status-${item.status}`;
  li.id = `pending-${item.uuid}`;
  const body = document.createElement("div");
  body.className = "bubble-body";
  const lines = document.createElement("ul");
  lines.className = "tally-lines";
  for (const line of item.summary || []) {
    const entry = document.createElement("li");
    entry.textContent = line;
    lines.append(entry);
  }
  body.append(lines);
  const meta = document.createElement("p");
  meta.className = "bubble-meta";
  const status = document.createElement("span");
  status.className = "tally-status";
  status.textContent = item.status === "rejected"
    ? `${t.rejected || "Not saved"}: ${item.error || ""}` : (t.waiting || "waiting to send");
  meta.append(`${timeText(item.when || item.created)} · `, status);
  li.append(body, meta);
  const actions = document.createElement("div");
  actions.className = "bubble-actions";
  if (item.status === "rejected") {
    actions.append(actionButton(t.remove || "Remove", () => discard(item.uuid)));
  } else if (Date.now() - item.created < UNDO_MS) {
    const undo = actionButton(t.undo || "Undo", () => discard(item.uuid));
    actions.append(undo);
    setTimeout(() => undo.remove(), UNDO_MS - (Date.now() - item.created));
  }
  li.append(actions);
  return li;
}

function actionButton(label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button small";
  button.textContent = label;
  button.addEventListener("click", onClick);
  return button;
}

const inFlight = new Set();

async function discard(uuid) {
  if (inFlight.has(uuid)) return; // already on its way: the saved bubble brings its own undo
  await deleteItem(uuid);
  document.getElementById(`pending-${uuid}`)?.remove();
  updateBadge();
}

function showBubble(item) {
  const list = document.getElementById("bubbles");
  if (!list || String(item.activity) !== String(activityOnPage())) return;
  const old = document.getElementById(`pending-${item.uuid}`);
  const bubble = pendingBubble(item);
  if (old) old.replaceWith(bubble); else list.append(bubble);
  bubble.scrollIntoView({ block: "nearest" });
}

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
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
    if (window.htmx) window.htmx.process(bubble);
  } else {
    pending?.remove();
  }
  const current = document.getElementById("same-again");
  if (again && current && here && !document.getElementById("tally-shell")) {
    current.replaceWith(again);
  }
}

// The server says how long undo stays possible; the button leaves when that time is up.
function watchUndo(root) {
  for (const form of root.querySelectorAll("form.undo-form[data-undo-seconds]")) {
    if (form.dataset.watched) continue;
    form.dataset.watched = "1";
    const seconds = Math.max(0, Math.min(10, Number(form.dataset.undoSeconds) || 0));
    setTimeout(() => form.remove(), seconds * 1000);
  }
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
      error = document.createElement("p");
      error.className = "field-error";
      error.id = `err-${key}`;
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
  if (!Number.isInteger(n) || n < low || n > high) {
    return (form.dataset.msgRange || "").replace("{min}", low).replace("{max}", high);
  }
  return "";
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
  const pairs = [...new FormData(source).entries()]
    .filter(([name]) => !["csrf_token", "client_uuid", "occurred_at"].includes(name));
  for (const input of composer.querySelectorAll('input[type="checkbox"]')) input.checked = false;
  for (const input of composer.querySelectorAll('input[type="number"]')) input.value = "0";
  for (const [name, value] of pairs) {
    for (const input of composer.querySelectorAll(`input[name="${CSS.escape(name)}"]`)) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.value === value) input.checked = true;
      } else if (input.type === "number") {
        input.value = value;
      }
    }
  }
  composer.querySelector('button[type="submit"]')?.focus();
  return true;
}

async function queue(form) {
  const data = new FormData(form);
  const uuid = newUuid();
  data.set("client_uuid", uuid);
  data.delete("csrf_token");
  const now = Date.now();
  if (!data.get("day") && !data.get("time")) data.set("occurred_at", new Date(now).toISOString());
  const user = currentUser();
  const item = {
    uuid, user, activity: form.dataset.activity, url: form.action, created: now, when: now,
    body: [...data.entries()].filter(([, v]) => typeof v === "string"),
    summary: summarize(form), status: "pending", attempts: 0, next: 0,
    live: form.id === "composer",
  };
  await putItem(item);
  await putLast({ key: `${user}:${item.activity}`, body: item.body, summary: item.summary,
    url: item.url });
  showBubble(item);
  if (form.id === "composer") {
    form.reset();
    for (const row of form.querySelectorAll("[data-field]")) markRow(row, "");
  }
  await updateBadge();
  flush(true);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-outbox")) return;
  event.preventDefault();
  if (form.id === "composer" && !validate(form)) return;
  queue(form);
});

document.addEventListener("change", (event) => {
  const row = event.target.closest?.("#composer [data-field].invalid");
  if (row) markRow(row, "");
});

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-load-again]");
  if (link && loadAgain(link)) event.preventDefault();
});

// --- sending ---------------------------------------------------------------------------

async function freshToken() {
  try {
    const response = await fetch(CATALOGUE_URL, { credentials: "same-origin", redirect: "manual" });
    if (!response.ok) return "";
    const data = await response.json();
    await cacheCatalogue(data);
    return data.csrf || "";
  } catch {
    return "";
  }
}

async function send(item, token) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  inFlight.add(item.uuid);
  try {
    const response = await fetch(item.url, {
      method: "POST",
      body: new URLSearchParams(item.body),
      headers: { "X-CSRFToken": token, "X-Nara-Outbox": "1", "HX-Request": "true" },
      credentials: "same-origin",
      redirect: "manual",
      signal: controller.signal,
    });
    if (response.type === "opaqueredirect") return { kind: "auth", login: "/login" };
    if (response.status === 401) {
      const body = await response.json().catch(() => ({}));
      return { kind: "auth", login: body.login || "/login" };
    }
    const html = await response.text();
    if ((response.status === 200 || response.status === 201) &&
        response.headers.get("X-Nara-Tally")) return { kind: "saved", html };
    // The id was already used for a different tally (the server keeps that one): this
    // item can never be stored as it is. Kept, marked, and never sent again.
    if (response.status === 422 && response.headers.get("X-Nara-Outcome") === "reused") {
      return { kind: "rejected", html };
    }
    if (response.status === 422) return { kind: "invalid", html };
    if (response.status === 400) return { kind: "csrf", html };
    if ([403, 404, 409, 413].includes(response.status)) return { kind: "rejected", html };
    return { kind: "retry" };
  } catch {
    return { kind: "retry" };
  } finally {
    clearTimeout(timer);
    inFlight.delete(item.uuid);
  }
}

function messageOf(html) {
  const content = fragment(html || "");
  const messages = [...content.querySelectorAll(".field-error, .notice-card")]
    .map((el) => el.textContent.trim().replace(/\s+/g, " "));
  return messages.join(" ") || texts().rejectedHint || "";
}

function backoff(attempts) {
  const base = Math.min(MAX_BACKOFF_MS, FLUSH_EVERY_MS * 2 ** Math.max(0, attempts - 1));
  return base / 2 + Math.random() * (base / 2);
}

async function handleInvalid(item, result) {
  const composer = document.getElementById("composer");
  const here = composer && composer.hasAttribute("data-outbox") &&
    String(composer.dataset.activity) === String(item.activity);
  const fresh = result.kind === "invalid" ? fragment(result.html).querySelector("form") : null;
  if (fresh && item.live && here && Date.now() - item.created < 60000) {
    // The person is still at the composer: give it back with the messages, choices kept.
    await deleteItem(item.uuid);
    document.getElementById(`pending-${item.uuid}`)?.remove();
    composer.replaceWith(fresh);
    fresh.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  item.status = "rejected";
  item.error = messageOf(result.html);
  await putItem(item);
  showBubble(item);
}

let flushing = null;
let again = false;
let stopped = false;

async function flushNow(force) {
  const user = currentUser();
  if (!user || stopped) return;
  let token = csrfToken();
  for (const item of await pendingItems(user)) {
    if (!force && item.next > Date.now()) break; // strictly in order
    if (!token) token = await freshToken();
    let result = await send(item, token);
    if (result.kind === "csrf") {
      token = await freshToken();
      result = token ? await send(item, token) : { kind: "retry" };
      if (result.kind === "csrf") result = { kind: "rejected", html: result.html };
    }
    if (result.kind === "auth") {
      // The session has ended (idle, absolute limit, ended elsewhere): stop here, keep the
      // items for their owner, and show the login page with the reason.
      stopped = true;
      location.replace(result.login);
      return;
    }
    if (result.kind === "saved") {
      await deleteItem(item.uuid);
      placeSaved(item, result.html);
    } else if (result.kind === "invalid" || result.kind === "rejected") {
      await handleInvalid(item, result);
    } else {
      if (!(await getItem(item.uuid))) continue; // discarded meanwhile
      item.attempts += 1;
      item.next = Date.now() + backoff(item.attempts);
      await putItem(item);
      break;
    }
    await updateBadge();
  }
}

export function flush(force = false) {
  if (flushing) {
    again = again || force;
    return flushing;
  }
  const run = () => flushNow(force);
  const locked = navigator.locks
    ? navigator.locks.request("nara-outbox", { ifAvailable: true }, (lock) => (lock ? run() : null))
    : run();
  flushing = Promise.resolve(locked).catch(() => {}).finally(async () => {
    flushing = null;
    await updateBadge();
    if (again) {
      again = false;
      flush(true);
    }
  });
  return flushing;
}

setInterval(async () => {
  if ((await updateBadge()) > 0) flush(false);
}, FLUSH_EVERY_MS);
window.addEventListener("online", () => flush(true));

// --- the catalogue, for the offline shell ------------------------------------------------

async function cacheCatalogue(data) {
  if (!("caches" in window) || !data || !data.user) return;
  const copy = { ...data };
  delete copy.csrf; // a session's token never goes into a cache
  const cache = await caches.open(DATA_CACHE);
  await cache.put(CATALOGUE_URL, new Response(JSON.stringify(copy),
    { headers: { "Content-Type": "application/json" } }));
  localStorage.setItem(CATALOGUE_AT, String(Date.now()));
}

async function cachedCatalogue() {
  if (!("caches" in window)) return null;
  const hit = await (await caches.open(DATA_CACHE)).match(CATALOGUE_URL);
  return hit ? hit.json() : null;
}

async function refreshCatalogue() {
  const user = currentUser();
  if (!user || !navigator.onLine || document.getElementById("tally-shell")) return;
  const cached = await cachedCatalogue();
  const fresh = Date.now() - Number(localStorage.getItem(CATALOGUE_AT) || 0) < 5 * 60 * 1000;
  if (cached && String(cached.user) === String(user) && fresh) return;
  await freshToken();
}

async function fillShell() {
  const shell = document.getElementById("tally-shell");
  if (!shell) return;
  const match = location.pathname.match(/^\/activities\/(\d+)/);
  const data = await cachedCatalogue();
  const shellUser = currentUser();
  // Only the catalogue of the person this phone is signed in as, never the last person's.
  const activity = data && match && shellUser && String(data.user) === shellUser &&
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
  const composer = document.getElementById("composer");
  const last = await getLast(`${shellUser}:${activity.id}`);
  if (last && composer) composer.before(sameAgainForm(last, activity.id));
  for (const item of await allItems()) {
    if (item.user === shellUser && String(item.activity) === String(activity.id)) showBubble(item);
  }
}

function sameAgainForm(last, activityId) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = last.url;
  form.dataset.activity = String(activityId);
  form.setAttribute("data-outbox", "");
  form.className = "same-again";
  for (const [name, value] of last.body) {
    if (name === "client_uuid" || name === "occurred_at" || name === "day" || name === "time") {
      continue;
    }
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "button again";
  const label = document.createElement("span");
  label.className = "again-label";
  label.textContent = texts().again || "Same again";
  const summary = document.createElement("span");
  summary.className = "again-summary";
  summary.textContent = (last.summary || []).join(" · ");
  button.append(label, summary);
  form.append(button);
  return form;
}

// --- shared phones: sign-out, the next person, the backdating limit ----------------------

async function clearItemsOf(user) {
  const items = await allItems();
  await Promise.all(items.filter((i) => i.user === user).map((i) => deleteItem(i.uuid)));
}

// What no one owns once a session is over: the cached catalogue, the "same again" combos.
async function forgetShared() {
  for (const record of await store(LAST, "readonly", (s) => s.getAll())) {
    // notices of deleted items wait for their owner; everything else goes
    if (!record.key.startsWith("expired:")) {
      await store(LAST, "readwrite", (s) => s.delete(record.key));
    }
  }
  if ("caches" in window) await caches.delete(DATA_CACHE);
}

registerRoom({
  async pending(user) {
    if ((await pendingItems(user)).length) await flush(true);
    return (await pendingItems(user)).length;
  },
  warning(count) {
    const badge = document.getElementById("outbox-badge");
    const text = (badge && badge.dataset.logoutWarning) || "{count}";
    return text.replace("{count}", count);
  },
  clear: clearItemsOf,
  forget: forgetShared,
});

function backdateDays() {
  return Number(document.getElementById("outbox-badge")?.dataset.backdateDays) || 14;
}

// Items past the backdating limit can never be stored: delete them, and tell their owner
// (now, or at their next sign-in on this phone).
async function dropExpired(user) {
  const days = backdateDays();
  const limit = Date.now() - days * DAY_MS;
  const dropped = new Map();
  for (const item of await allItems()) {
    if ((item.when || item.created) >= limit || item.status !== "pending") continue;
    await deleteItem(item.uuid);
    dropped.set(item.user, (dropped.get(item.user) || 0) + 1);
  }
  for (const [owner, count] of dropped) {
    const key = `expired:${owner}`;
    const known = await getLast(key);
    await putLast({ key, count: ((known && known.count) || 0) + count });
  }
  if (!user) return;
  const mine = await getLast(`expired:${user}`);
  if (!mine) return;
  await store(LAST, "readwrite", (s) => s.delete(`expired:${user}`));
  const badge = document.getElementById("outbox-badge");
  const notice = document.getElementById("notice");
  if (badge && notice && badge.dataset.expiredNotice) {
    const card = document.createElement("p");
    card.className = "notice-card";
    card.id = "outbox-expired";
    card.textContent = badge.dataset.expiredNotice.replace("{count}", mine.count)
      .replace("{days}", days);
    notice.replaceChildren(card);
  }
}

// --- start --------------------------------------------------------------------------------

// Runs on load and after every htmx swap (a boosted navigation replaces the header badge
// and may bring an activity thread whose pending tallies only this phone knows about).
async function pageReady() {
  watchUndo(document);
  const user = currentUser();
  const here = activityOnPage();
  if (user && here && !document.getElementById("tally-shell")) {
    for (const item of await allItems()) {
      if (item.user === user && String(item.activity) === String(here) &&
          !document.getElementById(`pending-${item.uuid}`)) showBubble(item);
    }
  }
  return updateBadge();
}

async function start() {
  await deviceReady;
  await dropExpired(currentUser());
  await fillShell();
  await pageReady();
  flush(true);
  refreshCatalogue();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
document.addEventListener("htmx:after:settle", () => { pageReady(); });
