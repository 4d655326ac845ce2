"""Translated error pages, htmx-aware error fragments, and security headers."""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models.access.policy import LevelTooLow
from models.core.errors import AccessDenied, DomainError
from views import request, user, wants_fragment

log = logging.getLogger("nara")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    # No other site may load our answers as an image, script or JSON (Spectre-style
    # reads, or a page of personal data pulled into someone else's page).
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


@lru_cache(maxsize=8)
def _csp(issuer: str) -> str:
    """The policy; with an identity provider, a sign-out without script is a form POST
    that redirects there, so form-action names its origin too (and nothing else)."""
    parts = urlsplit(issuer)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{CSP} {parts.scheme}://{parts.netloc}"
    return CSP


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something in the request was wrong"), _("Check what you entered and try again.")),
        401: (_("Please sign in"), _("You need to sign in to see this.")),
        403: (_("Not allowed"), _("You do not have permission to do this.")),
        404: (_("Not found"), _("The page does not exist or you cannot see it.")),
        405: (_("Not allowed"), _("That action is not possible here.")),
        413: (_("Too large"), _("What you sent is too large.")),
        429: (_("Too many attempts"), _("Wait a minute and try again.")),
        500: (_("Something went wrong"), _("The error has been noted. Try again in a moment.")),
    }


def error_response(status: int, detail: str | None = None):
    title, text = _messages().get(status, _messages()[500])
    text = detail or text
    if wants_fragment():
        # htmx 4 swaps error responses: send a small notice to the page's alert region.
        response = render_template("errors/_notice.html", title=title, text=text, status=status)
        headers = {"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"}
        return response, status, headers
    return render_template("errors/error.html", title=title, text=text, status=status), status


def register(app: Flask) -> None:
    @app.before_request
    def _request_id():
        g.request_id = str(uuid.uuid4())

    @app.errorhandler(CSRFError)
    def _csrf(error):
        if request.endpoint == "auth.login":
            # An expired login form is not an attack worth a dead end: show it again.
            return redirect(url_for("auth.login", reason="expired"))
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "nara_access", "public") != "public" and user() is None:
            # Signed out (the cookie and its token went with the session): say so — the
            # outbox must learn to stop, not retry a "stale form" forever.
            return app.login_manager.unauthorized()  # the auth room's answer
        return error_response(400, _("The form had expired. Reload the page and try again."))

    @app.errorhandler(AccessDenied)
    def _denied(error: AccessDenied):
        if isinstance(error, LevelTooLow):
            return error_response(403, _(
                "The journal and the working notes need a stronger sign-in than the one you "
                "used. Sign out and sign in again with e-legitimation at the higher level."))
        return error_response(404 if error.hide else 403)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return error_response(400, str(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return error_response(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error request_id=%s", g.get("request_id"))
        return error_response(500)

    @app.after_request
    def _security_headers(response):
        h = response.headers
        present = {key.lower() for key in h.keys()}
        if "content-security-policy" not in present:  # a view may set its own
            h.add("Content-Security-Policy", _csp(app.config.get("OIDC_ISSUER", "")))
        # Set (replacing one a view set) or, as for almost every answer, just appended:
        # one look at the names instead of a scan of them all for each header.
        for name, value in SECURITY_HEADERS:
            if name.lower() in present:
                h[name] = value
            else:
                h.add(name, value)
        if app.config["PREFER_HTTPS"]:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        h.add("Vary", "HX-Request")
        if request.endpoint != "static" and response.mimetype == "text/html":
            # Pages may hold personal data: never stored by the browser or a proxy.
            h["Cache-Control"] = "no-store"
        return response
