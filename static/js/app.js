// Nära's page glue: service worker, offline banner, steppers. No framework, no inline code.

import "./device.js"; // who is on this phone; sign-out, also offline
import "./journal-drafts.js"; // the journal's offline drafts: warned about and deleted at sign-out
// the tally outbox: badge, offline queue, exactly-once sending
import { registerThread, THREAD_PAGE } from "./tally-outbox.js";

// What only some pages use loads on those pages (issue 16: the first load of the inbox
// stays small), on load and after every swap (a boosted navigation brings a new <body>, not
// a new <head>). A module runs once per page however often it is imported; offline, the
// service worker answers from its precache like any other script.
const PAGE_SCRIPTS = [
  // an activity thread and its offline shell: bubbles, the sheet, same again, undo (a tally
  // form sent meanwhile waits for it; if it cannot load, the form is posted without it)
  [THREAD_PAGE, () => import("./tally-thread.js").catch((error) => {
    registerThread(null);
    throw error;
  })],
  // the journal composer: quick phrases, saving state, encrypted offline drafts
  ["form[data-draft-form]", () => import("./journal-composer.js")],
  // working notes: say clearly that a note is never kept offline; saving state
  ["#talk-composer, [data-notes-offline]", () => import("./notes.js")],
];
function loadPageScripts() {
  for (const [selector, load] of PAGE_SCRIPTS) {
    if (document.querySelector(selector)) load().catch(() => {});
  }
}
loadPageScripts();
document.addEventListener("htmx:after:swap", () => {
  loadPageScripts();
  for (const element of document.querySelectorAll("[data-needs-js]")) element.hidden = false;
});

// updateViaCache "none": the worker's imported file list (sw-manifest.js) is checked for
// updates like the worker itself, never read from the HTTP cache. Registered once the page
// has loaded: installing fetches the offline copies (the shell pages, every script, the big
// icons), which must not compete with the page's own first load; what the page loaded
// already comes from the HTTP cache.
function registerWorker() {
  navigator.serviceWorker.register(document.body.dataset.swUrl,
    { scope: "/", updateViaCache: "none" }).catch(() => {
    // A browser without a working service worker still gets the online app.
  });
}
if ("serviceWorker" in navigator) {
  if (document.readyState === "complete") registerWorker();
  else window.addEventListener("load", registerWorker, { once: true });
}

// A page that says itself what being offline means there ([data-explains-offline]: the
// offline inbox, an activity's shell, the offline page, working notes, where nothing is kept)
// is not told twice, nor told by the banner that what you save waits.
// The page makes room for the banner while it shows (html.offline-shown, in CSS): a class,
// not html:has(#offline-banner…), which the browser re-checked against the whole page at
// every change of it (a backlog of tallies being sent spent half its time there).
function showOffline() {
  const banner = document.getElementById("offline-banner");
  if (banner) banner.hidden = navigator.onLine || !!document.querySelector("[data-explains-offline]");
  document.documentElement.classList.toggle("offline-shown", Boolean(banner && !banner.hidden));
}
window.addEventListener("online", showOffline);
window.addEventListener("offline", showOffline);
document.addEventListener("DOMContentLoaded", showOffline);
document.addEventListener("htmx:after:settle", showOffline);

// Offline, a link htmx cannot fetch becomes a page load that the service worker answers
// with a shell (the inbox, an activity: sw.js); other pages, the journal above all, are
// never kept on the phone, so the link says that it needs a connection instead of nothing.
const OFFLINE_SHELLS = /^\/($|activities\/\d+$)/;
function linkOf(ctx) {
  const link = ctx?.sourceElement;
  if (!(link instanceof HTMLAnchorElement) || (ctx.request?.method || "GET") !== "GET") return null;
  const url = new URL(link.href, location.href);
  return url.origin === location.origin ? url : null;
}
function offlineLink(url) {
  if (OFFLINE_SHELLS.test(url.pathname)) {
    location.assign(url.href);
    return;
  }
  const notice = document.getElementById("notice");
  const text = document.getElementById("offline-banner")?.dataset.needsConnection;
  if (!notice || !text) return;
  notice.replaceChildren(Object.assign(document.createElement("p"),
    { className: "notice-card notice-error", id: "needs-connection", textContent: text }));
  clearTimeout(notice._timer);
  notice._timer = setTimeout(() => { notice.replaceChildren(); }, 8000);
}
document.addEventListener("htmx:before:request", (event) => {
  const url = !navigator.onLine && linkOf(event.detail?.ctx);
  if (!url) return;
  event.preventDefault();
  offlineLink(url);
});
document.addEventListener("htmx:error", (event) => {
  const url = linkOf(event.detail?.ctx);
  if (url) offlineLink(url);
});

