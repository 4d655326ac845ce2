"""Working notes: a counsellor's own contacts, talks with notes, and shredding.

Every contact route answers 404 to anyone but the owner (models/access.py, "notes.*").
The owner's reads and writes are logged without any text (subject "contact").
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import ngettext

from models import access
from models import notes as notes_model
from models import tally as tally_model
from models.catalogue import Activity, current_field_set, responsible_units_of, spec_of
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_id
from views import db, ensure, load_or_404, render, request, signed_in, user, wants_fragment
from views.translations import locale_name

bp = Blueprint("notes", __name__, url_prefix="/notes")


def _contact(contact_id: int) -> notes_model.WorkingContact:
    return load_or_404(notes_model.WorkingContact, contact_id, "notes.contact")


def _choices() -> list[tuple[str, str]]:
    """(value, label) for every activity × unit where the user may start a contact."""
    units = {u.id: u for u in access.units_of(db(), user())}
    return [
        (f"{a.id}:{unit_id}", f"{a.name} · {units[unit_id].name}")
        for a in notes_model.notes_activities(db(), user())
        for unit_id in responsible_units_of(db(), user(), a) if unit_id in units
    ]


def _index(status: int = 200, errors: dict | None = None, form: dict | None = None):
    choices = _choices()
    return render(
        "notes/index.html", "new_contact", contacts=notes_model.contacts_of(db(), user()),
        choices=choices, errors=errors or {},
        form=form or {"activity": choices[0][0] if len(choices) == 1 else ""},
    ), status


@bp.route("/")
@signed_in("notes.use")
def index():
    """My open contacts (those idle soon to be shredded first) and a form to start one."""
    return _index()


@bp.route("/", methods=["POST"])
@signed_in("notes.use")
def create():
    """Start a contact under a pseudonym; identity-like text is refused and kept."""
    form = request.form
    activity_id, _sep, unit_id = form.get("activity", "").partition(":")
    activity_id = parse_id(activity_id)
    activity = db().get(Activity, activity_id) if activity_id else None
    if activity is not None:
        ensure("notes.open", activity)
    try:
        contact = notes_model.open_contact(
            db(), user(), activity, form.get("pseudonym", ""), parse_id(unit_id))
        db().commit()
    except ValidationErrors as invalid:
        db().rollback()
        return _index(422, invalid.errors, form.to_dict())
    return redirect(url_for("notes.contact", contact_id=contact.id), 303)


def _thread_context(contact, errors=None, values=None, note="", client_uuid=None) -> dict:
    """The thread's composer: values from the refused submission, else from the last talk."""
    errors = errors or {}
    state = notes_model.contact_state(db(), contact)
    spec = spec_of(db(), current_field_set(db(), state.activity, contact.unit_id).id)
    shown = notes_model.last_values(db(), contact) if values is None else values
    # the statistics fields fold away when they are complete (the same person as last time)
    folded = bool(shown) and not set(errors) - {"note", "talk", "client_uuid"}
    return {
        "state": state, "contact": contact, "spec": spec, "errors": errors, "values": shown,
        "note": note, "folded": folded,
        "summary": notes_model.tally_lines(spec, shown, locale_name()) if folded else [],
        "client_uuid": client_uuid or notes_model.new_client_uuid(),
        "talks_field": notes_model.TALKS_FIELD,
    }


@bp.route("/<id:contact_id>")
@signed_in("notes.use")
def contact(contact_id: int):
    """The contact's thread: previous notes, the talk count, the composer."""
    found = _contact(contact_id)
    access.log_access(db(), user(), "contact", found.id, "notes.read",
                      request_id=g.get("request_id"))
    db().commit()
    talks = notes_model.talks_of(db(), found)
    return render("notes/contact.html", "bubbles", talks=talks, **_thread_context(found))


@bp.route("/<id:contact_id>/talks", methods=["POST"])
@signed_in("notes.use")
def log_talk(contact_id: int):
    """Log one talk: its tally (counted in the statistics) and an optional note."""
    found = _contact(contact_id)
    spec = spec_of(db(), current_field_set(db(), db().get(Activity, found.activity_id),
                                           found.unit_id).id)
    values = tally_model.parse_form(spec, request.form.getlist)
    note, client_uuid = request.form.get("note", ""), request.form.get("client_uuid", "")
    try:
        link, _created = notes_model.log_talk(db(), user(), found, values, note, client_uuid)
        db().commit()
    except (ValidationErrors, DomainError) as refused:
        db().rollback()
        errors = refused.errors if isinstance(refused, ValidationErrors) else {
            refused.field or "talk": refused}
        context = _thread_context(found, errors, values, note, client_uuid)
        return render_template("notes/_composer.html", **context), 422
    if not wants_fragment():
        return redirect(url_for("notes.contact", contact_id=found.id), 303)
    talks = notes_model.talks_of(db(), found)
    talk = next(t for t in talks if t.link.id == link.id)
    return render_template("notes/_talk_saved.html", talk=talk, **_thread_context(found))


@bp.route("/<id:contact_id>/end")
@signed_in("notes.use")
def confirm_end(contact_id: int):
    """Ask before shredding: what goes (notes, pseudonym) and what stays (tallies)."""
    found = _contact(contact_id)
    notes_count = sum(1 for t in notes_model.talks_of(db(), found) if t.note)
    return render("notes/end.html", state=notes_model.contact_state(db(), found),
                  notes_count=notes_count)


@bp.route("/<id:contact_id>/end", methods=["POST"])
@signed_in("notes.use")
def end(contact_id: int):
    """End the contact: notes and pseudonym are deleted for good; the tallies stay."""
    found = _contact(contact_id)
    shredded = notes_model.end_contact(db(), user(), found)
    db().commit()
    notes_model.wipe_freed_pages(db())
    flash(ngettext("Contact ended. %(num)d note was shredded; the talks stay in the statistics.",
                   "Contact ended. %(num)d notes were shredded; the talks stay in the statistics.",
                   shredded.notes), "shredded")
    return redirect(url_for("notes.index"), 303)


def _settings_page(status: int = 200, errors: dict | None = None, form_unit: int | None = None):
    rows = notes_model.settings_of(db(), user())
    names = {u.id: u.name for u, _s in rows}
    return render("notes/settings.html", rows=rows, errors=errors or {}, form_unit=form_unit,
                  form=request.form, unit_names=names,
                  log=notes_model.recent_shreds(db(), list(names))), status


@bp.route("/settings")
@signed_in("notes.settings")
def settings():
    """Per unit: days without a talk before a contact is proposed for and then shredded."""
    return _settings_page()


@bp.route("/settings/<id:unit_id>", methods=["POST"])
@signed_in("inbox.view")  # the unit decides; a refusal must not tell which units exist
def save_settings(unit_id: int):
    """Save one unit's idle limit and grace period."""
    unit = load_or_404(access.Unit, unit_id, "notes.settings", hide=True)
    try:
        notes_model.set_unit_setting(db(), unit.id, request.form.get("idle_days"),
                                     request.form.get("grace_days"))
        db().commit()
    except ValidationErrors as invalid:
        db().rollback()
        return _settings_page(422, invalid.errors, unit.id)
    return redirect(url_for("notes.settings"), 303)
