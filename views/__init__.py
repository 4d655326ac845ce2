"""Extensions and the small helpers every blueprint shares.

Extensions are created here and bound in app.create_app(); nothing runs at import.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, render_template
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from htmx_flask import Htmx
from htmx_flask import request as request  # request.htmx is truthy for htmx requests
from jinja2_fragments.flask import render_block
from sqlmodel import Session

from models import access
from models.access.policy import LevelTooLow
from models.core.db import end_session, get_by_id, new_session
from models.core.errors import AccessDenied
from views.csrf_tokens import RememberingCSRFProtect

babel = Babel()
login_manager = LoginManager()
csrf = RememberingCSRFProtect()  # Flask-WTF's, signing once per session token
htmx = Htmx()
# The storage comes from RATELIMIT_STORAGE_URI (a storage given here would win over it).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def drop_idle_limit_check(app) -> None:
    """Flask-Limiter checks the default, application and blueprint limits before every
    request. Nära has none of those (its limits sit on routes, whose decorators check
    them), so the check resolved nothing, at a tenth of a signed-in POST's time. It is
    dropped only while there is nothing for it to check (RATELIMIT_DEFAULT or
    RATELIMIT_APPLICATION set keeps it)."""
    manager = limiter.limit_manager
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks and not (
            manager.default_limits or manager.application_limits or manager._blueprint_limits):
        hooks.remove(limiter._check_request_limit)


def db() -> Session:
    """The request's database session (opened on first use, closed at teardown). A save
    asks for it a dozen times: `g` is looked up once per call, not three times."""
    store = g._get_current_object()
    found = store.get("db")
    if found is None:
        found = store.db = new_session(current_app.extensions["nara_engine"])
    return found


def close_db(exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        end_session(session, failed=exc is not None)


def user() -> access.User | None:
    """The signed-in user, or None. Read from where Flask-Login keeps the request's user
    (`g._login_user`) once it is loaded: a save asks a dozen times, and each trip through
    the `current_user` proxy costs a few context lookups."""
    found = g.get("_login_user")
    if found is None:  # not loaded yet in this request: Flask-Login loads it
        found = current_user._get_current_object()
    return found if found.is_authenticated else None


# --- access declarations: every view carries one -------------------------------------


def public(view):
    """Reachable without signing in (login page, manifest, static shell)."""
    view.nara_access = "public"
    return view


def signed_in(action: str):
    """Sign-in required and `action` (no object) authorised before the view runs.

    Object-level checks happen inside the view through `load_or_404` / `ensure`.
    """

    def wrap(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if user() is None:
                return current_app.login_manager.unauthorized()
            ensure(action)
            return view(*args, **kwargs)

        guarded.nara_access = action
        return guarded

    return wrap


def ensure(action: str, obj=None) -> None:
    access.ensure(db(), user(), action, obj)


def load_or_404(model, ident, action: str, hide: bool = False):
    """Load `model` by id and authorise `action` on it; missing and hidden look alike.
    `hide`: every refusal is a 404, so ids cannot be probed (a unit's settings pages)."""
    obj = get_by_id(db(), model, ident) if ident is not None else None
    if obj is None:
        abort(404)
    try:
        access.ensure(db(), user(), action, obj)
    except LevelTooLow:
        raise  # said plainly (views/errors.py): it is about the sign-in, not the object
    except AccessDenied as denied:
        abort(404 if hide or denied.hide else 403)
    return obj


# --- rendering: one URL, two renderings ----------------------------------------------


def wants_fragment() -> bool:
    """An htmx request that targets part of the page (not a boosted navigation)."""
    return bool(request.htmx) and request.headers.get("HX-Request-Type") != "full" and not (
        request.headers.get("HX-Boosted") == "true"
    )


def render(template: str, block: str | None = None, **context):
    """Full page normally; only `block` of the same template for a partial htmx request."""
    if block and wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)
