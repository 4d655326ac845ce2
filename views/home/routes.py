"""The home screen: an inbox of threads for the signed-in user's role."""

from __future__ import annotations

from flask import Blueprint

from models.access import inbox as inbox_model
from models.access.policy import authorize
from views import db, render, signed_in, user

bp = Blueprint("home", __name__)


@bp.route("/")
@signed_in("inbox.view")
def inbox():
    """Every thread this user may open, in sections, newest first within each."""
    sections = inbox_model.sections(db(), user())
    return render("home/inbox.html", "threads", sections=sections,
                  can_add_client=authorize(db(), user(), "journal.create_client"))
