// One offline queue for the work a person does without a network: tallies (tally-outbox.js)
// and journal notes (journal-drafts.js) are its two users.
//
// An item is written to IndexedDB first, carrying its owner's user id, a client UUID (the
// server stores each UUID once, so a retry never makes a second row) and its address; only
// the signed-in person's items are counted, shown and sent. The send loop goes oldest first
// and stops at the first item that must wait; every answer is one of:
//  - saved (2xx): deleted, and the room places the server's fragment;
//  - auth (401, a redirect): the session has ended; stop, keep everything for its owner and
//    go to the login page the server names;
//  - refused (422, other 4xx, a submission id reused for other values): the room may take
//    the item back (into the composer); else it is kept as "rejected" and never resent;
//  - retry (network, timeout, 5xx): tried again later, with growing back-off.
// At sign-out (device.js) the queue sends what it can, tells how much would be lost, and
// deletes the person's items.

import { currentUser, database, dropDatabase, registerRoom } from "./device.js";

const TIMEOUT_MS = 10000;
const RETRY_MS = 30000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

export function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html || "";
  return template.content;
}

export function pageToken() {
  return document.querySelector('meta[name="nara-csrf"]')?.content || "";
}

// The server's words for a refused item (field errors, a notice card).
export function messageOf(html) {
  return [...fragment(html).querySelectorAll(".field-error, .notice-card")]
    .map((el) => el.textContent.trim().replace(/\s+/g, " ")).join(" ");
}

// Runs `work` at once if it last ran `gap` ms ago or longer, else at the next multiple of
// `gap` on the page's clock (so that the badge and the bubbles change in the same frame);
// calls in between share that one run. For what a backlog being sent would otherwise
// redraw after every item: each redraw lays out the whole page, and the answers waited
// behind those frames (a 400-tally backlog took 52 s).
export function paced(work, gap = 200) {
  let last = -Infinity;
  let planned = null;
  return () => {
    if (!planned) {
      const now = performance.now();
      const wait = now - last >= gap ? 0
        : Math.ceil(Math.max(now, last + gap / 2) / gap) * gap - now;
      planned = new Promise((resolve) => setTimeout(resolve, wait)).then(() => {
        planned = null;
        last = performance.now();
        return work();
      });
    }
    return planned;
  };
}

function backoff(attempts) {
  const base = Math.min(MAX_BACKOFF_MS, RETRY_MS * 2 ** Math.max(0, attempts - 1));
  return base / 2 + Math.random() * (base / 2);
}

