"""Signing in and out (also from a device that was offline), sessions, and the language.

The cookie carries one thing about the person: the key of a server-side session
(models/sessions.py). Every request reads that session with its user in one query, so a
session ended anywhere — sign-out, idle, the absolute lifetime, an admin — stops working
on every app server at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

import views.auth.oidc as oidc
from models import access
from models.access import idp, sessions
from views import csrf, db, limiter, public, render, request, user

bp = Blueprint("auth", __name__)

LANGUAGES = ("sv", "en")
# The browser removes what an ended session may have left: cookies and the HTTP cache.
# Not "storage": that would also delete the service worker and every IndexedDB database —
# the offline tallies of other people who share this phone and have not sent them yet.
CLEAR_SITE_DATA = '"cache", "cookies"'


def _login_key() -> str:
    # seed-independent hardening: 5 failed sign-ins a minute per account, from anywhere
    return request.form.get("username", "").strip().lower()


def _failed(response) -> bool:
    """Only a refused password counts against the account: signing in does not."""
    return response.status_code == 401


def safe_next(target: str | None, default: str = "home.inbox") -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not (
        target.startswith("//")
    ):
        return target
    return url_for(default)


# --- the session behind every request ---------------------------------------------------


def limits() -> sessions.Limits:
    config = current_app.config
    return sessions.Limits(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                           max_age=timedelta(hours=config["SESSION_MAX_HOURS"]))


def load_user(key: str) -> access.User | None:
    """Flask-Login's user loader: the live session's user, or None (then `g` says why)."""
    active = request.headers.get("X-Nara-Background") != "1"  # polls are not activity
    found = sessions.resolve(db(), key, limits(), active=active)
    if found.user is None:
        # The dead key stays in the cookie until the next sign-in or sign-out, so every
        # request still on its way (outbox, drafts, polls) learns the same reason.
        g.signed_out_reason = found.ended_reason or "ended"
        return None
    g.user_session = found.row
    found.user._session_key = key
    # the policy's one check of the sign-in's level (models/access/policy.level_sufficient)
    found.user._level_ok = idp.level_sufficient(oidc.required_acr(), found.row.acr)
    return found.user


def unauthorized():
    """Not signed in (or no longer). Pages go to the login page with the reason; the
    outbox, drafts, JSON and htmx get a 401 they understand, never a page to swap in."""
    reason = g.get("signed_out_reason")
    target = url_for("auth.login", reason=reason if reason in REASONS else None,
                     next=request.full_path.rstrip("?") if request.method == "GET" else None)
    login = url_for("auth.login", reason=reason if reason in REASONS else None)
    queued = (request.headers.get("X-Nara-Outbox") or request.headers.get("X-Nara-Draft")
              or request.path.endswith(".json"))
    if not queued and request.htmx:
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = login  # a full navigation, nothing swapped
        return response
    if not queued:
        return redirect(target)
    response = jsonify(signed_out=True, reason=reason or "signed-out", login=login)
    response.status_code = 401
    return response


def start_session(found: access.User, acr: str | None = None, amr: str | None = None,
                  id_token: str | None = None) -> None:
    """A fresh cookie and a fresh server-side session (no fixation) — after a password or
    after the identity provider (which adds its level and ID token)."""
    row, key = sessions.start(db(), found, request.headers.get("User-Agent", ""),
                              acr=acr, amr=amr, id_token=id_token)
    db().commit()
    session.clear()
    found._session_key = key
    login_user(found)
    session.pop("_id", None)  # Flask-Login's hash of address and browser: not needed here
    session.permanent = True
    if found.locale:
        session["lang"] = found.locale
    found._level_ok = idp.level_sufficient(oidc.required_acr(), row.acr)
    g.user_session = row


def _end_current(reason: str) -> str | None:
    """End this request's session; returns the ID token it began with (if it began at the
    identity provider), for the provider's sign-out."""
    user()  # loads this request's session, if it has a live one
    row = g.get("user_session")
    if row is None:
        return None
    id_token = row.idp_id_token
    sessions.end(db(), row.id, reason)
    db().commit()
    return id_token


def _forget_cookie(response):
    """Expire the cookie and ask the browser to drop what the session left behind."""
    logout_user()
    session.clear()
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# --- pages ------------------------------------------------------------------------------


REASONS = {"idle", "max_age", "logged-out", "expired", "ended", "deactivated", "password",
           "role", "units", "admin", "logout", "new_login"}


