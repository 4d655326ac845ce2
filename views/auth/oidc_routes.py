"""The OpenID Connect routes: off to the identity provider, back with a verified ID token,
and back again after the provider's sign-out (views/auth/oidc.py has the client)."""

from __future__ import annotations

import logging

from authlib.integrations.base_client.errors import OAuthError
from flask import current_app, g, redirect, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from requests import RequestException

from models.access import idp, sessions
from views import db, limiter, public, render, request, user
from views.auth.oidc import button_label, client, configured, metadata, required_acr, settings
from views.auth.routes import _end_current, bp, login_page, safe_next, start_session

log = logging.getLogger("nara")
NEXT_KEY = "oidc_next"


# --- sign-in ----------------------------------------------------------------------------


def _refusal(message: str, status: int, check: str):
    """The login page with the reason, and no session; the log names only the check."""
    log.warning("oidc sign-in refused: %s", check)
    session.pop(NEXT_KEY, None)
    return login_page(status=status, idp_error=message)


@bp.route("/login/oidc")
@limiter.limit("300/minute")
@public
def oidc_start():
    """Off to the identity provider (a full navigation, never htmx)."""
    if not configured():  # a bookmark from before the provider was turned off
        return redirect(url_for("auth.login"))
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    extra = {}
    if current_app.config["OIDC_PROMPT"]:
        extra["prompt"] = current_app.config["OIDC_PROMPT"]
    if required_acr():
        extra["acr_values"] = " ".join(required_acr())
    lang = session.get("lang") or request.args.get("lang")
    if lang in ("sv", "en"):
        extra["ui_locales"] = lang
    try:
        metadata()
        return client().authorize_redirect(url_for("auth.oidc_callback", _external=True),
                                           **extra)
    except (OAuthError, RequestException, ValueError):
        return _refusal(_("The identity provider cannot be reached. Try again in a while."),
                        503, "discovery")


@bp.route("/login/oidc/callback")
@limiter.limit("300/minute")
@public
def oidc_callback():
    """Back from the provider: exchange the code, verify the ID token, start a session."""
    if not configured():
        return redirect(url_for("auth.login"))
    if request.args.get("error"):
        return _refusal(_("The sign-in at the identity provider was cancelled or refused."),
                        401, "provider-error")
    failed = _("The sign-in through the identity provider could not be verified. "
               "Please try again.")
    try:
        metadata()
        token = client().authorize_access_token()
    except OAuthError as error:  # wrong state, replayed or unknown code, issuer mismatch
        return _refusal(failed, 400, f"oauth:{(error.error or 'error')[:40]}")
    except JoseError as error:  # the ID token: signature, iss, aud, exp, nonce, at_hash
        return _refusal(failed, 400, f"id_token:{type(error).__name__}")
    except (RequestException, ValueError) as error:
        return _refusal(failed, 400, f"exchange:{type(error).__name__}")
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        return _refusal(failed, 400, "id_token:missing")  # no ID token: never a sign-in
    claims = dict(claims)
    wanted = current_app.config["OIDC_USER_CLAIM"] or "sub"
    if (wanted not in claims or "preferred_username" not in claims) and token.get(
            "access_token"):
        claims = _with_userinfo(claims, token)
    try:
        found = idp.person_for(db(), settings(), claims)
    except idp.Refused as refused:
        db().rollback()
        return _refusal(_refused_text(refused.reason, wanted), 403, f"person:{refused.reason}")
    next_url = session.get(NEXT_KEY) or url_for("home.inbox")
    if user() is not None:
        _end_current(sessions.EndReason.new_login)
    amr = claims.get("amr")
    start_session(found, acr=claims.get("acr") if isinstance(claims.get("acr"), str) else None,
                  amr=" ".join(a for a in amr if isinstance(a, str)) if isinstance(amr, list)
                  else None,
                  id_token=token.get("id_token"))
    if idp.needs_higher_level(found, required_acr(), g.user_session.acr):
        return redirect(url_for("auth.oidc_level", next=safe_next(next_url)))
    return redirect(safe_next(next_url))


def _with_userinfo(claims: dict, token: dict) -> dict:
    """Claims the ID token left to the userinfo endpoint (most providers send only `sub`
    and the protocol claims there). Its `sub` must be the ID token's (OIDC Core §5.3.2)."""
    try:
        extra = client().userinfo(token=token)
    except (OAuthError, RequestException, ValueError):
        return claims
    if extra.get("sub") != claims.get("sub"):
        return claims
    return {**extra, **claims}


def _refused_text(reason: str, claim: str) -> str:
    if reason == "unlinked":
        return _("You signed in at the identity provider, but that identity is not linked to "
                 "an account in Nära. Ask your administrator to link it to your account.")
    if reason == "deactivated":
        return _("Your account in Nära is deactivated. Ask your administrator.")
    return _("The identity provider did not send what Nära recognises you by (%(claim)s). "
             "Ask your administrator.", claim=claim)


@bp.route("/login/level")
@public
def oidc_level():
    """Signed in, at a lower level than the journal and working notes require."""
    if user() is None:
        return redirect(url_for("auth.login"))
    return render("auth/level.html", next=safe_next(request.args.get("next")),
                  button=button_label())


@bp.route("/logout/done")
@public
def oidc_logged_out():
    """The provider's sign-out sends the person back here (the registered
    post_logout_redirect_uri); `state` carries only the language."""
    lang = request.args.get("state")
    return redirect(url_for("auth.login", reason="logged-out",
                            lang=lang if lang in ("sv", "en") else None))
