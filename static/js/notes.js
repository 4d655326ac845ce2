// Working notes offline: a note is never stored on this phone, not even encrypted. It stays
// in the open form only (memory); this module says so, and the counsellor sends it again
// when the connection is back. The talk is not queued in the tally outbox either, so a
// talk and its note are always saved together, once.

function showOfflineNotice(force) {
  for (const notice of document.querySelectorAll("[data-notes-offline]")) {
    notice.hidden = !(force || !navigator.onLine);
  }
}

window.addEventListener("online", () => showOfflineNotice(false));
window.addEventListener("offline", () => showOfflineNotice(false));
document.addEventListener("htmx:after:swap", () => showOfflineNotice(false));
// A failed send (no network, or the server unreachable): the text is still in the form.
document.addEventListener("htmx:error", (event) => {
  if (event.target?.closest?.("#talk-composer")) showOfflineNotice(true);
});
showOfflineNotice(false);

// Saving shows it is saving (issue 15 §3): the moment the talk is sent, its button is
// disabled (aria-disabled keeps keyboard focus on it), the form is aria-busy and the note
// shows as a "Saving…" bubble. The answer replaces the composer and writes "Talk n saved."
// into the live region that stays in the page. A failed save keeps the note, with the
// message at the field and focus on it.
const sending = new WeakMap(); // request → the form it came from

const talkButton = (form) => form?.querySelector("button[type=submit]");

document.addEventListener("htmx:before:request", (event) => {
  const ctx = event.detail?.ctx;
  const form = ctx?.sourceElement;
  if (!(form instanceof HTMLFormElement) || form.id !== "talk-composer") return;
  if (form.getAttribute("aria-busy") === "true") {
    event.preventDefault();
    return;
  }
  form.setAttribute("aria-busy", "true");
  talkButton(form)?.setAttribute("aria-disabled", "true");
  form.querySelector("#err-save")?.remove();
  const status = document.getElementById("saved-status");
  if (status) status.textContent = form.dataset.saving || "";
  const template = form.querySelector("#saving-talk");
  const list = document.getElementById("bubbles");
  if (template && list) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.id = "saving-talk-bubble";
    li.querySelector(".note-text").textContent = form.querySelector("textarea[name=note]")?.value || "";
    list.append(li);
  }
  sending.set(ctx, form);
});

document.addEventListener("htmx:finally:request", (event) => {
  const ctx = event.detail?.ctx;
  const form = ctx && sending.get(ctx);
  if (!form) return;
  sending.delete(ctx);
  form.removeAttribute("aria-busy");
  talkButton(form)?.removeAttribute("aria-disabled");
  document.getElementById("saving-talk-bubble")?.remove();
  const current = document.getElementById("talk-composer");
  const status = ctx.response?.status;
  const live = document.getElementById("saved-status");
  if (status && status < 300) {
    if (!current?.contains(document.activeElement)) talkButton(current)?.focus();
    return;
  }
  if (live && live.textContent === form.dataset.saving) live.textContent = "";
  if (status === 422) {
    const invalid = current?.querySelector("[aria-invalid=true]") || current?.querySelector("[role=alert]");
    if (invalid && !invalid.matches("input, textarea, select, button")) invalid.tabIndex = -1;
    invalid?.focus();
  } else if (status && current) {
    const note = current.querySelector("textarea[name=note]");
    const error = Object.assign(document.createElement("p"),
      { className: "field-error", id: "err-save", textContent: current.dataset.saveFailed || "" });
    error.setAttribute("role", "alert");
    note?.after(error);
    note?.focus();
  }
});

document.addEventListener("submit", (event) => {
  if (event.target?.id === "talk-composer" && event.target.getAttribute("aria-busy") === "true") {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
