"""Self-checks of the documentation (egenkontroll, seed 003): draw a sample of a unit's
files, walk the checklist, sign. Viewing one logs access to each sampled file.
"""

from __future__ import annotations

from flask import abort, g, redirect, url_for

from models.access import Unit, User
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_id
from models.journal.tables import log_client_access
from models.records import deviations as dev
from models.records import self_checks as sc
from views import db, load_or_404, render, request, signed_in, user
from views.records.blueprint import bp
from views.records.quality import field_errors, managed, managed_ids

# --- self-checks ---------------------------------------------------------------------------


@bp.route("/self-checks")
@signed_in("records.quality")
def self_checks(errors=None, status=200):
    """The unit's self-checks, and drawing a new sample."""
    units = managed()
    checks = sc.checks_of(db(), [u.id for u in units])
    return render("records/self_checks.html", units=units, checks=checks,
                  unit_options=[(u.id, u.name) for u in units],
                  unit_names={u.id: u.name for u in units}, errors=errors or {},
                  form=request.form, sample_default=sc.SAMPLE_DEFAULT,
                  sample_max=sc.SAMPLE_MAX), status


@bp.route("/self-checks", methods=["POST"])
@signed_in("records.quality")
def draw_self_check():
    """Draw a random sample of the unit's files (the seed is kept) and check them."""
    unit_id = parse_id(request.form.get("unit"))
    unit = load_or_404(Unit, unit_id, "records.quality_unit", hide=True) if unit_id else None
    try:
        if unit is None:
            raise ValidationErrors({"unit": dev.UNIT_MESSAGE})
        check = sc.draw(db(), user(), unit, request.form.get("size"))
        db().commit()
    except DomainError as error:
        db().rollback()
        return self_checks(field_errors(error), 400)
    return redirect(url_for("records.self_check", check_id=check.id))


def _check(check_id: int) -> sc.SelfCheck:
    check = db().get(sc.SelfCheck, check_id)
    if check is None or check.unit_id not in managed_ids():
        abort(404)
    return check


def _check_page(check, errors=None, form=None, status=200):
    files = sc.files_of(db(), check)
    for f in files:
        if f.client is not None:
            log_client_access(db(), user(), f.client.id, "self_check.read", "granted",
                              g.get("request_id"))
    page = render("records/self_check.html", check=check, files=files, errors=errors or {},
                  form=form, criteria=sc.CRITERIA, results=sc.RESULTS,
                  unit=db().get(Unit, check.unit_id),
                  signer=db().get(User, check.signed_by) if check.signed_by else None)
    db().commit()
    return page, status


@bp.route("/self-checks/<id:check_id>")
@signed_in("records.quality")
def self_check(check_id: int):
    """Walk the checklist: what the files say, the manager's answer and comment."""
    return _check_page(_check(check_id))


@bp.route("/self-checks/<id:check_id>", methods=["POST"])
@signed_in("records.quality")
def save_self_check(check_id: int):
    """Save the answers; "sign" locks the self-check."""
    check = _check(check_id)
    try:
        sc.save(db(), user(), check, request.form, sign=request.form.get("sign") == "1")
        db().commit()
    except DomainError as error:
        db().rollback()
        return _check_page(_check(check_id), field_errors(error), request.form, 400)
    return redirect(url_for("records.self_check", check_id=check.id))

