"""Historic tallies from a spreadsheet, in the browser (issue 18 §2; the rules are in
models/tally/historic.py, the command is `flask tallies import`).

Two steps, as the command's dry run and --confirm: the file is checked and kept in the
database under its SHA-256 (tallies are anonymous: the file holds no personal data), the
report shows what is wrong per row, and "Import" stores from the kept file, whichever app
server answers. Nothing about the file goes into a URL.
"""

from __future__ import annotations

import re
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from models import tally as tally_model
from models.catalogue import Activity
from models.core.errors import DomainError
from models.core.parse import parse_id
from models.tally import historic
from models.tally.historic import MAX_BYTES
from views import db, render, request, signed_in, user
from views.tally.routes import bp

_SHA = re.compile(r"[0-9a-f]{64}")


def earliest_day() -> date:
    """How far back statistics reach, from the configuration (the rule is in models)."""
    return historic.earliest_day(current_app.config["STATISTICS_KEEP_YEARS"])


def _targets() -> list[tuple[str, str]]:
    """(value "activity:unit", label) for every loggable activity and responsible unit."""
    return [(f"{activity.id}:{unit.id}", f"{activity.name} · {unit.name}")
            for activity, units in tally_model.import_targets(db()) for unit in units]


def _target(raw: str) -> tuple[Activity | None, int | None]:
    left, _sep, right = str(raw or "").partition(":")
    activity_id, unit_id = parse_id(left), parse_id(right)
    activity = db().get(Activity, activity_id) if activity_id else None
    return activity, unit_id


def _page(status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("chosen", "")
    return render("tally/import.html", None, targets=_targets(),
                  imports=tally_model.imports_of(db()), earliest=earliest_day(),
                  max_mb=MAX_BYTES // 2**20, **context), status


@bp.route("/tally/import", methods=["GET", "POST"])
@signed_in("tally.import")
def imports():
    """GET: the form and the latest imports. POST: check a file (the dry run)."""
    if request.method == "GET":
        return _page()
    request.max_content_length = MAX_BYTES + 64 * 1024
    chosen = request.form.get("target", "")
    activity, unit_id = _target(chosen)
    errors = {}
    if activity is None or unit_id is None:
        errors["target"] = _("Choose the activity and unit the tallies belong to.")
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    name = (upload.filename or "") if upload else ""
    if not data:
        errors["file"] = _("Choose a CSV or XLSX file.")
    if errors:
        return _page(422, errors=errors, chosen=chosen)
    try:
        report = tally_model.check_file(db(), activity, unit_id, data, name, earliest_day())
    except DomainError as error:
        return _page(422, errors={error.field or "file": str(error)}, chosen=chosen)
    if report.already is None and not report.file_problems:
        tally_model.keep_pending(db(), user(), data, name)
        db().commit()
    return _page(report=report, chosen=chosen,
                 skip_invalid=request.form.get("skip_invalid") == "1")


@bp.route("/tally/import/confirm", methods=["POST"])
@signed_in("tally.import")
def import_confirm():
    """Store the checked file's tallies (all rows valid, or the valid ones if chosen)."""
    chosen = request.form.get("target", "")
    activity, unit_id = _target(chosen)
    sha = request.form.get("sha256", "")
    kept = tally_model.pending(db(), sha) if _SHA.fullmatch(sha) else None
    if activity is None or unit_id is None or kept is None:
        return _page(422, errors={"file": _("Check the file again before importing it.")},
                     chosen=chosen)
    try:
        report = tally_model.import_file(
            db(), user(), activity, unit_id, kept.data, kept.file_name, earliest_day(),
            skip_invalid=request.form.get("skip_invalid") == "1")
    except DomainError as error:
        db().rollback()
        return _page(422, errors={error.field or "file": str(error)}, chosen=chosen)
    if report.stored is None:
        return _page(422, report=report, chosen=chosen)
    db().commit()
    return _page(report=report, chosen=chosen)
