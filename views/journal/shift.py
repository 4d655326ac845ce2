"""Shift start (seed 004): read what colleagues wrote about your clients, client by client,
and mark each as read. The first sign-in after a break starts a shift and opens the digest.
"""

from __future__ import annotations

from flask import g, redirect, session, url_for
from flask_login import user_logged_in

from models.core.errors import DomainError
from models.journal import shift as shifts
from models.journal.tables import log_client_access
from views import db, render, request, signed_in, user, wants_fragment
from views.journal.base import bubble_context, field_errors, open_client
from views.journal.blueprint import bp


def _on_login(_app, user, **_extra) -> None:
    """A sign-in after a break starts the shift; the inbox then opens the digest."""
    if shifts.shift_is_due(db(), user):
        shifts.start_shift(db(), user)
        db().commit()
        session["shift_due"] = True


@bp.record_once
def _connect(state) -> None:
    user_logged_in.connect(_on_login, state.app)


@bp.before_app_request
def _open_digest_after_login():
    if (session.get("shift_due") and request.endpoint == "home.inbox"
            and request.method == "GET" and not wants_fragment()):
        session.pop("shift_due")
        return redirect(url_for("journal.shift"))
    return None


@bp.route("/shift")
@signed_in("inbox.view")
def shift():
    """Everything colleagues wrote about my clients that I have not marked read."""
    session.pop("shift_due", None)
    items = shifts.shift_digest(db(), user())
    for item in items:  # each client's notes are about to be shown: log the read first
        log_client_access(db(), user(), item.client.id, "journal.read", "granted",
                          g.get("request_id"))
    db().commit()
    return render("journal/shift.html", items=items, shift=shifts.last_shift(db(), user()),
                  **bubble_context())


@bp.route("/shift/start", methods=["POST"])
@signed_in("inbox.view")
def start_shift():
    """Start a shift now (the button), then show the digest."""
    shifts.start_shift(db(), user())
    db().commit()
    session.pop("shift_due", None)
    return redirect(url_for("journal.shift"))


@bp.route("/shift/read/<id:client_id>", methods=["POST"])
@signed_in("inbox.view")
def mark_read(client_id: int):
    """Store the read receipt for one client's notes up to the newest one shown."""
    client = open_client(client_id, "journal.read", "journal.read", commit=False)
    try:
        shifts.mark_read(db(), user(), client, request.form.get("through"))
    except DomainError as error:
        db().commit()
        return render("journal/shift.html", items=[], errors=field_errors(error),
                      shift=None, **bubble_context()), 422
    db().commit()
    if wants_fragment():
        return render("journal/_shift_read.html", client=client)
    return redirect(url_for("journal.shift"))