def reason_text(reason: str | None) -> str | None:
    """Why the person is at the login page, in their language."""
    if reason == "idle":
        return _("You were signed out after %(minutes)d minutes without activity.",
                 minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if reason == "max_age":
        return _("You were signed out: a sign-in lasts at most %(hours)d hours.",
                 hours=current_app.config["SESSION_MAX_HOURS"])
    if reason in ("logged-out", "logout"):
        return _("You are signed out.")
    if reason == "expired":
        return _("The page had expired. Please sign in again.")
    if reason in REASONS:
        return _("Your sign-in was ended. Please sign in again.")
    return None


def local_login_allowed(found: access.User) -> bool:
    """With LOCAL_LOGIN=0 a password opens only a break-glass account: one named in
    BREAK_GLASS_USERS, or — when none is named — an admin."""
    config = current_app.config
    return config["LOCAL_LOGIN"] or idp.break_glass(found, config["BREAK_GLASS_USERS"])


def login_page(error: str | None = None, status: int = 200, username: str = "",
               idp_error: str | None = None):
    """The login page: the identity provider's button when there is one, and the password
    form — only behind the break-glass link when local passwords are off. `idp_error` is
    said above the button (it is not about the password fields)."""
    local = current_app.config["LOCAL_LOGIN"]
    show_form = local or not oidc.configured() or request.args.get("local") == "1" or (
        request.method == "POST" and request.endpoint == "auth.login")
    return render("auth/login.html", error=error, username=username, idp_error=idp_error,
                  reason=reason_text(request.args.get("reason")),
                  oidc=oidc.configured(), oidc_label=oidc.button_label() if oidc.configured()
                  else "", show_form=show_form, break_glass=not local), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute", key_func=_login_key, methods=["POST"], deduct_when=_failed)
# A whole office may sign in from one address at shift change: the per-address cap is
# generous; the per-account cap above is what stops password guessing.
@limiter.limit("300/minute", methods=["POST"])
@public
def login():
    """Sign in with username and password; never silently continue someone else's session."""
    current = user()
    if request.method == "GET" and current is not None:
        return render("auth/signed_in.html", next=safe_next(request.args.get("next")))
    error = None
    username = request.form.get("username", "")
    if request.method == "POST":
        found = access.authenticate(db(), username, request.form.get("password", ""))
        if found is not None and not local_login_allowed(found):
            db().rollback()  # not even the last sign-in time: this was no sign-in
            found = None
        if found is not None:
            if current is not None:
                _end_current(sessions.EndReason.new_login)
            start_session(found)
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong username or password.")
    return login_page(error, 401 if error else 200, username)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out: the session ends on the server, and the cookie goes. A session that began
    at the identity provider ends there too (RP-initiated logout), when it can."""
    lang = session.get("lang")
    id_token = _end_current(sessions.EndReason.logout)
    at_provider = oidc.provider_logout_url(id_token)
    # The cookie goes, and the language with it: the login page keeps it from the URL.
    response = redirect(at_provider or url_for("auth.login", reason="logged-out", lang=lang))
    return _forget_cookie(response)


@bp.route("/logout/device", methods=["POST"])
@csrf.exempt
@limiter.limit("300/minute")
@public
def logout_device():
    """Finish a sign-out made offline: ends the session the device's sign-out capability
    names (it can do nothing else) and the one its cookie carries, if any. No CSRF token:
    the capability is the proof, and ending a session is all it can do.

    The answer names the identity provider's sign-out when the session began there and is
    still live (device.js goes there next); a sign-out finished later, by the service
    worker, cannot take the person there — hence OIDC_PROMPT=login by default."""
    secret, capability = current_app.secret_key, request.form.get("capability", "")
    row = sessions.by_capability(db(), secret, capability)
    id_token = row.idp_id_token if row is not None and row.ended_at is None else None
    by_capability = sessions.end_by_capability(db(), secret, capability)
    id_token = _end_current(sessions.EndReason.logout) or id_token
    db().commit()
    at_provider = oidc.provider_logout_url(id_token)
    answer = {"ended": by_capability, **({"idp_logout": at_provider} if at_provider else {})}
    return _forget_cookie(jsonify(answer))


@bp.route("/signed-out")
@public
def signed_out():
    """Signed out on this device, not yet on the server: the service worker serves this
    page to every navigation until the server has confirmed. Holds no personal data."""
    return render("auth/signed_out.html", shell_only=True)


# --- what the phone keeps for the signed-in person --------------------------------------


def device() -> dict[str, str]:
    """Data attributes for the page's scripts (templates/_outbox_badge.html): whose outbox
    items to show, the capability that can end this session from an offline phone, and
    the opaque name of this person's encrypted draft store."""
    me, row = user(), g.get("user_session")
    if me is None or row is None:
        return {}
    return {"user": str(me.id), "signout": sessions.capability(current_app.secret_key, row),
            "drafts": _user_secret("nara-drafts-store")[:22]}


def draft_key() -> str:
    """The key that encrypts this person's offline journal drafts in the browser.

    Per person, not per session: a draft written before an idle timeout can still be sent
    when its author signs in again on that phone, and no one else's page can decrypt it.
    The browser holds it only in memory, as a non-extractable CryptoKey."""
    return _user_secret("nara-drafts")


def _user_secret(purpose: str) -> str:
    message = f"{purpose}|{user().id}".encode()
    digest = hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def select_locale() -> str:
    """The user's setting, else the browser's Accept-Language, else Swedish."""
    if not has_request_context():  # CLI, demo seed: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if request.endpoint == "auth.login" and request.args.get("lang") in LANGUAGES:
        return request.args["lang"]  # after a sign-out, which took the cookie with it
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


@bp.errorhandler(429)
def _rate_limited(_error):
    """The sign-in form again with its message, not a bare 429 page."""
    return login_rate_limited()


def login_rate_limited():
    """The login form again, with the translated rate-limit message."""
    message = _("Too many sign-in attempts. Wait a minute and try again.")
    return login_page(message, 429, request.form.get("username", ""))
