"""Sign-in through the municipality's identity provider (OpenID Connect, issue 17).

The protocol is Authlib's Flask client: the authorization code flow with PKCE (S256), a
`state` and a `nonce` kept in the signed session cookie until the provider sends the person
back, and the ID token's signature (the provider's published keys) and claims (issuer,
audience, expiry, nonce) verified before anything else is read. Who the verified claims
are in Nära is models/access/idp.py's question; the session that follows is the same
server-side session a password sign-in starts (routes.start_session).

Nothing about the person goes into a URL or a log line: the log says which check failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session, url_for
from flask_babel import gettext as _
from requests import RequestException

from models.access import idp
from views import request


def configured(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID"))


def settings() -> idp.Settings:
    config = current_app.config
    return idp.Settings(
        issuer=config["OIDC_ISSUER"], user_claim=config["OIDC_USER_CLAIM"] or "sub",
        auto_link_by=config["OIDC_AUTO_LINK_BY"], create_users=config["OIDC_CREATE_USERS"],
        required_acr=required_acr(), groups=idp.parse_groups_map(config["OIDC_GROUPS_MAP"]))


def required_acr() -> tuple[str, ...]:
    return tuple(current_app.config.get("OIDC_REQUIRED_ACR", "").split())


def button_label() -> str:
    return current_app.config.get("OIDC_BUTTON_LABEL") or _("Sign in with e-legitimation")


def not_configured_text() -> str:
    return _("Sign-in through an identity provider is not set up (OIDC_ISSUER).")


def client():
    """The Authlib client for the configured provider (made on first use, per app, and
    again if the configuration changed). Discovery and the keys are fetched lazily."""
    config = current_app.config
    key = (config["OIDC_ISSUER"], config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"],
           config["OIDC_SCOPES"])
    made = current_app.extensions.get("nara_oidc")
    if made is None or made[0] != key:
        oauth = OAuth()
        oauth.init_app(current_app)
        oauth.register(
            "nara", client_id=key[1], client_secret=key[2],
            server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
            client_kwargs={"scope": key[3], "code_challenge_method": "S256", "timeout": 10},
        )
        made = (key, oauth.create_client("nara"))
        current_app.extensions["nara_oidc"] = made
    return made[1]


def metadata() -> dict:
    """The provider's discovery document, refused unless it names the configured issuer
    (OpenID Connect Discovery §4.3: otherwise another issuer's tokens would pass)."""
    found = client().load_server_metadata()
    if str(found.get("issuer", "")).rstrip("/") != current_app.config["OIDC_ISSUER"]:
        raise OAuthError(error="issuer_mismatch")
    return found


def idp_origin() -> str | None:
    """The provider's origin, for the CSP's form-action (sign-out without script
    redirects a form's POST there)."""
    parts = urlsplit(current_app.config.get("OIDC_ISSUER", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


# --- sign-out at the provider too (RP-initiated logout) ---------------------------------


def provider_logout_url(id_token: str | None) -> str | None:
    """The provider's end-session address for a session that began there, or None (no
    provider, a password session, or a provider without end_session_endpoint)."""
    if not id_token or not configured():
        return None
    try:
        endpoint = metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        lang = session.get("lang") or request.args.get("lang") or ""
        return client().create_logout_url(
            post_logout_redirect_uri=url_for("auth.oidc_logged_out", _external=True),
            id_token_hint=id_token, state=lang if lang in ("sv", "en") else None,
        )["url"]
    except (OAuthError, RequestException, ValueError, RuntimeError):
        return None  # Nära's session ends all the same
