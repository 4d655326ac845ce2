// Nära service worker: caches the app shell and static files only.
// Never an HTML page with personal data, never an authenticated response.
//
// Signed out on the phone, not yet on the server (a sign-out made offline, device.js):
// every navigation first tries to end the session on the server with the stored sign-out
// capability; until that is confirmed, it gets the "Signed out" page and nothing else.
const VERSION = "nara-shell-v6";
const SHELL = [
  "/offline",
  "/signed-out",
  "/static/js/device.js",
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

// --- the signed-out state (same store as device.js; a classic worker cannot import it) ---

function signOutPending() {
  return new Promise((resolve) => {
    const request = indexedDB.open("nara-device", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("kv", { keyPath: "key" });
    request.onerror = () => resolve(null);
    request.onsuccess = () => {
      const db = request.result;
      const get = db.transaction("kv", "readonly").objectStore("kv").get("signout");
      get.onsuccess = () => { db.close(); resolve(get.result || null); };
      get.onerror = () => { db.close(); resolve(null); };
    };
  });
}

function clearSignOut() {
  return new Promise((resolve) => {
    const request = indexedDB.open("nara-device", 1);
    request.onerror = () => resolve();
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction("kv", "readwrite");
      tx.objectStore("kv").delete("signout");
      tx.oncomplete = tx.onerror = () => { db.close(); resolve(); };
    };
  });
}

async function finishSignOut(pending) {
  try {
    const response = await fetch("/logout/device", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      body: new URLSearchParams({ capability: pending.capability || "" }),
    });
    if (!response.ok) return false;
  } catch {
    return false;
  }
  await clearSignOut();
  return true;
}

const SIGNED_OUT_FALLBACK = "<!doctype html><meta charset=utf-8><title>Nära</title>" +
  "<p>Utloggad. Anslut till internet för att avsluta utloggningen.</p>";

async function navigate(request, url) {
  const pending = await signOutPending();
  if (pending) {
    if (await finishSignOut(pending)) {
      return url.pathname === "/login" ? fetch(request)
        : Response.redirect("/login?reason=logged-out", 303);
    }
    return (await caches.match("/signed-out")) ||
      new Response(SIGNED_OUT_FALLBACK, { headers: { "Content-Type": "text/html" } });
  }
  // Pages always come from the network; offline we show the anonymous offline page.
  // An activity thread offline: the data-free shell (outbox.js fills it from the cached
  // catalogue); any other page: the offline page.
  const fallback = url.pathname.startsWith("/activities/") ? "/tally/shell" : "/offline";
  return fetch(request).catch(() => caches.match(fallback)
    .then((hit) => hit || caches.match("/offline")));
}

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
    event.respondWith(navigate(request, url));
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
