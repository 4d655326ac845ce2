"""A real OpenID provider for the tests: tests/oidc/provider.mjs (npm `oidc-provider`),
started on a free loopback port. `make test` installs it (`npm ci`, package.json)."""

from __future__ import annotations

import json
import subprocess
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
CLIENT_ID = "nara-test"
CLIENT_SECRET = "a-test-client-secret-of-sufficient-length"
PASSWORD = "provider-password"  # the test provider's one password (provider.mjs)
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"
USERS = {
    "hsa-anna": {"preferred_username": "anna", "name": "Anna Andersson",
                 "groups": ["nara-staff"]},
    "hsa-bo": {"preferred_username": "bo", "name": "Bo Berg"},
    "hsa-nobody": {"preferred_username": "nobody", "name": "Ingen Kopplad"},
}


class Provider:
    def __init__(self, issuer: str, process: subprocess.Popen):
        self.issuer, self.process = issuer, process

    def tamper_next_id_token(self, mode: str) -> None:
        """The provider's next token response carries an altered ID token."""
        requests.post(f"{self.issuer}/_test/tamper", data={"mode": mode},
                      timeout=5).raise_for_status()


@contextmanager
def oidc_provider(app_base: str):
    """The provider, with one client whose redirect URIs point at `app_base`."""
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("npm package oidc-provider missing: run `npm ci` (make test does)")
    config = {
        "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        "redirectUris": [f"{app_base}/login/oidc/callback"],
        "postLogoutRedirectUris": [f"{app_base}/logout/done"],
        "users": USERS,
    }
    process = subprocess.Popen(["node", str(SCRIPT), json.dumps(config)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the test OpenID provider did not start")
        yield Provider(json.loads(line)["issuer"], process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def app_config(provider: Provider, **extra) -> dict:
    """Nära's settings for this provider."""
    return {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_SCOPES": "openid profile groups",
            "OIDC_USER_CLAIM": "sub", "OIDC_BUTTON_LABEL": "Logga in med SITHS", **extra}
