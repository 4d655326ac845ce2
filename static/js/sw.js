// Nära service worker: caches the app shell and static files only.
// Never an HTML page with personal data, never an authenticated response.
//
// Signed out on the phone, not yet on the server (a sign-out made offline, device.js):
// every navigation first tries to end the session on the server with the stored sign-out
// capability; until that is confirmed, it gets the "Signed out" page and nothing else.

// The file list and cache version, written by `make` (scripts/build_sw.py) from the files
// in static/ with a content hash: self.NARA_SHELL = { version, files }.
importScripts("/static/js/sw-manifest.js");
const { version: VERSION, files: SHELL } = self.NARA_SHELL;

// A worker has no page to read addresses from: these few are the app's (views/auth.py,
// views/pwa.py, views/tally.py); the shell pages among them are in the generated list.
const URLS = { login: "/login", deviceLogout: "/logout/device", signedOut: "/signed-out",
  offline: "/offline", tallyShell: "/tally/shell", activities: "/activities/",
  inbox: "/", inboxShell: "/offline/inbox" };

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

function signOutRecord(mode) {
  return new Promise((resolve) => {
    const request = indexedDB.open("nara-device", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("kv", { keyPath: "key" });
    request.onerror = () => resolve(null);
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction("kv", mode);
      const store = tx.objectStore("kv");
      const work = mode === "readonly" ? store.get("signout") : store.delete("signout");
      tx.oncomplete = () => { db.close(); resolve(work.result || null); };
      tx.onerror = () => { db.close(); resolve(null); };
    };
  });
}

async function finishSignOut(pending) {
  try {
    const response = await fetch(URLS.deviceLogout, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      body: new URLSearchParams({ capability: pending.capability || "" }),
    });
    if (!response.ok) return false;
  } catch {
    return false;
  }
  await signOutRecord("readwrite");
  return true;
}

async function navigate(request, url) {
  const pending = await signOutRecord("readonly");
  if (pending) {
    if (await finishSignOut(pending)) {
      return url.pathname === URLS.login ? fetch(request)
        : Response.redirect(`${URLS.login}?reason=logged-out`, 303);
    }
    // Without the cached page (it failed to install), an empty answer: nothing is shown.
    return (await caches.match(URLS.signedOut)) || new Response("", { status: 503 });
  }
  // Pages always come from the network; offline we show the anonymous offline page.
  // An activity thread offline: the data-free shell (tally-outbox.js fills it from the
  // cached catalogue); the inbox: the inbox shell listing those activities; any other
  // page (the journal above all): the offline page.
  const fallback = url.pathname.startsWith(URLS.activities) ? URLS.tallyShell
    : url.pathname === URLS.inbox ? URLS.inboxShell : URLS.offline;
  return fetch(request).catch(() => caches.match(fallback)
    .then((hit) => hit || caches.match(URLS.offline)));
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
