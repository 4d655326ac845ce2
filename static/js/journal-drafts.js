// The journal's offline drafts, one user of offline-queue.js: the queue itself, on every
// page, so that signing out anywhere warns about the person's unsaved notes and deletes them
// (device.js). Writing, sealing, showing and sending them is journal-composer.js, which
// app.js loads on journal pages only (it fills in `hooks`).
//
// A journal note is sensitive. Offline, the note is kept only encrypted at rest: AES-GCM
// with a key the server derives for this *person* and hands to their journal pages; the
// browser holds it only as a non-extractable CryptoKey in memory. Each person's drafts
// live in their own store, named by an opaque tag from the server (the badge's
// data-drafts), so on a shared phone another person's page neither opens, counts nor
// decrypts them. Without WebCrypto the draft stays in memory only. Drafts are sent from
// their thread's page when the connection returns (the server upserts by the note's UUID)
// — after an idle sign-out, when their author signs in again — and deleted when their
// author signs out (after a warning).

import { currentDrafts, dropDatabase } from "./device.js";
import { createQueue, pageToken } from "./offline-queue.js";

const OLD_DB = "nara-drafts"; // before drafts were per person (keys were per session)

export const composer = () => document.querySelector("form[data-draft-form]");
const badge = () => document.getElementById("outbox-badge");

// What only a journal page does (journal-composer.js): prepare(item) → body, placed(item,
// html), refused(item, html, kind, body) → taken back?, changed(), forget().
export const hooks = {};

export const queue = createQueue({
  name: "drafts",
  db: () => (currentDrafts() ? `nara-drafts-${currentDrafts()}` : ""),
  stores: { drafts: "uuid" },
  perPerson: true,
  headers: { "X-Nara-Draft": "1" },
  token: async () => composer()?.querySelector("input[name=csrf_token]")?.value || pageToken(),
  // the key lives on journal pages only, and so does the code that reads a draft
  active: () => Boolean(composer() && hooks.prepare),
  select: (item) => item.thread === composer()?.dataset.thread,
  prepare: (item) => hooks.prepare(item),
  placed: (item, html) => hooks.placed?.(item, html),
  refused: async (...args) => Boolean(await hooks.refused?.(...args)),
  changed: () => hooks.changed?.(),
  warning: (count) => (badge()?.dataset.draftsWarning || "{count}").replace("{count}", count),
  forget: () => hooks.forget?.(),
});

if (window.indexedDB) dropDatabase(OLD_DB);
