"""The quality system (seed 003, SOSFS 2011:9): deviations reported by a unit's staff from
a client's thread or from the unit, investigated and closed by its manager; self-checks of
sampled files; the year's figures for the quality report, as a page and as CSV.

Every page that shows a client's name appends an access-log row for that client first.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask import Response, abort, current_app, g, redirect, render_template, url_for
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError

from models.access import Unit, User, units_of
from models.core.clock import local_today
from models.core.errors import AccessDenied, DomainError, ValidationErrors
from models.core.parse import parse_day, parse_id, parse_int
from models.journal.people import open_assignments, open_client
from models.journal.tables import WHEN_CHOICES, Client, log_client_access
from models.records import deviations as dev
from models.records import quality, quality_pdf
from models.records import self_checks as sc
from views import db, load_or_404, render, request, signed_in, user
from views.records.blueprint import bp


def _errors(error: DomainError) -> dict:
    return dict(error.errors) if isinstance(error, ValidationErrors) else {
        error.field or "form": error.message}


def _client(client_id: int, log_action: str, commit: bool = True) -> Client:
    try:
        client = open_client(db(), user(), client_id, "journal.write", log_action,
                             g.get("request_id"), commit=commit)
    except AccessDenied:
        abort(404)
    return client or abort(404)


def _managed() -> list[Unit]:
    return dev.managed_units(db(), user())


def _managed_ids() -> set[int]:
    return {u.id for u in _managed()}


# --- reporting -----------------------------------------------------------------------------


def _report_page(units, client=None, errors=None, form=None, status=200):
    assignments = open_assignments(db(), client) if client else []
    return render("records/deviation_new.html", units=units, client=client,
                  unit_options=[(u.id, u.name) for u in units], assignments=assignments,
                  assignment_options=[(a.id, a.title) for a in assignments],
                  when_choices=WHEN_CHOICES, errors=errors or {},
                  form=form or {}, form_uuid=(form or {}).get("uuid") or str(uuid.uuid4()),
                  ), status


@bp.route("/deviations/new")
@signed_in("records.deviation_any")
def deviation_form():
    """Report a deviation from the unit: what happened, when, what was done at once."""
    return _report_page(units_of(db(), user()))


@bp.route("/deviations/new", methods=["POST"])
@signed_in("records.deviation_any")
def report_deviation():
    """Save a deviation reported from the unit; back to the inbox with a receipt."""
    units = units_of(db(), user())
    unit = next((u for u in units if u.id == parse_id(request.form.get("unit"))), None)
    if unit is None and len(units) == 1:
        unit = units[0]
    try:
        if unit is None:
            raise ValidationErrors({"unit": dev.UNIT_MESSAGE})
        deviation = dev.report(db(), user(), unit, dev.input_from(request.form))
        db().commit()
    except DomainError as error:
        db().rollback()
        return _report_page(units, None, _errors(error), request.form, 400)
    return redirect(url_for("records.deviation_saved", deviation_id=deviation.id))


@bp.route("/clients/<id:client_id>/deviations/new")
@signed_in("inbox.view")
def client_deviation_form(client_id: int):
    """Report a deviation from a client's thread (staff concerned and the unit's managers)."""
    client = _client(client_id, "deviation.form")
    return _report_page([db().get(Unit, client.unit_id)], client)


@bp.route("/clients/<id:client_id>/deviations", methods=["POST"])
@signed_in("inbox.view")
def report_client_deviation(client_id: int):
    """Save it, with a journal entry of category "deviation" in the client's file."""
    client = _client(client_id, "deviation.write", commit=False)
    unit = db().get(Unit, client.unit_id)
    try:
        deviation = dev.report(db(), user(), unit, dev.input_from(request.form), client)
        db().commit()
    except (DomainError, IntegrityError) as error:
        db().rollback()
        client = _client(client_id, "deviation.write")
        errors = _errors(error) if isinstance(error, DomainError) else {"form": dev.UUID_MESSAGE}
        return _report_page([unit], client, errors, request.form, 400)
    return redirect(url_for("records.deviation_saved", deviation_id=deviation.id))


@bp.route("/deviations/<id:deviation_id>/saved")
@signed_in("records.deviation_any")
def deviation_saved(deviation_id: int):
    """The reporter's receipt: saved, and where it went (the reporter's own only)."""
    deviation = db().get(dev.Deviation, deviation_id)
    if deviation is None or deviation.reported_by != user().id:
        abort(404)
    back = (url_for("journal.thread", client_id=deviation.client_id) if deviation.client_id
            else url_for("home.inbox"))
    return render("records/deviation_saved.html", deviation=deviation, back=back)


# --- the manager's lists -------------------------------------------------------------------


def _period(args) -> tuple[date, date, dict]:
    today, errors = local_today(), {}
    start, end = date(today.year, 1, 1), today
    for name in ("start", "end"):
        try:
            day = parse_day(args.get(name), name, required=False)
        except DomainError as error:
            errors[name], day = error.message, None
        if day is not None:
            start, end = (day, end) if name == "start" else (start, day)
    if start > end:
        errors["end"] = dev.PERIOD_MESSAGE
        start, end = date(today.year, 1, 1), today
    return start, end, errors


@bp.route("/deviations")
@signed_in("records.quality")
def deviations():
    """The manager's deviations per period, with counts per status and class."""
    units = _managed()
    chosen = parse_id(request.args.get("unit"))
    ids = [u.id for u in units if chosen in (None, u.id)]
    start, end, errors = _period(request.args)
    rows = dev.deviations_in(db(), ids, start, end, request.args.get("status"))
    for client_id in {r.client_id for r in rows if r.client_id}:
        log_client_access(db(), user(), client_id, "deviation.list", "granted",
                          g.get("request_id"))
    db().commit()
    return render("records/deviations.html", units=units, unit_id=chosen, rows=rows,
                  counts=dev.counts(db(), ids, start, end), start=start, end=end,
                  errors=errors, status=request.args.get("status"), **_names(rows)), (
        400 if errors else 200)


