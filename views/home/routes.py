"""The home screen: an inbox of threads for the signed-in user's role."""

from __future__ import annotations

from flask import Blueprint

from models.access import inbox as inbox_model
from views import db, render, signed_in, user

bp = Blueprint("home", __name__)


@bp.route("/")
@signed_in("inbox.view")
def inbox():
    """Every thread this user may open, newest first."""
    threads = inbox_model.inbox(db(), user())
    return render("home/inbox.html", "threads", threads=threads)
