"""The person's own account: who they are, their units, language and password."""

from __future__ import annotations

from flask import redirect, session
from flask_babel import gettext as _  # noqa: F401

from models import access
from models.access import sessions
from models.core.errors import DomainError, ValidationErrors
from views import db, public, render, request, signed_in, user
from views.auth.routes import LANGUAGES, bp, safe_next, start_session


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


def _account_page(errors: dict | None = None, status: int = 200, changed: bool = False):
    return render(
        "auth/account.html",
        units=access.units_of(db(), user()),
        languages=LANGUAGES,
        role_label=access.ROLE_LABELS.get(user().role, user().role),
        errors=errors or {}, changed=changed,
    ), status


@bp.route("/account")
@signed_in("account.update")
def account():
    """Who am I, my units, my language, my password."""
    return _account_page()


@bp.route("/account/password", methods=["POST"])
@signed_in("account.update")
def change_password():
    """Change one's own password: every session ends; this device signs in anew."""
    me = user()
    form = request.form
    try:
        sessions.change_own_password(db(), me, form.get("current", ""), form.get("new", ""),
                                     form.get("confirm", ""))
    except DomainError as error:
        db().rollback()
        errors = dict(error.errors) if isinstance(error, ValidationErrors) else {
            "new": str(error)}
        return _account_page(errors, 422)
    db().commit()
    start_session(me)
    return _account_page(changed=True)
