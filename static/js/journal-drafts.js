// The journal composer in the browser: quick phrases, and notes written without a network.
//
// A journal note is sensitive. Offline, the note is kept only encrypted at rest: AES-GCM
// with a key the server derives for this *person* and hands to their journal pages; the
// browser holds it only as a non-extractable CryptoKey in memory. Each person's drafts
// live in their own store, named by an opaque tag from the server (the badge's
// data-drafts), so on a shared phone another person's page neither opens, counts nor
// decrypts them. Without WebCrypto the draft stays in memory only. Drafts are sent when
// the connection returns (the server upserts by the note's UUID, so a retry never
// duplicates) — after an idle sign-out, when their author signs in again — and deleted
// when their author signs out (after a warning).

import { currentDrafts, ready as deviceReady, registerRoom } from "./device.js";

const OLD_DB = "nara-drafts"; // before drafts were per person (keys were per session)
const STORE = "drafts";
const memoryDrafts = new Map(); // fallback when WebCrypto or IndexedDB is missing
const keys = new Map();
let flushing = false;

const canEncrypt = () => Boolean(window.crypto?.subtle && window.indexedDB);

// This person's store, or "" when the page is nobody's.
function dbName() {
  const tag = currentDrafts();
  return tag ? `nara-drafts-${tag}` : "";
}

function openDb() {
  const name = dbName();
  if (!name) return Promise.reject(new Error("no signed-in person"));
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "uuid" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result ?? result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function keyFor(form) {
  const material = form?.dataset.draftKey;
  if (!material) return null;
  if (!keys.has(material)) {
    keys.set(material, crypto.subtle.importKey(
      "raw", fromBase64Url(material), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
  }
  return keys.get(material);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function seal(key, uuid, payload) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(uuid) }, key,
    encoder.encode(JSON.stringify(payload)));
  return { iv, data };
}

async function open(key, record) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: record.iv, additionalData: encoder.encode(record.uuid) }, key,
    record.data);
  return JSON.parse(decoder.decode(plain));
}

function pad(n) { return String(n).padStart(2, "0"); }
function localStamp(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// "Now" means when it was written, not when the network came back.
function pinTime(fields) {
  const now = new Date();
  const when = fields.when || "now";
  if (when === "other") return;
  let at = now;
  if (when === "hour") at = new Date(now.getTime() - 3600e3);
  if (when === "yesterday") at = new Date(now.getTime() - 86400e3);
  if (when === "morning") { at = new Date(now); at.setHours(8, 0, 0, 0); }
  fields.when = "other";
  fields.occurred_at = localStamp(at);
}

function pendingBubble(uuid, text, form) {
  const li = document.createElement("li");
  li.className = "bubble mine draft";
  li.id = `draft-${uuid}`;
  const body = document.createElement("div");
  body.className = "bubble-body";
  const label = document.createElement("p");
  label.className = "draft-label";
  label.textContent = form?.dataset.draftLabel || "Not saved yet";
  const p = document.createElement("p");
  p.className = "entry-text";
  p.textContent = text;
  body.append(label, p);
  li.append(body);
  return li;
}

function showPending(thread, records) {
  const list = document.getElementById("bubbles");
  const form = document.querySelector("form[data-draft-form]");
  if (!list || !form || form.dataset.thread !== String(thread)) return;
  for (const { uuid, text } of records) {
    if (!document.getElementById(`draft-${uuid}`)) list.append(pendingBubble(uuid, text, form));
  }
}

async function allDrafts() {
  if (!canEncrypt()) return [...memoryDrafts.values()];
  try { return await store("readonly", (s) => s.getAll()); } catch { return []; }
}

function updateStatus(count) {
  const status = document.querySelector("[data-draft-status]");
  const form = status?.closest("form");
  if (!status || !form) return;
  const text = form.dataset.draftPending || "Not saved yet: {num}. Sent when the connection returns.";
  status.textContent = count ? text.replace("{num}", String(count)) : "";
}

// Encryption finishes before the store transaction opens (a transaction cannot wait).
async function keepDraft(form) {
  const fields = Object.fromEntries(new FormData(form));
  delete fields.csrf_token;
  if (!String(fields.text || "").trim()) return false;
  pinTime(fields);
  const uuid = fields.client_uuid || crypto.randomUUID();
  fields.client_uuid = uuid;
  const record = { uuid, thread: form.dataset.thread, url: form.getAttribute("action") };
  const key = canEncrypt() ? await keyFor(form) : null;
  if (key) {
    const sealed = await seal(key, uuid, fields);
    await store("readwrite", (s) => s.put({ ...record, ...sealed }));
  } else {
    memoryDrafts.set(uuid, { ...record, fields });
  }
  const list = document.getElementById("bubbles");
  list?.append(pendingBubble(uuid, fields.text, form));
  // A fresh composer for the next note: new identity, empty text.
  form.querySelector("textarea[name=text]").value = "";
  form.querySelector("input[name=client_uuid]").value = crypto.randomUUID();
  updateStatus((await allDrafts()).length);
  toBottom();
  return true;
}

async function fieldsOf(record) {
  if (record.fields) return record.fields;
  const form = document.querySelector("form[data-draft-form]");
  const key = await keyFor(form);
  if (!key) return null;
  try {
    return await open(key, record);
  } catch {
    return undefined; // another session's key: it can never be read again
  }
}

async function forget(uuid) {
  memoryDrafts.delete(uuid);
  if (canEncrypt()) await store("readwrite", (s) => s.delete(uuid));
}

function csrfToken() {
  return document.querySelector("form[data-draft-form] input[name=csrf_token]")?.value ||
    document.querySelector("meta[name=nara-csrf]")?.content || "";
}

async function flush() {
  if (flushing || !navigator.onLine) return;
  const form = document.querySelector("form[data-draft-form]");
  if (!form) return; // the key lives on journal pages only
  flushing = true;
  try {
    const drafts = await allDrafts();
    const here = drafts.filter((d) => d.thread === form.dataset.thread);
    const readable = [];
    for (const record of here) {
      const fields = await fieldsOf(record);
      if (fields === undefined) { await forget(record.uuid); continue; }
      if (fields) readable.push({ record, fields });
    }
    showPending(form.dataset.thread, readable.map(({ record, fields }) => (
      { uuid: record.uuid, text: fields.text })));
    for (const { record, fields } of readable) {
      const body = new URLSearchParams({ ...fields, csrf_token: csrfToken() });
      let response;
      try {
        response = await fetch(record.url, {
          method: "POST", body, credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "X-Nara-Draft": "1" },
        });
      } catch {
        break; // still offline after all
      }
      const pending = document.getElementById(`draft-${record.uuid}`);
      if (response.ok) {
        const html = await response.text();
        if (pending) { pending.outerHTML = html; }
        await forget(record.uuid);
      } else if (response.status === 422) {
        // The server refused the note (e.g. consent revoked): put it back in the composer
        // with the messages, so nothing is lost and the user can fix it.
        const html = await response.text();
        const composer = document.getElementById("composer");
        if (composer) {
          composer.outerHTML = html;
          window.htmx?.process(document.getElementById("composer"));
        }
        pending?.remove();
        await forget(record.uuid);
      } else if (response.status === 401) {
        // The session has ended: the draft stays, encrypted, for its author's next sign-in.
        const body = await response.json().catch(() => ({}));
        location.replace(body.login || "/login");
        break;
      } else {
        break; // not allowed: keep it, encrypted, until the next try
      }
    }
    updateStatus((await allDrafts()).filter((d) => d.thread === form.dataset.thread).length);
  } finally {
    flushing = false;
  }
}

