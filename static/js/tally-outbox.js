// Nära's outbox for tallies (pinnstatistik), one user of offline-queue.js: on every page.
//
// Every tally form (form[data-outbox]) is queued with a UUID made here and only then sent;
// the server stores each UUID once, so a retry never makes a second row. Pending tallies
// show as bubbles (templates/tally/_texts.html) and in the header badge (#outbox-badge).
// Offline, an activity page is the data-free shell filled from the cached catalogue.
// Shared phones: an item waits for its owner's next sign-in, and is deleted once it is past
// the backdating limit (the server could no longer store it), with a notice to its owner.
// Tallies are anonymous; the catalogue holds no personal data.
//
// This module is what every page needs: the queue and its sending, the badge, the cached
// catalogue, the inbox shell, sign-out. What only an activity thread (or its offline shell)
// needs — bubbles, the composer sheet, "same again", undo — is tally-thread.js, which app.js
// loads on those pages (THREAD_PAGE) and which registers itself here. A tally form sent
// before it has loaded waits for it: it is never sent past the outbox.

import { currentUser, ready as deviceReady, url } from "./device.js";
import { createQueue, pageToken, paced } from "./offline-queue.js";

const DATA_CACHE = "nara-tally-data";
const CATALOGUE_AT = "nara-catalogue-at";
const DAY_MS = 24 * 3600 * 1000;

const badge = () => document.getElementById("outbox-badge");

// --- the activity thread's code (tally-thread.js) ---------------------------------------

export const THREAD_PAGE = "#tally-texts, #tally-shell, form[data-outbox], form.undo-form";
let threadLoaded;
const threadCode = new Promise((resolve) => { threadLoaded = resolve; });

// tally-thread.js hands over its functions once loaded (null: it could not be loaded).
export function registerThread(thread) {
  threadLoaded(thread);
}

// The thread's code on a page that has a thread (waiting for it to load), else null.
async function threadHere() {
  return document.querySelector(THREAD_PAGE) ? threadCode : null;
}

export const queue = createQueue({
  name: "outbox",
  db: () => "nara-outbox",
  stores: { items: "uuid", last: "key" },
  headers: { "X-Nara-Outbox": "1" },
  saved: (response) => response.headers.has("X-Nara-Tally"),
  token: async (fresh) => (!fresh && pageToken()) || freshToken(),
  prepare: (item) => item.body,
  async placed(item, html) {
    const thread = await threadHere();
    if (thread) return thread.placeSaved(item, html);
    document.getElementById(`pending-${item.uuid}`)?.remove();
  },
  refused: async (item, html, kind) => Boolean(await (await threadHere())?.takeBack(item, html, kind)),
  rejected: async (item) => (await threadHere())?.showBubble(item),
  changed: () => updateBadge(),
  warning: (count) => (badge()?.dataset.logoutWarning || "{count}").replace("{count}", count),
  forget: forgetShared,
});
export const last = (mode, work) => queue.store("last", mode, work);

// The count after every change, at most five times a second: a backlog of hundreds being
// sent changes it after every item.
export const updateBadge = paced(countBadge);

async function countBadge() {
  const el = badge();
  if (!el) return;
  const count = String((await queue.mine()).length);
  el.querySelector(".outbox-count").textContent = count;
  el.hidden = count === "0";
  el.dataset.count = count;
}

// A tally form or an undo is the thread's to send (never a plain form post past the outbox).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("form[data-outbox], form.undo-form")) return;
  event.preventDefault();
  threadCode.then((thread) => (thread ? thread.submitted(form) : form.submit()));
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

export async function cachedCatalogue() {
  if (!("caches" in window)) return null;
  const hit = await (await caches.open(DATA_CACHE)).match(url("catalogue"));
  return hit ? hit.json() : null;
}

async function refreshCatalogue() {
  const user = currentUser();
  if (!user || !navigator.onLine || document.getElementById("tally-shell") ||
      document.getElementById("offline-activities")) return;
  const cached = await cachedCatalogue();
  const fresh = Date.now() - Number(localStorage.getItem(CATALOGUE_AT) || 0) < 5 * 60 * 1000;
  if (!(cached && String(cached.user) === user && fresh)) await freshToken();
}

// The inbox offline: the activities of the person signed in on this phone (tappable, as
// in an installed app); nothing about any client is ever cached.
async function fillInboxShell() {
  const list = document.getElementById("offline-activities");
  if (!list) return;
  const data = await cachedCatalogue();
  const user = currentUser();
  const mine = data && user && String(data.user) === user
    ? data.activities.filter((a) => a.loggable !== false) : [];
  if (!mine.length) {
    list.replaceWith(Object.assign(document.createElement("p"),
      { className: "empty", textContent: list.dataset.missing }));
    return;
  }
  const row = document.getElementById("offline-activity").content.firstElementChild;
  list.replaceChildren(...mine.map((activity) => {
    const li = row.cloneNode(true);
    li.querySelector("a").href = activity.url;
    li.querySelector(".avatar").textContent = activity.name.slice(0, 1);
    li.querySelector(".thread-title").textContent = activity.name;
    li.querySelector(".thread-last").textContent = activity.subtitle || "";
    return li;
  }));
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
  for (const item of await queue.all(true)) {
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
  await (await threadHere())?.pageReady();
  return updateBadge();
}

async function start() {
  await deviceReady;
  await dropExpired(currentUser());
  await (await threadHere())?.fillShell();
  await fillInboxShell();
  await pageReady();
  queue.flush(true);
  refreshCatalogue();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
document.addEventListener("htmx:after:settle", () => { pageReady(); });