// Steppers: the − / + buttons change the number input they point at.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.step[data-for]");
  if (!button) return;
  const input = document.getElementById(button.dataset.for);
  if (!input) return;
  const step = Number(button.dataset.step || 1);
  const min = input.min === "" ? -Infinity : Number(input.min);
  const max = input.max === "" ? Infinity : Number(input.max);
  const next = Math.min(max, Math.max(min, (Number(input.value) || 0) + step));
  input.value = String(next);
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

// Notices (htmx error fragments) fade after a while so they never cover the composer for long.
document.addEventListener("htmx:after:swap", () => {
  const notice = document.getElementById("notice");
  if (notice && notice.firstElementChild) {
    clearTimeout(notice._timer);
    notice._timer = setTimeout(() => { notice.replaceChildren(); }, 8000);
  }
});

// After a form comes back with errors, bring the first invalid field into view and focus it,
// so a phone user sees the message instead of the top of the page.
function focusFirstInvalid(root) {
  const invalid = (root || document).querySelector('[aria-invalid="true"]');
  if (invalid) {
    invalid.focus({ preventScroll: true });
    invalid.scrollIntoView({ block: "center" });
  }
}
document.addEventListener("DOMContentLoaded", () => focusFirstInvalid(document));
// htmx scrolls a boosted swap to the top after settling; focus once it has.
document.addEventListener("htmx:after:settle", (event) => {
  setTimeout(() => focusFirstInvalid(event.target), 30);
});

// A swap that replaced the focused element must not drop keyboard focus to <body>
// (issue 15 §6): focus goes to the first invalid field, else an error summary
// (role=alert), else the element that took the old one's place (same id), else the
// swapped-in content.
let focusedBeforeSwap = null;
document.addEventListener("htmx:before:swap", () => {
  const active = document.activeElement;
  focusedBeforeSwap = active && active !== document.body ? active : null;
});
function focusLostTo(target) {
  const invalid = document.querySelector('[aria-invalid="true"]');
  const alert = document.querySelector("[role=alert]:not(:empty)");
  const same = focusedBeforeSwap?.id && document.getElementById(focusedBeforeSwap.id);
  const next = invalid || alert || same || (target?.isConnected ? target : null);
  if (!next) return;
  if (!next.matches("a[href], button, input, select, textarea, summary, [tabindex]")) {
    next.tabIndex = -1;
  }
  next.focus({ preventScroll: true });
}
document.addEventListener("htmx:after:swap", (event) => {
  const lost = focusedBeforeSwap && !focusedBeforeSwap.isConnected;
  focusedBeforeSwap = null;
  if (event.detail?.ctx?.target === document.body) return;  // a page load: the browser's way
  const active = document.activeElement;
  if (lost && (!active || active === document.body)) focusLostTo(event.detail?.ctx?.target);
});

// Keep focused or scrolled-to content clear of the composer fixed at the bottom: the
// dock's height becomes the page's bottom scroll padding (CSSOM, allowed by our CSP).
function trackDock() {
  const dock = document.querySelector(".composer-dock");
  const root = document.documentElement;
  root.classList.toggle("with-dock", Boolean(dock));
  if (!dock || !("ResizeObserver" in window)) {
    root.style.removeProperty("--dock-height");
    return;
  }
  if (dock.dataset.tracked) return;
  dock.dataset.tracked = "1";
  new ResizeObserver(() => {
    root.style.setProperty("--dock-height", `${dock.offsetHeight}px`);
  }).observe(dock);
}
document.addEventListener("DOMContentLoaded", trackDock);
document.addEventListener("htmx:after:settle", trackDock);