// The account page is not a journal page, so this one message travels with the script.
function signOutWarning(count) {
  return document.documentElement.lang.startsWith("sv")
    ? `${count} anteckning(ar) är inte sparade och raderas. Logga ut ändå?`
    : `${count} note(s) are not saved and will be deleted. Sign out anyway?`;
}

function dropDatabase(name) {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
    setTimeout(resolve, 1500);
  });
}

// The signed-in person's drafts (their sign-out, after the warning).
async function wipe() {
  memoryDrafts.clear();
  keys.clear();
  const name = dbName();
  if (window.indexedDB && name) await dropDatabase(name);
}

// --- wiring ---------------------------------------------------------------------------

// The newest note sits at the bottom, just above the composer (a chat's reading order).
function toBottom() {
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

function isComposer(element) {
  return element instanceof HTMLFormElement && element.matches("form[data-draft-form]");
}

document.addEventListener("htmx:before:request", (event) => {
  const form = event.detail?.ctx?.sourceElement;
  if (!isComposer(form) || navigator.onLine) return;
  event.preventDefault();
  keepDraft(form);
});

document.addEventListener("htmx:error", (event) => {
  const form = event.detail?.ctx?.sourceElement;
  if (isComposer(form) && form.isConnected) keepDraft(form);
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.phrase[data-phrase]");
  if (!button) return;
  const form = button.closest("form");
  const text = form.querySelector("textarea[name=text]");
  const current = text.value.trim();
  text.value = current ? `${current} ${button.dataset.phrase}` : button.dataset.phrase;
  const pick = (name, value) => {
    const input = value && form.querySelector(`input[name=${name}][value="${CSS.escape(value)}"]`);
    if (input) input.checked = true;
  };
  pick("category", button.dataset.category);
  pick("topic", button.dataset.topic);
  text.focus();
  text.setSelectionRange(text.value.length, text.value.length);
});

registerRoom({
  async pending() {
    return dbName() ? (await allDrafts()).length : 0;
  },
  warning: signOutWarning,
  clear: wipe,
  // Another person's drafts stay, encrypted, in their own store; what is in memory goes.
  async forget() {
    memoryDrafts.clear();
    keys.clear();
  },
});

function setUp() {
  if (window.indexedDB) dropDatabase(OLD_DB);
  if (!dbName()) return;
  const list = document.getElementById("bubbles");
  if (list && document.querySelector("form[data-draft-form]") && !location.hash) toBottom();
  flush();
}

document.addEventListener("htmx:after:swap", (event) => {
  for (const element of document.querySelectorAll("[data-needs-js]")) element.hidden = false;
  const target = event.detail?.ctx?.target;
  if (target?.id === "bubbles" || target?.id === "composer") {
    toBottom();
  }
});
document.addEventListener("htmx:after:settle", () => flush());
window.addEventListener("online", () => flush());
deviceReady.then(setUp);

export { flush, keepDraft, wipe };
