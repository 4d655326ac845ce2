// Nära service worker: caches the app shell and static files only.
// Never an HTML page with personal data, never an authenticated response.
const VERSION = "nara-shell-v4";
const SHELL = [
  "/offline",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/vendor/htmx.min.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/manifest.webmanifest",
  // Pinnstatistik: the activity page without data, filled offline from the cached catalogue.
  "/tally/shell",
  "/static/js/outbox.js",
  "/static/js/drafts.js",
  "/static/js/notes.js",
  "/static/css/tally.css",
  "/static/css/journal.css",
  "/static/css/notes.css",
  "/static/css/manage.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(VERSION)
      // credentials "omit": the cached offline page is the anonymous one.
      .then((cache) => Promise.all(SHELL.map((url) =>
        fetch(url, { credentials: "omit" }).then((r) => { if (r.ok) return cache.put(url, r); }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("nara-shell-") && k !== VERSION)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isShellAsset(url) {
  return url.origin === self.location.origin &&
    (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    // Pages always come from the network; offline we show the anonymous offline page.
    // An activity thread offline: the data-free shell (outbox.js fills it from the cached
    // catalogue); any other page: the offline page.
    const fallback = url.pathname.startsWith("/activities/") ? "/tally/shell" : "/offline";
    event.respondWith(fetch(request).catch(() => caches.match(fallback)
      .then((hit) => hit || caches.match("/offline"))));
    return;
  }
  // Journal pages and fragments are sensitive: never cached, never served from a cache.
  if (/^\/(journal|shift|clients)(\/|$)/.test(url.pathname)) return;
  if (isShellAsset(url)) {
    // Stale-while-revalidate for static files.
    event.respondWith(
      caches.open(VERSION).then((cache) => cache.match(request).then((hit) => {
        const network = fetch(request).then((response) => {
          if (response.ok) cache.put(request, response.clone());
          return response;
        }).catch(() => hit);
        return hit || network;
      })),
    );
  }
});
