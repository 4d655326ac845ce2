// The journal composer in the browser (journal pages only: app.js loads it there): quick
// phrases, saving that shows it is saving, and notes written without a network, kept in the
// drafts queue of journal-drafts.js encrypted with the person's key and sent from their
// thread's page when the connection returns.

import { currentDrafts, ready as deviceReady } from "./device.js";
import { composer, hooks, queue } from "./journal-drafts.js";
import { messageOf } from "./offline-queue.js";

const keys = new Map();
const encoder = new TextEncoder();

const canEncrypt = () => Boolean(window.crypto?.subtle && window.indexedDB);

Object.assign(hooks, {
  prepare: async (item) => {
    const fields = await fieldsOf(item);
    return fields && new URLSearchParams(fields);
  },
  placed(item, html) {
    const pending = document.getElementById(`draft-${item.uuid}`);
    if (pending) pending.outerHTML = html;
  },
  refused: giveBack,
  changed: updateStatus,
  forget: () => keys.clear(),
});

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function keyFor(form) {
  const material = form?.dataset.draftKey;
  if (!material || !canEncrypt()) return null;
  if (!keys.has(material)) {
    keys.set(material, crypto.subtle.importKey(
      "raw", fromBase64Url(material), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
  }
  return keys.get(material);
}

async function seal(key, uuid, payload) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(uuid) }, key,
    encoder.encode(JSON.stringify(payload)));
  return { iv, data };
}

// The note's fields; null off its author's journal pages (no key), undefined when it can
// never be read again (another person's or an old session's key).
async function fieldsOf(item) {
  if (item.fields) return item.fields;
  const key = await keyFor(composer());
  if (!key) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: item.iv, additionalData: encoder.encode(item.uuid) }, key, item.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return undefined;
  }
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

function showPending(uuid, text) {
  const list = document.getElementById("bubbles");
  const template = document.getElementById("draft-bubble");
  if (!list || !template || document.getElementById(`draft-${uuid}`)) return;
  const li = template.content.firstElementChild.cloneNode(true);
  li.id = `draft-${uuid}`;
  li.querySelector(".entry-text").textContent = text;
  list.append(li);
}

async function updateStatus() {
  const status = document.querySelector("[data-draft-status]");
  const form = status?.closest("form");
  if (!form) return;
  const count = (await queue.mine()).filter((d) => d.thread === form.dataset.thread).length;
  status.textContent = count ? form.dataset.draftPending.replace("{num}", String(count)) : "";
}

// Encryption finishes before the store transaction opens (a transaction cannot wait).
async function keepDraft(form) {
  const fields = Object.fromEntries(new FormData(form));
  delete fields.csrf_token;
  if (!String(fields.text || "").trim()) return false;
  pinTime(fields);
  const uuid = fields.client_uuid || crypto.randomUUID();
  fields.client_uuid = uuid;
  const key = await keyFor(form);
  const item = { uuid, thread: form.dataset.thread, url: form.getAttribute("action") };
  await queue.add(key ? { ...item, ...(await seal(key, uuid, fields)) }
    : { ...item, fields, memoryOnly: true });
  showPending(uuid, fields.text);
  // A fresh composer for the next note: new identity, empty text.
  form.querySelector("textarea[name=text]").value = "";
  form.querySelector("input[name=client_uuid]").value = crypto.randomUUID();
  await updateStatus();
  toBottom();
  return true;
}

// The server refused the note (e.g. consent revoked, no longer assigned): it goes back to
// the composer with the messages, so nothing is lost and the person can fix it.
function giveBack(item, html, kind, body) {
  document.getElementById(`draft-${item.uuid}`)?.remove();
  const form = document.getElementById("composer");
  if (kind === "invalid" && form) {
    form.outerHTML = html;
    window.htmx?.process(document.getElementById("composer"));
  } else if (form?.querySelector("textarea[name=text]")) {
    form.querySelector("textarea[name=text]").value = body.get("text");
    const card = Object.assign(document.createElement("p"),
      { className: "notice-card", textContent: messageOf(html) });
    if (card.textContent) document.getElementById("notice")?.replaceChildren(card);
  }
  return true;
}

// Sends this thread's drafts, after showing them (a boosted page knows none of them).
async function flush() {
  if (!composer()) return;
  for (const item of await queue.mine()) {
    const fields = item.thread === composer()?.dataset.thread ? await fieldsOf(item) : null;
    if (fields === undefined) await queue.remove(item.uuid);
    else if (fields) showPending(item.uuid, fields.text);
  }
  await queue.flush(true);
}

// --- wiring ---------------------------------------------------------------------------

// The newest note sits at the bottom, just above the composer (a chat's reading order).
function toBottom() {
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

function isComposer(element) {
  return element instanceof HTMLFormElement && element.matches("form[data-draft-form]");
}

// --- saving on a slow network -------------------------------------------------------
// The moment Spara is pressed: the button is disabled (aria-disabled, so keyboard focus
// stays on it), the form is marked aria-busy, the note shows as a "Saving…" bubble and the
// live region says so. The server's answer replaces the bubble and writes "Note saved."
// into the live region (#saved-status stays in the page). A failed save keeps the text,
// with the message at the field and focus on it.

const savedStatus = () => document.getElementById("saved-status");
const sendButton = (form) => form?.querySelector("button[type=submit]");

function markBusy(form, ctx) {
  const button = sendButton(form);
  form.setAttribute("aria-busy", "true");
  button?.setAttribute("aria-disabled", "true");
  clearSaveError(form);
  const status = savedStatus();
  if (status) status.textContent = form.dataset.saving || "";
  const text = String(form.querySelector("textarea[name=text]")?.value || "").trim();
  const uuid = form.querySelector("input[name=client_uuid]")?.value || "";
  const list = document.getElementById("bubbles");
  const template = document.getElementById("saving-bubble");
  if (list && template && text) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.id = `saving-${uuid}`;
    li.querySelector(".entry-text").textContent = text;
    list.append(li);
    toBottom();
  }
  saving.set(ctx, { form, uuid });
}

