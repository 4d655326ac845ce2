"""Flask's signed-cookie session, its signature checked once per cookie per process.

The cookie is written at sign-in and sign-out only (SESSION_REFRESH_EACH_REQUEST is off), so
every request of a sign-in sends the same string, and Flask would derive a key, compute an
HMAC and decode base64 and JSON for it each time (~50 µs, on every request). This process
remembers what a cookie it has verified holds, and when it was signed: the same string is
the same verdict, except for its age, which is checked again each time exactly as
itsdangerous does (an expired or future-dated cookie goes through Flask's own refusal).
Any other string — altered, new, signed with another key — goes through Flask as before.
Each request gets its own copy of the data. Whether the sign-in still works is not
decided here: that is the server-side session (models/access/sessions.py), read on every
request.
"""

from __future__ import annotations

import copy
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from views.remembered import remember

_SCALARS = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._opened: dict[tuple, tuple[dict, int]] = {}

    def open_session(self, app, request):
        val = request.cookies.get(self.get_cookie_name(app))
        if not val or not app.secret_key:
            return super().open_session(app, request)
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), val)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        hit = self._opened.get(key)
        if hit is not None:
            data, signed_at = hit
            age = int(time.time()) - signed_at
            if 0 <= age <= max_age:
                return self.session_class(_copy(data))
            return super().open_session(app, request)  # expired: Flask refuses it
        serializer = self.get_signing_serializer(app)
        try:
            data, signed = serializer.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        remember(self._opened, key, (_copy(data), int(signed.timestamp())))
        return self.session_class(data)

    def save_session(self, app, session, response):
        """Flask's, without its cost on the common answer: a session neither changed nor
        to be refreshed writes no cookie, and says `Vary: Cookie` if it was read — as a
        header line of its own (as the security headers add theirs), where Flask parsed and
        rewrote the whole Vary header for it (a twentieth of a signed-in POST's time)."""
        if session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return super().save_session(app, session, response)
        if session.accessed:
            response.headers.add("Vary", "Cookie")
        return None


def _copy(data: dict) -> dict:
    if all(isinstance(v, _SCALARS) for v in data.values()):
        return dict(data)
    return copy.deepcopy(data)
