// Who is on this phone, and signing out — also without a network.
//
// Nära runs on shared unit phones. This module owns sign-out for the whole app:
//  - every signed-in page tells it whose page it is and hands it the session's sign-out
//    capability (it can end that one session and nothing else; views/auth.py);
//  - "Logga ut" warns about unsent work (each room registers what it holds), deletes the
//    person's traces, and puts the phone in a signed-out state *on the phone* at once;
//  - until the server has confirmed the sign-out, the service worker answers every
//    navigation with the "Signed out" page, and this page keeps trying to confirm;
//  - any login page that arrives cleans up what is not the next person's.
// Nothing here holds personal data: a user id, a capability, a time.

const CHANNEL = "nara-device";
const RETRY_MS = 15000;

// The one IndexedDB wrapper of the app (this module, offline-queue.js): a database with
// stores { name: keyPath }; each call does its work in one transaction. A page keeps one
// connection per database (opening one costs a round trip to the browser for every read
// and write: a backlog of hundreds sent one by one paid it several times per item). It lets
// go at once when another page deletes the database (a sign-out) or upgrades it, so a
// person's store is deleted at sign-out without waiting for any page.
const connections = new Map(); // name → Promise<IDBDatabase>

function connect(name, stores) {
  const known = connections.get(name);
  if (known) return known;
  const connection = new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      for (const [store, keyPath] of Object.entries(stores)) {
        request.result.createObjectStore(store, { keyPath });
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => release(name, connection);
      db.onclose = () => release(name, connection); // closed by the browser (storage cleared)
      resolve(db);
    };
    request.onerror = () => {
      release(name, connection);
      reject(request.error);
    };
  });
  connections.set(name, connection);
  return connection;
}

// Closes this page's connection to a database (when it is still the one named).
function release(name, connection = connections.get(name)) {
  if (!connection || connections.get(name) !== connection) return;
  connections.delete(name);
  connection.then((db) => db.close(), () => {});
}

export function database(name, stores) {
  const run = async (store, mode, work) => {
    const db = await connect(name, stores);
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  };
  return async (store, mode, work) => {
    try {
      return await run(store, mode, work);
    } catch (error) {
      // A connection closed under us (deleted, upgraded elsewhere): once more, on a new one.
      if (error?.name !== "InvalidStateError") throw error;
      release(name);
      return run(store, mode, work);
    }
  };
}

export function dropDatabase(name) {
  release(name);
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
    setTimeout(resolve, 1500);
  });
}

const kv = database("nara-device", { kv: "key" });
export const getRecord = (key) => kv("kv", "readonly", (s) => s.get(key));
export const putRecord = (record) => kv("kv", "readwrite", (s) => s.put(record));
export const deleteRecord = (key) => kv("kv", "readwrite", (s) => s.delete(key));

// Addresses come from the page (base.html renders them with url_for); pages the service
// worker serves offline were rendered by the server too, so they carry them as well.
export function url(name) {
  return document.body.dataset[`${name}Url`];
}

// --- whose page is this ---------------------------------------------------------------

function badge() {
  return document.getElementById("outbox-badge");
}

let deviceUser = "";
let deviceDrafts = "";

// The signed-in person of this page ("" on the login page and on anonymous pages), or, on
// a page the service worker served offline, the person the phone was last signed in as.
export function currentUser() {
  const b = badge();
  return (b && b.dataset.user) || deviceUser || "";
}

// The opaque name tag of the person's draft store (journal-drafts.js), the same way.
export function currentDrafts() {
  const b = badge();
  return (b && b.dataset.user ? b.dataset.drafts : deviceDrafts) || "";
}

async function rememberSession() {
  const b = badge();
  if (!b || !b.dataset.user) return;
  const record = { key: "session", user: b.dataset.user, signout: b.dataset.signout || "",
    drafts: b.dataset.drafts || "" };
  const known = await getRecord("session");
  if (known && ["user", "signout", "drafts"].every((k) => known[k] === record[k])) return;
  await putRecord(record);
}

// --- what each room holds for the person (tally outbox, journal drafts) -----------------

const rooms = [];

// room: { pending(user) → count after a last try to send, warning(count) → text,
//         clear(user) → deletes the person's items, forget() → clears what no one owns }
export function registerRoom(room) {
  rooms.push(room);
}

// --- the signed-out state -------------------------------------------------------------

export async function signOutPending() {
  try {
    return await getRecord("signout");
  } catch {
    return null;
  }
}

