"""A client's journal as a chat thread: read it, write a note, correct a note, record the
person's disagreement, see read receipts (managers), and export the file.

Every route opens the client through `open_client`, which checks the access rules and
appends the access-log row before any client data is loaded or shown.
"""

from __future__ import annotations

import uuid

from flask import abort, g, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError

from models import access
from models.access.inbox import mark_read
from models.core.clock import local_day
from models.core.db import utcnow
from models.core.errors import DomainError
from models.journal import entries, shift
from models.journal.file import whole_file
from models.journal.shift import attach_readers, read_status
from models.journal.tables import log_client_access
from views import db, render, request, signed_in, user, wants_fragment
from views.journal.base import (
    LABELS,
    Clock,
    as_int,
    composer_context,
    entry_context,
    field_errors,
    open_client,
)
from views.journal.blueprint import bp


@bp.route("/journal/<id:client_id>")
@signed_in("inbox.view")
def thread(client_id: int):
    """The client's thread: plan summary on top, notes as bubbles, the composer below."""
    client = open_client(client_id, "journal.read", "thread.read")
    views = entries.thread(db(), client)
    if access.authorize(db(), user(), "journal.manage", client):
        attach_readers(db(), client, views)
    mark_read(db(), user(), shift.thread_key(client.id))
    db().commit()
    context = composer_context(client) | entry_context(client, views)
    context["last_day"] = local_day(views[-1].entry.written_at) if views else ""
    return render("journal/thread.html", "bubbles", **context)


@bp.route("/journal/<id:client_id>/entries", methods=["POST"])
@signed_in("inbox.view")
def add_entry(client_id: int):
    """Save a note; htmx gets the new bubble and a reset composer (no page reload)."""
    client = open_client(client_id, "journal.write", "entry.write", commit=False)
    form = request.form
    try:
        entry, _created = entries.add_entry(
            db(), user(), client, form.get("assignment"), form.get("category", ""),
            form.get("text", ""), topic=form.get("topic"), goal_id=as_int(form.get("goal")),
            client_uuid=form.get("client_uuid"), when=form.get("when"),
            when_other=form.get("occurred_at"))
        view = entries.view_of(db(), entry, user())  # read in the same transaction
        db().commit()
    except DomainError as error:
        db().commit()  # the access-log row stays: the attempt was made
        return _composer_again(client, field_errors(error), form)
    except IntegrityError:  # the same offline note arrived twice at once
        db().rollback()
        client = open_client(client_id, "journal.write", "entry.write")
        entry = entries.entry_by_uuid(db(), entries.normalise_uuid(form.get("client_uuid")))
        view = entries.view_of(db(), entry, user())
    if not (request.headers.get("X-Nara-Draft") == "1" or wants_fragment()):
        return redirect(url_for("journal.thread", client_id=client.id,
                                _anchor=f"entry-{entry.id}"))
    context = entry_context(client, [])
    if request.headers.get("X-Nara-Draft") == "1":
        return render_template("journal/_entry.html", view=view, **context)
    # The composer says which day the thread ends on (a UI hint), so a new day gets its
    # divider without another query.
    new_day = form.get("last_day") != local_day(entry.written_at)
    context["client_uuid"] = str(uuid.uuid4())
    context["last_day"] = local_day(entry.written_at)
    if form.get("had_errors"):  # a fresh composer: "when" is now; kind and topic only if pinned
        context = composer_context(client, saved=True, form=_pinned(form)) | context
    return render_template("journal/_saved.html", view=view, new_day=new_day,
                           full_composer=bool(form.get("had_errors")), **context)


def _pinned(form) -> dict:
    """What the next note keeps from this one: kind and topic when the user pinned them."""
    if not form.get("pin"):
        return {}
    return {key: form.get(key) for key in ("pin", "category", "topic") if form.get(key)}


def _composer_again(client, errors: dict, form):
    """The composer with the messages at their fields and what was typed kept (422)."""
    context = composer_context(client, errors, form)
    context["last_day"] = form.get("last_day", "")
    if wants_fragment():
        return render_template("journal/_composer.html", **context), 422, {
            "HX-Retarget": "#composer", "HX-Reswap": "outerHTML"}
    views = entries.thread(db(), client)
    return render_template("journal/thread.html",
                           **(context | entry_context(client, views))), 422


@bp.route("/journal/<id:client_id>/entries/<id:entry_id>")
@signed_in("inbox.view")
def entry(client_id: int, entry_id: int):
    """One note with its corrections, and the forms to correct it or note disagreement."""
    client = open_client(client_id, "journal.read", "entry.read")
    return _entry_page(client, entry_id)


def _entry_page(client, entry_id: int, errors: dict | None = None, form=None):
    found = entries.entry_of(db(), client, entry_id)
    if found is None:
        abort(404)
    views = entries.thread(db(), client)
    view = next(v for v in views if v.entry.id == found.id)
    related = [v for v in views if v.entry.refers_to_id == found.id]
    may_correct = access.authorize(db(), user(), "journal.correct", found)
    return render("journal/entry.html", view=view, related=related, may_correct=may_correct,
                  errors=errors or {}, form=form or {}, **entry_context(client, []))


@bp.route("/journal/<id:client_id>/entries/<id:entry_id>/correct", methods=["POST"])
@signed_in("inbox.view")
def correct(client_id: int, entry_id: int):
    """Write a correction: a new note that points at the corrected one."""
    return _refer(client_id, entry_id, "correction")


@bp.route("/journal/<id:client_id>/entries/<id:entry_id>/disagree", methods=["POST"])
@signed_in("inbox.view")
def disagree(client_id: int, entry_id: int):
    """Note that the person thinks this note is wrong (seed 003)."""
    return _refer(client_id, entry_id, "disagreement")


def _refer(client_id: int, entry_id: int, kind: str):
    client = open_client(client_id, "journal.write", "entry.write", commit=False)
    original = entries.entry_of(db(), client, entry_id)
    if original is None:
        db().commit()
        abort(404)
    if kind == "correction" and not access.authorize(db(), user(), "journal.correct", original):
        db().rollback()
        log_client_access(db(), user(), client.id, "entry.write", "denied", g.get("request_id"))
        db().commit()
        abort(403)
    try:
        if kind == "correction":
            new = entries.correct_entry(db(), user(), original, request.form.get("text", ""))
        else:
            new = entries.record_disagreement(db(), user(), original, request.form.get("text", ""))
    except DomainError as error:
        db().commit()
        errors = {f"{kind}-{k}": v for k, v in field_errors(error).items()}
        return _entry_page(client, entry_id, errors, request.form), 422
    db().commit()
    return redirect(url_for("journal.thread", client_id=client.id, _anchor=f"entry-{new.id}"))


@bp.route("/journal/<id:client_id>/receipts")
@signed_in("inbox.view")
def receipts(client_id: int):
    """For the unit's managers: who of the staff concerned has read what."""
    client = open_client(client_id, "journal.manage", "receipts.read")
    return render("journal/receipts.html", client=client, rows=read_status(db(), client),
                  clock=Clock())


@bp.route("/journal/<id:client_id>/export")
@signed_in("inbox.view")
def export(client_id: int):
    """The whole file in reading order: for the person's right to read (seed 002)."""
    client = open_client(client_id, "journal.read", "export")
    file = whole_file(db(), client)
    return render("journal/export.html", client=client, assignments=file.assignments,
                  plans=file.plans, consents=file.consents, staff=file.staff,
                  entries=file.entries, clock=Clock(), printed=utcnow(), **LABELS)
