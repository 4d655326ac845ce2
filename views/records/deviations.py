"""Deviations (avvikelser, seed 003, SOSFS 2011:9): reported by a unit's staff from a
client's thread or from the unit, investigated, classified and closed by its manager.

Every page that shows a client's name appends an access-log row for that client first.
"""

from __future__ import annotations

import uuid

from flask import abort, g, redirect, url_for
from sqlalchemy.exc import IntegrityError

from models.access import Unit, units_of
from models.core.clock import local_today
from models.core.errors import AccessDenied, DomainError
from models.journal.people import open_assignments, open_client
from models.journal.tables import WHEN_CHOICES, Client
from models.records import deviations as dev
from views import db, load_or_404, render, request, signed_in, user
from views.records.blueprint import bp
from views.records.quality import field_errors, managed, managed_ids


def _client(client_id: int, log_action: str, commit: bool = True) -> Client:
    try:
        client = open_client(db(), user(), client_id, "journal.write", log_action,
                             g.get("request_id"), commit=commit)
    except AccessDenied:
        abort(404)
    return client or abort(404)


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
    try:
        unit = dev.reporting_unit(units, request.form.get("unit"))
        deviation = dev.report(db(), user(), unit, dev.input_from(request.form))
        db().commit()
    except DomainError as error:
        db().rollback()
        return _report_page(units, None, field_errors(error), request.form, 400)
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
        errors = (field_errors(error) if isinstance(error, DomainError)
                  else {"form": dev.UUID_MESSAGE})
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


@bp.route("/deviations")
@signed_in("records.quality")
def deviations():
    """The manager's deviations per period, with counts per status and class."""
    units = managed()
    chosen, ids = dev.listed_units(units, request.args.get("unit"))
    start, end, errors = dev.parse_period(request.args, local_today())
    rows = dev.deviations_in(db(), ids, start, end, request.args.get("status"))
    dev.log_clients_shown(db(), user(), rows, "deviation.list", g.get("request_id"))
    db().commit()
    return render("records/deviations.html", units=units, unit_id=chosen, rows=rows,
                  counts=dev.counts(db(), ids, start, end), start=start, end=end,
                  errors=errors, status=request.args.get("status"), **_names(rows)), (
        400 if errors else 200)


def _names(rows) -> dict:
    names = dev.names_of(db(), rows)
    return {"people": names.people, "clients": names.clients, "statuses": dev.STATUSES}


def _deviation(deviation_id: int) -> dev.Deviation:
    deviation = db().get(dev.Deviation, deviation_id)
    if deviation is None or deviation.unit_id not in managed_ids():
        abort(404)
    dev.log_clients_shown(db(), user(), [deviation], "deviation.read", g.get("request_id"))
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
        return _deviation_page(deviation, field_errors(error), request.form, 400)
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
        return render("records/deviation_kinds.html", unit=unit, errors=field_errors(error),
                      text=request.form.get("kinds", "")), 400
    return redirect(url_for("records.deviations", unit=unit.id))

