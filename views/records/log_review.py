"""Log review (loggkontroll): filter the access log of my units, draw a sample, walk it,
sign it, add notes later. The rules live in models/records/log_review.py."""

from __future__ import annotations

from flask import redirect, url_for

from models.core.errors import DomainError, ValidationErrors
from models.records import log_review as lr
from views import db, load_or_404, render, request, signed_in, user
from views.records.blueprint import bp


def _errors(error: DomainError) -> dict:
    if isinstance(error, ValidationErrors):
        return dict(error.errors)
    return {error.field or "form": error.message}


def _log_page(form, flt, errors=None, before=None, size=lr.SAMPLE_SIZE):
    """The filter form (as given), the matching rows, the sample form and my reviews."""
    rows = [] if errors else lr.filtered_rows(db(), user(), flt, before)
    return render("records/log_review.html", "log_rows", form=form, errors=errors or {},
                  rows=rows, more=len(rows) == lr.PAGE, choices=lr.filter_choices(db(), user()),
                  reviews=lr.reviews_of(db(), user()), size=size, flt=flt,
                  sample_max=lr.SAMPLE_MAX), 422 if errors else 200


@bp.route("/log")
@signed_in("records.log_review")
def log_review():
    """The access log of my units' clients, filtered; "reads in the last month" at first."""
    args = request.args
    if not args:
        flt = lr.default_filter()
        return _log_page(flt.as_args(), flt)
    try:
        flt = lr.parse_filter(db(), user(), args)
        before = lr.parse_before(args.get("before"))
    except DomainError as error:
        return _log_page(args, None, _errors(error))
    return _log_page(args, flt, before=before)


@bp.route("/log/reviews", methods=["POST"])
@signed_in("records.log_review")
def draw_sample():
    """Draw a random sample of the filtered rows; it becomes a new review to walk."""
    form = request.form
    try:
        flt = lr.parse_filter(db(), user(), form)
        review = lr.draw_sample(db(), user(), flt, lr.parse_size(form.get("size")))
    except DomainError as error:
        db().rollback()
        return _log_page(form, None, _errors(error), size=form.get("size", ""))
    return redirect(url_for("records.log_sample", review_id=review.id), 303)


def _review_page(review, errors=None, form=None, row_id=None):
    view = lr.review_view(db(), review)
    return render("records/log_review_sample.html", view=view, errors=errors or {},
                  form=form or {}, row_id=row_id, verdicts=lr.VERDICTS,
                  actions=lr.ACTION_CHOICES), 422 if errors else 200


@bp.route("/log/reviews/<id:review_id>")
@signed_in("records.log_review")
def log_sample(review_id: int):
    """One review: its sample to walk, then its signature and notes."""
    return _review_page(load_or_404(lr.LogReview, review_id, "records.log_review_open"))


@bp.route("/log/reviews/<id:review_id>/rows/<id:log_id>", methods=["POST"])
@signed_in("records.log_review")
def mark_row(review_id: int, log_id: int):
    """Mark one sampled row justified or questioned, with a comment."""
    review = load_or_404(lr.LogReview, review_id, "records.log_review_open")
    form = request.form
    try:
        lr.mark_row(db(), user(), review, log_id, form.get("verdict"), form.get("comment"))
    except DomainError as error:
        db().rollback()
        return _review_page(review, _errors(error), form, log_id)
    return redirect(url_for("records.log_sample", review_id=review.id, _anchor=f"row-{log_id}"),
                    303)


@bp.route("/log/reviews/<id:review_id>/sign", methods=["POST"])
@signed_in("records.log_review")
def sign_review(review_id: int):
    """Sign the review with its conclusion and follow-up; it cannot change after this."""
    review = load_or_404(lr.LogReview, review_id, "records.log_review_open")
    form = request.form
    try:
        lr.sign_review(db(), user(), review, form.get("conclusion"), form.get("follow_up"))
    except DomainError as error:
        db().rollback()
        return _review_page(review, _errors(error), form)
    return redirect(url_for("records.log_sample", review_id=review.id, _anchor="signature"), 303)


@bp.route("/log/reviews/<id:review_id>/notes", methods=["POST"])
@signed_in("records.log_review")
def add_note(review_id: int):
    """Add a later note to a review (the review itself stays as signed)."""
    review = load_or_404(lr.LogReview, review_id, "records.log_review_open")
    try:
        lr.add_note(db(), user(), review, request.form.get("note"))
    except DomainError as error:
        db().rollback()
        return _review_page(review, _errors(error), request.form)
    return redirect(url_for("records.log_sample", review_id=review.id, _anchor="notes"), 303)
