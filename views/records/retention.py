"""Retention and destruction for the records officer: the plan, legal holds, the run, the
destruction log; retention periods for admins. Names in a plan are access-logged."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _

from models import access
from models.admin import log as admin_log
from models.core.clock import local_today
from models.core.db import utcnow
from models.core.errors import DomainError
from models.core.parse import parse_id
from models.journal import tables as j
from models.journal.file import ClientFile
from models.records import archive, retention
from views import db, load_or_404, render, request, signed_in, user
from views.records.blueprint import bp

FILE_LABELS = {"kinds": j.ASSIGNMENT_KINDS, "life_areas": j.LIFE_AREAS,
               "categories": j.CATEGORIES, "topics": j.TOPICS,
               "closing_reasons": j.CLOSING_REASONS, "consent_forms": j.CONSENT_FORMS}


class FullClock:
    """Every time in a record with its date: an archive is read years later."""

    def stamp(self, moment) -> str:
        return f"{moment.astimezone(get_timezone()):%Y-%m-%d %H:%M}"


def archive_root() -> Path:
    return Path(current_app.config["RECORDS_ARCHIVE_DIR"])


def render_pdf(file: ClientFile) -> bytes:
    """The whole file as PDF/A-2b: the right-to-read content, without a secrecy review."""
    html = render_template("records/archive_file.html", client=file.client,
                           assignments=file.assignments, plans=file.plans,
                           consents=file.consents, staff=file.staff, entries=file.entries,
                           clock=FullClock(), printed=utcnow(), **FILE_LABELS)
    return archive.pdf_a(html)


def _year() -> int:
    raw = request.values.get("year")
    year = parse_id(raw) if raw else local_today().year
    if year is None or not 1900 <= year <= local_today().year:
        raise DomainError(_("Choose a year that has come."), "year")
    return year


def _plan_page(template: str, status: int = 200, errors: dict | None = None, year=None,
               found=None, query: str = ""):
    year = year or local_today().year
    plans = retention.plan(db(), year)
    retention.log_plan_listing(db(), user(), plans)
    db().commit()
    return render(template, plans=plans, to_run=retention.to_run(plans), year=year,
                  errors=errors or {},
                  runs=retention.recent_runs(db()), units=retention.unit_names(db()),
                  holds=retention.active_holds(db()), found=found, query=query), status


@bp.route("/retention", endpoint="retention")
@signed_in("records.retention")
def retention_plan():
    """What is due this year (or ?year=Y): counts per unit, the files, holds, past runs."""
    try:
        year = _year()
    except DomainError as error:
        return _plan_page("records/retention.html", 422, {"year": error.message})
    return _plan_page("records/retention.html", year=year)


@bp.route("/retention/run")
@signed_in("records.retention")
def confirm_run():
    """The confirmation: what the run will archive and destroy, in counts."""
    try:
        year = _year()
    except DomainError as error:
        return _plan_page("records/retention.html", 422, {"year": error.message})
    return _plan_page("records/retention_confirm.html", year=year)


@bp.route("/retention/run", methods=["POST"])
@signed_in("records.retention")
def run():
    """Archive the born-day files, verify them, then destroy every due file not held."""
    if request.form.get("confirm") != "yes":
        return _plan_page("records/retention_confirm.html", 422,
                          {"confirm": _("Tick the box to confirm the destruction.")})
    try:
        year = _year()
        result = retention.execute(db(), year, archive_root(), render_pdf, user())
    except DomainError as error:
        db().rollback()
        return _plan_page("records/retention_confirm.html", 422,
                          {error.field or "form": error.message})
    db().commit()
    retention.finish(db())
    flash(_("%(files)d files destroyed, %(packages)d archive packages written.",
            files=result.run.files, packages=len(result.packages)))
    return redirect(url_for("records.retention", year=year))


@bp.route("/retention/search", methods=["POST"])
@signed_in("records.retention")
def search_files():
    """Find any file by personnummer or name (POST: never in a URL), to hold it."""
    query = request.form.get("q", "")
    try:
        found = retention.find_files(db(), user(), query)
    except DomainError as error:
        db().rollback()
        return _plan_page("records/retention.html", 422, {"q": error.message}, query=query)
    return _plan_page("records/retention.html", found=found, query=query)


@bp.route("/retention/holds", methods=["POST"])
@signed_in("records.retention")
def set_hold():
    """A legal hold on any file: its destruction stops until the hold is lifted."""
    client = load_or_404(j.Client, parse_id(request.form.get("client")), "records.retention")
    try:
        retention.set_hold(db(), user(), client, request.form.get("reason", ""))
    except DomainError as error:
        db().rollback()
        return _plan_page("records/retention.html", 422, {f"reason-{client.id}": error.message},
                          found=[retention.held_file(db(), user(), client)])
    db().commit()
    flash(_("The file is held: it will not be destroyed."))
    return redirect(url_for("records.retention"))


@bp.route("/retention/holds/<id:hold_id>/lift", methods=["POST"])
@signed_in("records.retention")
def lift_hold(hold_id: int):
    """Lift a legal hold: the file is destroyed at the next run if it is due."""
    hold = load_or_404(retention.LegalHold, hold_id, "records.retention")
    try:
        retention.lift_hold(db(), user(), hold)
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("records.retention"))
    db().commit()
    flash(_("The hold is lifted."))
    return redirect(url_for("records.retention"))


@bp.route("/periods")
@signed_in("records.periods")
def periods():
    """How long each kind of file is kept, and the rule each period cites."""
    return render("records/periods.html", rows=retention.period_rows(db()), errors={},
                  form={}, editable=_may_edit(), kinds=j.ASSIGNMENT_KINDS,
                  source_text=retention.source_text)


@bp.route("/periods", methods=["POST"])
@signed_in("records.periods.edit")
def save_period():
    """An admin changes a kind's period; the source must be cited."""
    form = request.form
    try:
        old = {p.kind: {"years": p.years, "source": p.source}
               for p in retention.period_rows(db())}.get(form.get("kind", ""))
        row = retention.set_period(db(), user(), form.get("kind", ""), form.get("years", ""),
                                   form.get("source", ""))
        admin_log.write(db(), user(), "setting.retention", row.kind, old,
                        {"years": row.years, "source": row.source})
    except DomainError as error:
        db().rollback()
        return render("records/periods.html", rows=retention.period_rows(db()),
                      errors={error.field or "form": error.message}, form=form,
                      editable=True, kinds=j.ASSIGNMENT_KINDS,
                      source_text=retention.source_text), 422
    db().commit()
    flash(_("The retention period is saved."))
    return redirect(url_for("records.periods"))


def _may_edit() -> bool:
    return access.authorize(db(), user(), "records.periods.edit")