def _names(rows) -> dict:
    people = {u.id: u for u in db().exec(dev.users_named({r.reported_by for r in rows}))}
    clients = {c.id: c for c in db().exec(dev.clients_named({r.client_id for r in rows}))}
    return {"people": people, "clients": clients, "statuses": dev.STATUSES}


def _deviation(deviation_id: int) -> dev.Deviation:
    deviation = db().get(dev.Deviation, deviation_id)
    if deviation is None or deviation.unit_id not in _managed_ids():
        abort(404)
    if deviation.client_id:
        log_client_access(db(), user(), deviation.client_id, "deviation.read", "granted",
                          g.get("request_id"))
    return deviation


def _deviation_page(deviation, errors=None, form=None, status=200):
    unit = db().get(Unit, deviation.unit_id)
    return render("records/deviation.html", d=deviation, unit=unit, errors=errors or {},
                  form=form, kinds=dev.kinds_of(db(), unit, with_retired=True),
                  when=dev.local_time(deviation.occurred_at),
                  **_names([deviation])), status


@bp.route("/deviations/<id:deviation_id>")
@signed_in("records.quality")
def deviation(deviation_id: int):
    """One deviation: the report, and the manager's investigation form (or its result)."""
    deviation = _deviation(deviation_id)
    page = _deviation_page(deviation)
    db().commit()
    return page


@bp.route("/deviations/<id:deviation_id>", methods=["POST"])
@signed_in("records.quality")
def investigate_deviation(deviation_id: int):
    """Save the class, investigation and measures; "close" closes it."""
    deviation = _deviation(deviation_id)
    try:
        dev.investigate(db(), user(), deviation, dev.investigation_from(request.form))
        db().commit()
    except DomainError as error:
        db().commit()  # the access-log row stays
        return _deviation_page(deviation, _errors(error), request.form, 400)
    return redirect(url_for("records.deviation", deviation_id=deviation.id))


@bp.route("/units/<id:unit_id>/deviation-kinds")
@signed_in("records.quality")
def deviation_kinds(unit_id: int):
    """The unit's classes of deviation, one a line."""
    unit = load_or_404(Unit, unit_id, "records.quality_unit", hide=True)
    text = "\n".join(k.label for k in dev.kinds_of(db(), unit))
    db().commit()
    return render("records/deviation_kinds.html", unit=unit, text=text, errors={})


@bp.route("/units/<id:unit_id>/deviation-kinds", methods=["POST"])
@signed_in("records.quality")
def save_deviation_kinds(unit_id: int):
    """Replace the unit's list (classes left out are retired, old deviations keep them)."""
    unit = load_or_404(Unit, unit_id, "records.quality_unit", hide=True)
    try:
        dev.save_kinds(db(), unit, request.form.get("kinds", ""))
        db().commit()
    except DomainError as error:
        db().rollback()
        return render("records/deviation_kinds.html", unit=unit, errors=_errors(error),
                      text=request.form.get("kinds", "")), 400
    return redirect(url_for("records.deviations", unit=unit.id))


# --- self-checks ---------------------------------------------------------------------------


@bp.route("/self-checks")
@signed_in("records.quality")
def self_checks(errors=None, status=200):
    """The unit's self-checks, and drawing a new sample."""
    units = _managed()
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
        return self_checks(_errors(error), 400)
    return redirect(url_for("records.self_check", check_id=check.id))


def _check(check_id: int) -> sc.SelfCheck:
    check = db().get(sc.SelfCheck, check_id)
    if check is None or check.unit_id not in _managed_ids():
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
        return _check_page(_check(check_id), _errors(error), request.form, 400)
    return redirect(url_for("records.self_check", check_id=check.id))


# --- the year's figures --------------------------------------------------------------------


def _year() -> int:
    year = parse_int(request.args.get("year"), quality.FIRST_YEAR, quality.LAST_YEAR)
    return year or local_today().year


@bp.route("/quality")
@signed_in("records.quality")
def quality_report():
    """The year's figures for the quality report (kvalitetsberättelse)."""
    year = _year()
    rows = quality.year_summary(db(), _managed(), year)
    db().commit()
    return render("records/self_check_year.html", year=year, rows=rows,
                  criteria=sc.CRITERIA, results=sc.RESULTS, statuses=dev.STATUSES,
                  pdf=quality_pdf.available())


@bp.route("/quality.csv")
@signed_in("records.quality")
def quality_report_csv():
    """The same figures as CSV (UTF-8 with BOM, for spreadsheets)."""
    year = _year()
    body = "\ufeff" + quality.summary_csv(quality.year_summary(db(), _managed(), year), year)
    db().commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kvalitet-{year}.csv"'})



@bp.route("/quality.pdf")
@signed_in("records.quality")
def quality_report_pdf():
    """The same figures as a PDF/A-2b (only where WeasyPrint is installed)."""
    if not quality_pdf.available():
        abort(404)
    year = _year()
    html = render_template("records/self_check_year_print.html", year=year,
                           rows=quality.year_summary(db(), _managed(), year),
                           criteria=sc.CRITERIA, results=sc.RESULTS, statuses=dev.STATUSES,
                           locale=str(get_locale() or "sv"))
    db().commit()
    body = quality_pdf.pdf(html, current_app.static_folder)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="kvalitet-{year}.pdf"'})