// options: name (lock), db() → database name ("" while the page is nobody's), stores
//   ({ items: "uuid", …more }), perPerson (the database is the owner's: dropped at sign-out),
//   headers, saved(response) → is this a stored answer, token(fresh) → CSRF token,
//   prepare(item) → request body (null: not from this page; undefined: unreadable, delete),
//   active() → may this page send at all (else not even its store is opened),
//   select(item) → send from this page?, placed(item, html), refused(item, html, kind, body)
//   → true if taken back, rejected(item), changed(), warning(count), forget().
export function createQueue(options) {
  const stores = options.stores || { items: "uuid" };
  const [ITEMS] = Object.keys(stores);
  const memory = new Map(); // items that must never touch the disk
  const inFlight = new Set();
  let flushing = null;
  let again = false;
  let stopped = false;

  const store = (name, mode, work) => {
    const db = options.db();
    return db ? database(db, stores)(name, mode, work) : Promise.reject(new Error("nobody"));
  };

  // What the store holds, as this page last read and wrote it. Counting the queue (the
  // badge, "2 waiting", which item is newest) reads this, not the disk: a backlog of
  // hundreds being sent asked after every item, and each read was a transaction behind the
  // sending's own. Another page's write (a tab of the app, a sign-out) says so on the
  // channel and the next read goes to the disk again, as does a page shown again; sending
  // itself always starts from the disk. Items read from the queue are changed only through
  // put (sending does that).
  let copy = null; // { db, items: Map uuid → item }
  let writes = 0;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(`nara-queue-${options.name}`) : null;
  const forgetCopy = () => { copy = null; writes += 1; };
  if (channel) channel.onmessage = forgetCopy;
  window.addEventListener("pageshow", (event) => { if (event.persisted) forgetCopy(); });

  async function read() {
    const db = options.db();
    const before = writes;
    const items = await store(ITEMS, "readonly", (s) => s.getAll()).catch(() => null);
    if (!items) return [];
    // Only if nothing was written meanwhile (the read may predate that write).
    if (writes === before && options.db() === db) {
      copy = { db, items: new Map(items.map((item) => [item.uuid, item])) };
    }
    return items;
  }

  const stored = (fresh = false) => (!fresh && copy && copy.db === options.db()
    ? Promise.resolve([...copy.items.values()]) : read());
  const all = async (fresh = false) => [...memory.values(), ...(await stored(fresh))];
  const get = async (uuid) => memory.get(uuid) ||
    store(ITEMS, "readonly", (s) => s.get(uuid)).catch(() => undefined);

  // A write to the store: the copy follows it once it is on the disk (or is dropped if it
  // failed), and the app's other pages are told.
  async function write(work, follow) {
    const db = options.db();
    writes += 1;
    try {
      await store(ITEMS, "readwrite", work);
      if (copy?.db === db) follow(copy.items);
    } catch (error) {
      copy = null;
      throw error;
    } finally {
      channel?.postMessage("changed");
    }
  }

  async function put(item) {
    if (item.memoryOnly) memory.set(item.uuid, item);
    else await write((s) => s.put(item), (items) => items.set(item.uuid, structuredClone(item)));
  }

  async function remove(uuid) {
    if (!memory.delete(uuid)) await write((s) => s.delete(uuid), (items) => items.delete(uuid));
  }

  async function mine(owner = currentUser(), status = "pending", fresh = false) {
    return (await all(fresh)).filter((i) => owner && i.user === owner && (!status || i.status === status))
      .sort((a, b) => a.created - b.created);
  }

  function add(item) {
    const now = Date.now();
    return put({ user: currentUser(), created: now, status: "pending", attempts: 0, next: 0,
      ...item });
  }

  async function send(item, body, token) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    inFlight.add(item.uuid);
    try {
      const response = await fetch(item.url, {
        method: "POST", body: new URLSearchParams(body), credentials: "same-origin",
        headers: { "X-CSRFToken": token, "HX-Request": "true", ...options.headers },
        redirect: "manual", signal: controller.signal,
      });
      if (response.type === "opaqueredirect") return { kind: "auth" };
      if (response.status === 401) {
        return { kind: "auth", login: (await response.json().catch(() => ({}))).login };
      }
      const html = await response.text();
      if (response.ok && (!options.saved || options.saved(response))) return { kind: "saved", html };
      // A submission id already used for other values: the server keeps the stored one.
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

  async function flushNow(force) {
    if (!currentUser() || stopped || !navigator.onLine) return;
    let token = "";
    for (const item of await mine(undefined, "pending", true)) {
      if (options.select && !options.select(item)) continue;
      if (!force && item.next > Date.now()) break; // strictly in order
      const body = await options.prepare(item);
      if (body === undefined) { await remove(item.uuid); continue; }
      if (body === null) continue;
      token = token || (await options.token(false));
      let result = await send(item, body, token);
      if (result.kind === "csrf") {
        token = await options.token(true);
        result = token ? await send(item, body, token) : { kind: "retry" };
        if (result.kind === "csrf") result = { kind: "rejected", html: result.html };
      }
      if (result.kind === "auth") {
        // The session has ended (idle, absolute limit, ended elsewhere): keep the items for
        // their owner, and show the login page with the reason.
        stopped = true;
        location.replace(result.login || document.body.dataset.loginUrl);
        return;
      }
      if (result.kind === "retry") {
        if (!(await get(item.uuid))) continue; // discarded meanwhile
        item.attempts += 1;
        item.next = Date.now() + backoff(item.attempts);
        await put(item);
        break;
      }
      if (result.kind === "saved") {
        await remove(item.uuid);
        options.placed(item, result.html);
      } else if (await options.refused(item, result.html, result.kind, body)) {
        await remove(item.uuid);
      } else {
        item.status = "rejected";
        item.error = messageOf(result.html);
        await put(item);
        options.rejected?.(item);
      }
      options.changed?.();
    }
  }

  // One tab sends at a time; a call while sending runs once more afterwards.
  function flush(force = false) {
    if (options.active && !options.active()) return Promise.resolve();
    if (flushing) {
      again = again || force;
      return flushing;
    }
    const run = () => flushNow(force);
    const locked = navigator.locks
      ? navigator.locks.request(`nara-${options.name}`, { ifAvailable: true }, (l) => (l ? run() : null))
      : run();
    flushing = Promise.resolve(locked).catch(() => {}).finally(() => {
      flushing = null;
      options.changed?.();
      if (again) {
        again = false;
        flush(true);
      }
    });
    return flushing;
  }

  // True while an item's request is on its way (a discard must then wait for the answer).
  const sending = (uuid) => inFlight.has(uuid);

  async function discard(uuid) {
    if (inFlight.has(uuid)) return false; // on its way: the saved answer brings its own undo
    await remove(uuid);
    options.changed?.();
    return true;
  }

  registerRoom({
    async pending(user) {
      if ((await mine(user, "pending", true)).length) await flush(true);
      return (await mine(user, "pending", true)).length;
    },
    warning: options.warning,
    async clear(user) {
      memory.clear();
      if (options.perPerson) {
        forgetCopy();
        if (window.indexedDB && options.db()) await dropDatabase(options.db());
        channel?.postMessage("changed");
        return;
      }
      for (const item of await mine(user, null, true)) await remove(item.uuid);
    },
    forget: async () => { memory.clear(); await options.forget?.(); },
  });

  setInterval(() => flush(false), RETRY_MS);
  window.addEventListener("online", () => flush(true));

  return { add, all, get, mine, put, remove, discard, flush, sending, store };
}
