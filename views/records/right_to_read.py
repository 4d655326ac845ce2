"""The right to read (seed 002) with a secrecy review (OSL 26:1): a manager of the client's
unit marks what to withhold, previews the printable copy and releases it as PDF/A.

Every route opens the client through the access rules with its access-log row before any
of the file is read; ids only in the addresses.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, g, redirect, render_template, url_for
from flask_babel import format_datetime

from models.core.db import utcnow
from models.core.errors import AccessDenied, DomainError, ValidationErrors
from models.journal import people
from models.journal import tables as j
from models.journal.file import whole_file
from models.records import right_to_read as rtr
from views import db, render, request, signed_in, user
from views.records.blueprint import bp

LABELS = {
    "kinds": j.ASSIGNMENT_KINDS, "life_areas": j.LIFE_AREAS, "categories": j.CATEGORIES,
    "topics": j.TOPICS, "closing_reasons": j.CLOSING_REASONS, "consent_forms": j.CONSENT_FORMS,
}


class PrintedClock:
    """Full local dates and times: a printed copy has no "today"."""

    @staticmethod
    def stamp(dt) -> str:
        return format_datetime(dt, "d MMM yyyy HH:mm")


def _open(client_id: int, log_action: str, commit: bool = True) -> j.Client:
    """The client if the user manages its unit; the access-log row is written first."""
    try:
        client = people.open_client(db(), user(), client_id, "records.right_to_read",
                                    log_action, g.get("request_id"), commit=commit)
    except AccessDenied:
        abort(404)
    return client or abort(404)


def _copy_context(client: j.Client, review) -> dict:
    """What the shared file partial needs, with the review's marks applied."""
    file = whole_file(db(), client)
    return dict(client=client, assignments=file.assignments, plans=file.plans,
                consents=file.consents, staff=file.staff, entries=file.entries,
                clock=PrintedClock(), printed=utcnow(), notice=rtr.NOTICE,
                withheld=rtr.redactions(db(), review), **LABELS)


def _errors(error: DomainError) -> dict:
    return dict(error.errors) if isinstance(error, ValidationErrors) else {
        error.field or "form": error.message}


@bp.route("/clients/<id:client_id>/right-to-read")
@signed_in("inbox.view")
def review(client_id: int):
    """The secrecy review: the file with what is marked, the marks, earlier releases."""
    client = _open(client_id, "right_to_read.review")
    return _review_page(client)


def _review_page(client, errors: dict | None = None, form=None, status: int = 200):
    current = rtr.current_review(db(), client)
    marks = [(w, db().get(j.JournalEntry, w.entry_id))
             for w in rtr.withholdings_of(db(), current)]
    return render("records/right_to_read.html", errors=errors or {}, form=form or {},
                  marks=marks, review_row=current, releases=rtr.releases_of(db(), client),
                  seen=rtr.latest_release_id(db(), client),
                  **_copy_context(client, current)), status


@bp.route("/clients/<id:client_id>/right-to-read/withhold", methods=["POST"])
@signed_in("inbox.view")
def withhold(client_id: int):
    """Mark a note, or a passage of it, to withhold from the copy (with the reason)."""
    client = _open(client_id, "right_to_read.withhold", commit=False)
    form = request.form
    try:
        review_row = rtr.open_review(db(), user(), client)
        rtr.withhold(db(), user(), review_row, form.get("entry"), form.get("passage"),
                     form.get("reason"))
    except DomainError as error:
        db().rollback()
        client = _open(client_id, "right_to_read.withhold")  # the attempt stays logged
        return _review_page(client, _errors(error), form, 422)
    db().commit()
    return redirect(url_for("records.review", client_id=client.id, _anchor="marks"))


@bp.route("/clients/<id:client_id>/right-to-read/marks/<id:mark_id>/remove", methods=["POST"])
@signed_in("inbox.view")
def unmark(client_id: int, mark_id: int):
    """Take a mark back before the copy is released."""
    client = _open(client_id, "right_to_read.unmark", commit=False)
    try:
        rtr.unmark(db(), client, mark_id)
    except DomainError as error:
        db().commit()
        return _review_page(client, _errors(error), status=422)
    db().commit()
    return redirect(url_for("records.review", client_id=client.id, _anchor="marks"))


@bp.route("/clients/<id:client_id>/right-to-read/copy")
@signed_in("inbox.view")
def copy(client_id: int):
    """The printable copy as it will be released (the open review's marks applied)."""
    client = _open(client_id, "right_to_read.copy")
    context = _copy_context(client, rtr.current_review(db(), client))
    return render_template("records/right_to_read_copy.html", for_pdf=False, **context)


@bp.route("/clients/<id:client_id>/right-to-read/release", methods=["POST"])
@signed_in("inbox.view")
def release(client_id: int):
    """Release the reviewed copy to someone: PDF/A made, stored with its SHA-256, final."""
    client = _open(client_id, "right_to_read.release", commit=False)
    try:
        form = request.form
        recipient = rtr.check_recipient(form.get("recipient"))
        review_row = rtr.review_to_release(db(), user(), client, form.get("review"),
                                           form.get("seen"))
        html = render_template("records/right_to_read_copy.html", for_pdf=True,
                               recipient=recipient, released_by=user(),
                               **_copy_context(client, review_row))
        row = rtr.release(db(), user(), review_row, recipient, rtr.pdf_of(html, _stylesheet()))
    except DomainError as error:
        db().rollback()
        client = _open(client_id, "right_to_read.release")
        return _review_page(client, _errors(error), request.form, 422)
    db().commit()
    return redirect(url_for("records.released", release_id=row.id))


def _stylesheet() -> Path:
    return Path(current_app.static_folder) / "css" / "records-copy.css"


def _open_release(release_id: int, log_action: str):
    row = rtr.release_of(db(), release_id)
    if row is None:
        abort(404)
    return _open(row.client_id, log_action), row


@bp.route("/releases/<id:release_id>")
@signed_in("inbox.view")
def released(release_id: int):
    """One release: who, when, to whom, what was withheld and the PDF's SHA-256."""
    client, row = _open_release(release_id, "right_to_read.release_read")
    return render("records/right_to_read_release.html", client=client,
                  view=rtr.describe(db(), row), clock=PrintedClock(), **LABELS)


@bp.route("/releases/<id:release_id>/pdf")
@signed_in("inbox.view")
def released_pdf(release_id: int):
    """The PDF/A exactly as released (its SHA-256 is the one stored)."""
    _client, row = _open_release(release_id, "right_to_read.pdf")
    response = Response(row.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="copy-{row.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