// Ends the session on the server with the stored capability. True once confirmed (or if
// nothing was pending); false while the server cannot be reached.
export async function finishSignOut() {
  const pending = await signOutPending();
  if (!pending) return true;
  try {
    const response = await fetch(url("deviceLogout"), {
      method: "POST",
      body: new URLSearchParams({ capability: pending.capability || "" }),
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) return false;
    providerSignOut = await response.json().then((b) => b.idp_logout || "", () => "");
  } catch {
    return false;
  }
  await deleteRecord("signout");
  return true;
}

// A session that began at the identity provider ends there too (RP-initiated logout):
// the server names the provider's end-session address when it ended such a session.
let providerSignOut = "";

// The login page after a sign-out, in the language the person was using.
function loginAfterSignOut() {
  const lang = document.documentElement.lang;
  const target = new URL(url("login"), location.href);
  target.searchParams.set("reason", "logged-out");
  if (/^(sv|en)$/.test(lang)) target.searchParams.set("lang", lang);
  return target.href;
}

function toSignedOut() {
  location.replace(url("signedOut"));
}

async function signOut(form) {
  const user = currentUser();
  for (const room of rooms) {
    const count = user ? await room.pending(user) : 0;
    if (count && !window.confirm(room.warning(count))) return;
  }
  const session = await getRecord("session").catch(() => null);
  // From here on the phone is signed out, whatever the network does.
  await putRecord({ key: "signout", capability: (session && session.signout) || "",
    at: Date.now() });
  for (const room of rooms) await room.clear(user);
  await forgetPeople();
  broadcast("signed-out");
  if (await finishSignOut()) {
    location.replace(providerSignOut || loginAfterSignOut());
  } else {
    toSignedOut();
  }
}

// What stays behind after anyone's session: nothing that names a person or their work,
// except what each room keeps under its owner (sent when the owner signs in again).
async function forgetPeople() {
  await deleteRecord("session").catch(() => {});
  for (const room of rooms) await room.forget();
  try { localStorage.clear(); } catch { /* storage blocked: nothing stored either */ }
  try { sessionStorage.clear(); } catch { /* idem */ }
}

// --- other tabs follow ------------------------------------------------------------------

const channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;

function broadcast(message) {
  channel?.postMessage(message);
}

channel?.addEventListener("message", (event) => {
  if (event.data === "signed-out" && !isSignedOutPage()) toSignedOut();
});

// --- wiring ---------------------------------------------------------------------------

function isLogoutForm(form) {
  if (!(form instanceof HTMLFormElement)) return false;
  try {
    return new URL(form.action, location.href).pathname === url("logout");
  } catch {
    return false;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!isLogoutForm(form)) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  signOut(form);
}, true);

function isSignedOutPage() {
  return Boolean(document.querySelector("[data-signed-out]"));
}

function isLoginPage() {
  // with LOCAL_LOGIN=0 the login page may hold only the identity provider's button
  return Boolean(document.querySelector("main.login [data-login-page]")
    || document.querySelector(`main.login form[action^="${url("login")}"]`));
}

function waitForServer() {
  const status = document.querySelector("[data-signed-out-status]");
  const attempt = async () => {
    if (await finishSignOut()) {
      location.replace(providerSignOut || loginAfterSignOut());
      return;
    }
    if (status) status.hidden = false;
  };
  window.addEventListener("online", attempt);
  setInterval(attempt, RETRY_MS);
  attempt();
}

// Runs on load and after every htmx swap.
async function pageReady() {
  if (isSignedOutPage()) return;
  if (await signOutPending()) {
    // A page got here without the service worker (or before it took control): the
    // sign-out is not finished, so no app page is shown.
    if (!isLoginPage() || !(await finishSignOut())) toSignedOut();
    return;
  }
  if (isLoginPage()) {
    await forgetPeople();
    deviceUser = deviceDrafts = "";
    return;
  }
  await rememberSession();
  const known = await getRecord("session").catch(() => null);
  deviceUser = (known && known.user) || "";
  deviceDrafts = (known && known.drafts) || "";
}

export const ready = (async () => {
  for (const element of document.querySelectorAll("[data-needs-js]")) element.hidden = false;
  if (isSignedOutPage()) {
    waitForServer();
    return;
  }
  await pageReady().catch(() => {});
})();

document.addEventListener("htmx:after:settle", () => { pageReady().catch(() => {}); });
