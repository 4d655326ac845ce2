// A real OpenID provider for Nära's tests: panva's certified `oidc-provider` (v9) on a
// free loopback port, with one confidential test client, test users and a small login
// page of our own (username, password and the assurance level the "eID" gave).
//
// Started by tests/oidc_provider.py. Configuration comes as one JSON argument:
//   { clientId, clientSecret, redirectUris: [...], postLogoutRedirectUris: [...],
//     users: { <login>: { <claims> } } }
// Prints one line `{"issuer": "http://localhost:<port>"}` when it listens (on 127.0.0.1).
//
// Test-only hook: POST /_test/tamper with `mode=<name>` changes the next ID token the
// token endpoint returns (signature broken, expired, another audience, another nonce,
// another issuer) — what a man in the middle or a broken provider would send. Nära must
// refuse every one of them.

import http from "node:http";
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import Provider from "oidc-provider";

const config = JSON.parse(process.argv[2] || "{}");
const PASSWORD = "provider-password";
const LEVELS = {
  "http://id.elegnamnden.se/loa/1.0/loa3": "Substantial (LoA3, e-legitimation)",
  "http://id.elegnamnden.se/loa/1.0/loa2": "Low (LoA2, password)",
};
const users = config.users || {};

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" };
const signingKey = await importJWK(signingJwk, "RS256");

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
// "localhost", not 127.0.0.1: another host than Nära's live server, as a real provider is —
// cookies are not kept apart by port, and Nära's sign-out clears its host's cookies.
const issuer = `http://localhost:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.clientId,
    client_secret: config.clientSecret,
    redirect_uris: config.redirectUris,
    post_logout_redirect_uris: config.postLogoutRedirectUris,
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
    // like a real eID provider, every ID token says its level (acr)
    default_acr_values: Object.keys(LEVELS),
  }],
  jwks: { keys: [signingJwk] },
  claims: {
    openid: ["sub", "amr"], acr: null, auth_time: null, sid: null,
    profile: ["name", "preferred_username"], groups: ["groups"],
  },
  acrValues: Object.keys(LEVELS),
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page("Sign out", `<h1>Sign out from the test provider?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (ctx, id) => users[id] ? {
    accountId: id,
    claims: () => ({ sub: id, ...users[id] }),
  } : undefined,
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  cookies: { keys: ["test-provider-cookie-key"] },
});

// --- the test hook that alters the next ID token ---------------------------------------

let tamper = null;

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== "/token" || !tamper || !ctx.body || !ctx.body.id_token) return;
  const mode = tamper;
  tamper = null;
  const [header, payload, signature] = ctx.body.id_token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const now = Math.floor(Date.now() / 1000);
  if (mode === "signature") {
    // someone else's subject, with the genuine signature of the original token
    claims.sub = "someone-else";
    const forged = Buffer.from(JSON.stringify(claims)).toString("base64url");
    ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
    return;
  }
  if (mode === "expired") Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (mode === "audience") claims.aud = "another-client";
  if (mode === "nonce") claims.nonce = "not-the-nonce-nara-sent";
  if (mode === "issuer") claims.iss = "http://127.0.0.1:1/other-issuer";
  const resigned = await new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: signingJwk.kid, typ: "JWT" })
    .sign(signingKey);
  ctx.body = { ...ctx.body, id_token: resigned };
});

// --- a small login page (no script, no inline style) --------------------------------------

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title></head><body><main>${body}</main></body></html>`;
}

function loginPage(uid, error = "") {
  const options = Object.entries(LEVELS)
    .map(([value, label]) => `<option value="${escape(value)}">${escape(label)}</option>`).join("");
  return page("Test provider: sign in", `<h1>Test provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
  <p><label for="login">Username</label><br><input id="login" name="login" autocomplete="off"></p>
  <p><label for="password">Password</label><br><input id="password" name="password" type="password"></p>
  <p><label for="acr">Level</label><br><select id="acr" name="acr">${options}</select></p>
  <p><button type="submit">Sign in at the provider</button></p>
</form>`);
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(loginPage(uid));
    return;
  }
  if (action !== "login") throw new Error("unknown interaction action");
  const form = await readForm(req);
  const login = form.get("login") || "";
  if (!users[login] || form.get("password") !== PASSWORD) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(loginPage(uid, "Unknown user or wrong password."));
    return;
  }
  const acr = LEVELS[form.get("acr")] ? form.get("acr") : Object.keys(LEVELS)[0];
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  grant.addOIDCClaims(["acr", "amr", "auth_time", "sid"]);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: login, acr, amr: acr.endsWith("loa3") ? ["smartcard"] : ["pwd"] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
server.on("request", async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === "/_test/tamper" && req.method === "POST") {
      tamper = (await readForm(req)).get("mode") || null;
      res.writeHead(204);
      res.end();
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login))?$/);
    if (match) {
      await interaction(req, res, match[1], match[2]);
      return;
    }
    handle(req, res);
  } catch (error) {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end(`test provider: ${error.message}`);
  }
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
console.log(JSON.stringify({ issuer }));
