"""The client's details, consent, staff concerned, a new client's file, and the unit's
quick phrases (managers)."""

from __future__ import annotations

from flask import abort, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from models import access
from models.core.errors import DomainError
from models.core.parse import parse_day
from models.journal import people
from models.journal.shift import add_phrase, delete_phrase, phrases_for
from models.journal.tables import Consent, QuickPhrase, StaffAssignment, log_client_access
from views import db, load_or_404, render, request, signed_in, user
from views.journal.base import LABELS, Clock, as_int, field_errors, open_client
from views.journal.blueprint import bp


@bp.route("/journal/<id:client_id>/about")
@signed_in("inbox.view")
def about(client_id: int):
    """Who the client is, the assignments, consent and the staff concerned."""
    client = open_client(client_id, "journal.read", "client.read")
    return _about(client)


def _about(client, errors=None, status=200):
    session = db()
    manages = access.authorize(session, user(), "journal.manage", client)
    return render("journal/about.html", client=client,
                  assignments=people.assignments_of(session, client),
                  consent=people.current_consent(session, client),
                  staff=_staff_rows(client), manages=manages,
                  staff_history=people.staff_history(session, client),
                  candidates=people.staff_candidates(session, client) if manages else [],
                  errors=errors or {}, clock=Clock(), **LABELS), status


def _staff_rows(client):
    rows = people.current_staff(db(), client)
    return [(row, db().get(access.User, row.user_id)) for row in rows]


@bp.route("/journal/<id:client_id>/consent", methods=["GET", "POST"])
@signed_in("inbox.view")
def consent(client_id: int):
    """Every consent version, and the form to record a consent or a change."""
    posting = request.method == "POST"
    client = open_client(client_id, "journal.write" if posting else "journal.read",
                         "consent.write" if posting else "consent.read", commit=not posting)
    errors, form = {}, request.form
    if posting:
        data = people.ConsentInput(**{k: form.get(k, "") for k in (
            "given_on", "given_how", "valid_until", "authorities", "relatives", "experts",
            "purpose", "note")},
            covers_documentation={"1": True, "0": False}.get(form.get("covers_documentation")))
        try:
            assignment = people.client_assignment(db(), client, form.get("assignment"))
            people.record_consent(db(), user(), client, assignment, data)
            db().commit()
            return redirect(url_for("journal.thread", client_id=client.id))
        except DomainError as error:
            db().commit()
            errors = field_errors(error)
    return render("journal/consent.html", client=client,
                  consents=people.consents_of(db(), client),
                  assignments=people.open_assignments(db(), client), form=form, errors=errors,
                  today=people.local_today(), clock=Clock(), **LABELS), 422 if errors else 200


@bp.route("/journal/<id:client_id>/consent/<id:consent_id>/revoke", methods=["POST"])
@signed_in("inbox.view")
def revoke(client_id: int, consent_id: int):
    """Revoke a consent: noted in the journal, exchange stops now."""
    client = open_client(client_id, "journal.write", "consent.write", commit=False)
    found = people.part_of(db(), client, Consent, consent_id)
    if found is None:
        db().commit()
        abort(404)
    try:
        assignment = people.client_assignment(db(), client, request.form.get("assignment"))
        people.revoke_consent(db(), user(), found, assignment, request.form.get("note", ""))
    except DomainError as error:
        db().commit()
        return render("journal/consent.html", client=client,
                      consents=people.consents_of(db(), client),
                      assignments=people.open_assignments(db(), client), form={}, errors={},
                      revoking=found.id, revoke_form=request.form,
                      revoke_errors=field_errors(error), today=people.local_today(),
                      clock=Clock(), **LABELS), 422
    db().commit()
    return redirect(url_for("journal.consent", client_id=client.id))


@bp.route("/journal/<id:client_id>/staff", methods=["POST"])
@signed_in("inbox.view")
def add_staff(client_id: int):
    """Managers: make a member of the unit staff concerned for the client."""
    client = open_client(client_id, "journal.manage", "staff.write", commit=False)
    staff = db().get(access.User, as_int(request.form.get("user_id")) or 0)
    try:
        if staff is None:
            raise DomainError(_l("Choose a person."), "user_id")
        from_on = parse_day(request.form.get("from_on"), "from_on", required=False)
        people.assign_staff(db(), client, staff, from_on)
    except DomainError as error:
        db().commit()
        return _about(client, field_errors(error), 422)
    db().commit()
    return redirect(url_for("journal.about", client_id=client.id))


@bp.route("/journal/<id:client_id>/staff/<id:row_id>/end", methods=["POST"])
@signed_in("inbox.view")
def end_staff(client_id: int, row_id: int):
    """Managers: end a staff assignment today."""
    client = open_client(client_id, "journal.manage", "staff.write", commit=False)
    row = people.part_of(db(), client, StaffAssignment, row_id)
    if row is None:
        db().commit()
        abort(404)
    people.end_staff_assignment(db(), row, by=user(), reason="ended")
    db().commit()
    return redirect(url_for("journal.about", client_id=client.id))


@bp.route("/clients/new", methods=["GET", "POST"])
@signed_in("journal.create_client")
def new_client():
    """Managers: open a file for a new client, with the first assignment and staff."""
    units = access.units_of(db(), user())
    errors, form = {}, request.form
    if request.method == "POST":
        unit = load_or_404(access.Unit, as_int(form.get("unit_id")), "unit.manage")
        try:
            client = _create(unit, form)
            log_client_access(db(), user(), client.id, "client.write", "granted",
                              g.get("request_id"))
            db().commit()
            return redirect(url_for("journal.about", client_id=client.id))
        except DomainError as error:
            db().rollback()
            errors = field_errors(error)
    return render("journal/new_client.html", unit_options=[(u.id, u.name) for u in units],
                  form=form, errors=errors,
                  today=people.local_today(), **LABELS), 422 if errors else 200


def _create(unit, form):
    return people.open_file(
        db(), unit, form.get("name", ""), form.get("personal_number", ""),
        form.get("reserve_number") == "1", form.get("phone", ""), form.get("address", ""),
        form.get("kind", ""), form.get("title", ""), form.get("started_on", ""),
        form.get("decided_on", ""))


@bp.route("/units/<id:unit_id>/phrases", methods=["GET", "POST"])
@signed_in("inbox.view")
def phrases(unit_id: int):
    """Managers: the unit's quick phrases for the composer."""
    unit = load_or_404(access.Unit, unit_id, "unit.manage", hide=True)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            add_phrase(db(), unit, form.get("text", ""), form.get("category", ""),
                       form.get("topic", ""))
            db().commit()
            return redirect(url_for("journal.phrases", unit_id=unit.id))
        except DomainError as error:
            db().rollback()
            errors = field_errors(error)
    return render("journal/phrases.html", unit=unit, phrases=phrases_for(db(), unit.id),
                  form=form, errors=errors, **LABELS), 422 if errors else 200


@bp.route("/units/<id:unit_id>/phrases/<id:phrase_id>/delete", methods=["POST"])
@signed_in("inbox.view")
def remove_phrase(unit_id: int, phrase_id: int):
    """Managers: remove a quick phrase."""
    unit = load_or_404(access.Unit, unit_id, "unit.manage", hide=True)
    phrase = db().get(QuickPhrase, phrase_id)
    if phrase is None or phrase.unit_id != unit.id:
        abort(404)
    delete_phrase(db(), phrase)
    db().commit()
    return redirect(url_for("journal.phrases", unit_id=unit.id))