// A save on its way: its request → the form and the note's UUID. Once the answer has
// replaced the form, htmx sends the request's last event to the document (and points
// ctx.sourceElement at the new form), so the request itself is the key.
const saving = new WeakMap();
document.addEventListener("htmx:finally:request", (event) => {
  const ctx = event.detail?.ctx;
  const pending = ctx && saving.get(ctx);
  if (!pending) return;
  saving.delete(ctx);
  saveDone(pending.form, pending.uuid, ctx);
});

function saveDone(form, uuid, ctx) {
  form.removeAttribute("aria-busy");
  sendButton(form)?.removeAttribute("aria-disabled");
  document.getElementById(`saving-${uuid}`)?.remove();
  const current = composer();
  const status = ctx?.response?.status;
  if (!status) {  // no answer at all: htmx:error kept the note as a draft on this phone
    if (savedStatus()?.textContent === form.dataset.saving) savedStatus().textContent = "";
    return;
  }
  if (status < 300) {
    resetAfterSave(current);
    if (!current?.contains(document.activeElement)) sendButton(current)?.focus();
  } else if (status === 422) {
    if (savedStatus()) savedStatus().textContent = "";
    focusProblem(current);
  } else {
    if (savedStatus()) savedStatus().textContent = "";
    showSaveError(current || form);
  }
}

// After a save: "when" back to now, the goal cleared, and kind and topic cleared unless pinned.
function resetAfterSave(form) {
  if (!form) return;
  const now = form.querySelector("input[name=when][value=now]");
  if (now) now.checked = true;
  const other = form.querySelector("input[name=occurred_at]");
  if (other) other.value = "";
  const noGoal = form.querySelector("input[name=goal][value='']");
  if (noGoal) noGoal.checked = true;
  const more = form.querySelector("details.composer-more");
  if (more && !more.querySelector("[aria-invalid=true]")) more.open = false;
  if (!form.querySelector("input[name=pin]")?.checked) {
    for (const input of form.querySelectorAll("input[name=category], input[name=topic]")) {
      input.checked = false;
    }
  }
}

function clearSaveError(form) {
  form.querySelector("#err-save")?.remove();
  const text = form.querySelector("textarea[name=text]");
  if (text?.dataset.saveError) {
    text.removeAttribute("aria-invalid");
    text.removeAttribute("aria-describedby");
    delete text.dataset.saveError;
  }
}

function showSaveError(form) {
  const text = form.querySelector("textarea[name=text]");
  if (!text) return;
  clearSaveError(form);
  const error = Object.assign(document.createElement("p"),
    { className: "field-error", id: "err-save", textContent: form.dataset.saveFailed || "" });
  error.setAttribute("role", "alert");
  text.after(error);
  if (!text.hasAttribute("aria-invalid")) {
    text.setAttribute("aria-invalid", "true");
    text.setAttribute("aria-describedby", "err-save");
    text.dataset.saveError = "1";
  }
  text.focus({ preventScroll: true });
  text.scrollIntoView({ block: "nearest" });
}

// A refused note comes back as a new composer: focus its first invalid field, or its
// error summary (role=alert) when the problem is not one field's.
function focusProblem(form) {
  if (!form) return;
  const target = form.querySelector("[aria-invalid=true]") || form.querySelector(".form-error[role=alert]");
  if (!target) return;
  if (!target.matches("input, textarea, select, button")) target.tabIndex = -1;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "nearest" });
}

document.addEventListener("htmx:before:request", (event) => {
  const form = event.detail?.ctx?.sourceElement;
  if (!isComposer(form)) return;
  if (form.getAttribute("aria-busy") === "true") {  // one save at a time
    event.preventDefault();
    return;
  }
  if (navigator.onLine) {
    markBusy(form, event.detail.ctx);
    return;
  }
  event.preventDefault();
  keepDraft(form);
});

// A disabled Spara (aria-disabled keeps it focusable) sends nothing while a save is on its way.
document.addEventListener("submit", (event) => {
  if (isComposer(event.target) && event.target.getAttribute("aria-busy") === "true") {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

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

// A sideways row of phrases or topics that is cut off at the screen's edge says so below it:
// a clipped chip alone is no hint (issue 15 §1).
function hintCutOffRows() {
  for (const row of document.querySelectorAll(".composer .scroll-x")) {
    const hint = row.nextElementSibling;
    if (!hint?.classList.contains("swipe-hint")) continue;
    hint.hidden = !(row.clientWidth > 0 && row.scrollWidth > row.clientWidth + 1);
  }
}
document.addEventListener("change", (event) => {
  if (event.target.name === "category") hintCutOffRows();  // its topics row appears
});
window.addEventListener("resize", hintCutOffRows);

function setUp() {
  hintCutOffRows();
  if (!currentDrafts()) return;
  if (document.getElementById("bubbles") && composer() && !location.hash) toBottom();
  flush();
}

document.addEventListener("htmx:after:swap", (event) => {
  const target = event.detail?.ctx?.target;
  if (target?.id === "bubbles" || target?.id === "composer") toBottom();
  hintCutOffRows();
});
document.addEventListener("htmx:after:settle", () => flush());
window.addEventListener("online", () => flush());
deviceReady.then(setUp);
