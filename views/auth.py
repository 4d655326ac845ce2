"""Signing in and out, the idle timeout, and the language choice."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, has_request_context, redirect, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user

from models import access
from views import db, limiter, public, render, request, signed_in, user

bp = Blueprint("auth", __name__)

LANGUAGES = ("sv", "en")
SEEN_GRANULARITY = 60  # seconds


def _login_key() -> str:
    # seed-independent hardening: 5 tries a minute per account and address
    return f"{request.form.get('username', '').strip().lower()}|{get_remote_address()}"


def safe_next(target: str | None, default: str = "home.inbox") -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not (
        target.startswith("//")
    ):
        return target
    return url_for(default)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute", key_func=_login_key, methods=["POST"])
# A whole office may sign in from one address at shift change: the per-address cap is
# generous; the per-account cap above is what stops password guessing.
@limiter.limit("300/minute", methods=["POST"])
@public
def login():
    """Sign in with username and password."""
    if user() is not None:
        return redirect(url_for("home.inbox"))
    error = None
    username = request.form.get("username", "")
    if request.method == "POST":
        found = access.authenticate(db(), username, request.form.get("password", ""))
        if found is not None:
            db().commit()
            session.clear()
            login_user(found)
            session.permanent = True
            session["seen"] = int(time.time())
            if found.locale:
                session["lang"] = found.locale
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong username or password.")
    reason = request.args.get("reason")
    status = 401 if error else 200
    return render("auth/login.html", error=error, username=username, reason=reason), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out and forget the session entirely."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang  # the language is not personal; keep the login page readable
    return redirect(url_for("auth.login", reason="logged-out"))


@bp.route("/language", methods=["POST"])
@public
def language():
    """Switch the interface language; stored on the account when signed in."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        me = user()
        if me is not None:
            me.locale = lang
            db().add(me)
            db().commit()
    return redirect(safe_next(request.form.get("next")))


@bp.route("/account")
@signed_in("account.update")
def account():
    """Who am I, my units, my language."""
    return render(
        "auth/account.html",
        units=access.units_of(db(), user()),
        languages=LANGUAGES,
        role_label=access.ROLE_LABELS.get(user().role, user().role),
    )


def select_locale() -> str:
    """The user's setting, else the browser's Accept-Language, else Swedish."""
    if not has_request_context():  # CLI, demo seed: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def enforce_idle_timeout():
    """End a session that has been idle too long; htmx requests are sent to login."""
    if user() is None:
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    seen = session.get("seen", now)
    if now - seen > idle:
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        target = url_for("auth.login", reason="idle")
        if request.htmx:
            response = current_app.response_class(status=401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)
    # Background polls (the manager's day feed) do not count as the user being active.
    # Re-signing the cookie is a large share of a request's cost, so "seen" moves at most
    # once a minute; the cookie's own lifetime is renewed with it.
    stale = "seen" not in session or now - seen >= SEEN_GRANULARITY
    if request.headers.get("X-Nara-Background") != "1" and stale:
        session["seen"] = now
    return None


def login_rate_limited():
    """The login form again, with the translated rate-limit message."""
    message = _("Too many sign-in attempts. Wait a minute and try again.")
    username = request.form.get("username", "")
    return render("auth/login.html", error=message, username=username, reason=None), 429
