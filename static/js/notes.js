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
