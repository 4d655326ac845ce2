"""Inställningar: the settings that are data, each with a short explanation and its seed.

Retention periods stay on the records room's page (one code path); a unit's idle limit and
quick phrases are changed here through the notes and journal rooms' own rules, logged."""

from __future__ import annotations

from flask import abort, current_app, redirect, url_for

from models import access
from models.admin import settings as settings_model
from models.core.errors import DomainError, ValidationErrors
from models.journal import tables as journal_tables
from models.journal.shift import phrases_for
from models.journal.tables import QuickPhrase
from models.notes import DEFAULT_GRACE_DAYS, DEFAULT_IDLE_DAYS
from models.records import retention
from views import db, render, request, signed_in, user
from views.admin.routes import bp


@bp.route("/settings")
@signed_in("admin.manage")
def settings():
    """Every setting in one place: session times, retention periods, each unit's."""
    config = current_app.config
    return render("admin/settings.html", rows=settings_model.unit_rows(db(), user()),
                  idle_minutes=config["SESSION_IDLE_MINUTES"],
                  max_hours=config["SESSION_MAX_HOURS"],
                  default_idle=DEFAULT_IDLE_DAYS, default_grace=DEFAULT_GRACE_DAYS,
                  periods=retention.period_rows(db()), kinds=journal_tables.ASSIGNMENT_KINDS,
                  source_text=retention.source_text)


def _unit(unit_id: int) -> access.Unit:
    return db().get(access.Unit, unit_id) or abort(404)


def _unit_page(unit: access.Unit, status: int = 200, errors: dict | None = None,
               form: dict | None = None, saved: str | None = None):
    row = next(r for r in settings_model.unit_rows(db(), user()) if r.unit.id == unit.id)
    return render(
        "admin/unit_settings.html", unit=unit, row=row, errors=errors or {}, form=form or {},
        phrases=phrases_for(db(), unit.id), saved=saved,
        categories=journal_tables.CATEGORIES, topics=journal_tables.TOPICS,
        composer_categories=journal_tables.COMPOSER_CATEGORIES,
        default_idle=DEFAULT_IDLE_DAYS, default_grace=DEFAULT_GRACE_DAYS,
    ), status


@bp.route("/settings/units/<id:unit_id>")
@signed_in("admin.manage")
def unit_settings(unit_id: int):
    """One unit's settings: the idle limit for working contacts, the quick phrases."""
    saved = request.args.get("saved")
    return _unit_page(_unit(unit_id), saved=saved if saved in ("idle", "phrase") else None)


@bp.route("/settings/units/<id:unit_id>/idle", methods=["POST"])
@signed_in("admin.manage")
def set_idle_limit(unit_id: int):
    """Change the unit's idle limit (notes room rule; 1–730 and 0–90 days)."""
    unit, form = _unit(unit_id), request.form
    try:
        settings_model.set_idle_limit(db(), user(), unit, form.get("idle_days", ""),
                                      form.get("grace_days", ""))
        db().commit()
    except ValidationErrors as error:
        db().rollback()
        return _unit_page(unit, 422, {k: str(v) for k, v in error.errors.items()},
                          {"idle_days": form.get("idle_days", "")[:12],
                           "grace_days": form.get("grace_days", "")[:12]})
    return redirect(url_for("admin.unit_settings", unit_id=unit.id, saved="idle"))


@bp.route("/settings/units/<id:unit_id>/phrases", methods=["POST"])
@signed_in("admin.manage")
def add_phrase(unit_id: int):
    """Add a quick phrase to the unit's composer (journal room rule)."""
    unit, form = _unit(unit_id), request.form
    try:
        settings_model.add_unit_phrase(db(), user(), unit, form.get("text", ""),
                                       form.get("category", ""), form.get("topic", ""))
        db().commit()
    except DomainError as error:
        db().rollback()
        errors = (error.errors if isinstance(error, ValidationErrors)
                  else {error.field or "text": error.message})
        return _unit_page(unit, 422, {k: str(v) for k, v in errors.items()},
                          {k: form.get(k, "")[:400] for k in ("text", "category", "topic")})
    return redirect(url_for("admin.unit_settings", unit_id=unit.id, saved="phrase"))


@bp.route("/settings/units/<id:unit_id>/phrases/<id:phrase_id>/remove", methods=["POST"])
@signed_in("admin.manage")
def remove_phrase(unit_id: int, phrase_id: int):
    """Remove one of the unit's quick phrases."""
    unit = _unit(unit_id)
    phrase = db().get(QuickPhrase, phrase_id)
    if phrase is None or phrase.unit_id != unit.id:
        abort(404)
    settings_model.remove_unit_phrase(db(), user(), unit, phrase)
    db().commit()
    return redirect(url_for("admin.unit_settings", unit_id=unit.id, saved="phrase"))
