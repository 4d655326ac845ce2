"""Flask-WTF's CSRF protection with its signing done once per session token, not per request.

The session holds a random token; pages carry it signed (itsdangerous: a key derivation, an
HMAC and base64, ~50-100 µs). With WTF_CSRF_TIME_LIMIT = None the signature's timestamp is
never checked, so the signed form of one session token is as good the thousandth time as
the first. This process remembers it:

- `csrf_token()` (templates, the catalogue) hands back the remembered signed token instead
  of signing again; a new session token is signed once, by Flask-WTF.
- `protect()` accepts a request whose token is exactly the one this process signed for the
  session's token (compared in constant time) without unsigning it again; any other token
  goes through Flask-WTF's own check, as before. Exemptions and the HTTPS referrer check
  are Flask-WTF's, in its order.

Nothing here applies when a time limit is configured: then every token is signed and
checked by Flask-WTF. Entries are keyed by secret and session token, so a new SECRET_KEY or
a new session never meets an old signature; the memory is bounded.
"""

from __future__ import annotations

import hmac

from flask import current_app, g, request, session
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf, same_origin

from views.remembered import remember

_signed: dict[tuple[str, str], str] = {}


def _key() -> tuple[str, str] | None:
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    raw = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(raw, str):
        return None
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return (secret, raw) if isinstance(secret, str) else None


def csrf_token() -> str:
    """The request's signed CSRF token (Flask-WTF's `generate_csrf`, remembered)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    found = g.get(field)
    if found is not None:
        return found
    key = _key()
    found = _signed.get(key) if key is not None else None
    if found is not None:
        setattr(g, field, found)  # where generate_csrf looks: the same token all request
        return found
    found = generate_csrf()
    key = _key()  # the session's token exists now
    if key is not None:
        remember(_signed, key, found)
    return found


class RememberingCSRFProtect(CSRFProtect):
    def init_app(self, app):
        super().init_app(app)
        # Flask-WTF's context processor names generate_csrf: this one takes its place (each
        # one runs on every render).
        processors = app.template_context_processors[None]
        processors[:] = [p for p in processors if p.__module__ != "flask_wtf.csrf"]
        app.jinja_env.globals["csrf_token"] = csrf_token
        app.context_processor(lambda: {"csrf_token": csrf_token})

    def protect(self, apply_exemptions=False):
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"] or not self._remembered(
            self._get_csrf_token()
        ):
            super().protect()  # Flask-WTF's own check (exemptions are applied above)
            return
        # what Flask-WTF checks after the token, unchanged
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True

    @staticmethod
    def _remembered(token: str | None) -> bool:
        key = _key()
        known = _signed.get(key) if key is not None else None
        return bool(token and known) and hmac.compare_digest(token.encode(), known.encode())
