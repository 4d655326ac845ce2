"""The admin log: every admin change, newest first; and the whole log as CSV."""

from __future__ import annotations

from flask import Response

from models.admin import log as admin_log
from views import db, render, request, signed_in
from views.admin.routes import bp


@bp.route("/log", methods=["GET", "POST"])
@signed_in("admin.manage")
def log():
    """The newest 200 changes; a search (POST: no name in an address) narrows them."""
    query = request.form.get("q", "")[:80] if request.method == "POST" else ""
    return render("admin/log.html", rows=admin_log.entries(db(), query), query=query,
                  actions=admin_log.ACTIONS, describe=admin_log.describe)


@bp.route("/log.csv")
@signed_in("admin.manage")
def log_csv():
    """The whole admin log as CSV (UTF-8 with BOM, for spreadsheets)."""
    return Response(admin_log.as_csv(db()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="admin-log.csv"'})
