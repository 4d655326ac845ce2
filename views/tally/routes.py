"""Pinnstatistik: an activity thread with its tallies as bubbles and a composer of chips.

The composer posts through static/js/tally-outbox.js (IndexedDB first, then the network, so a
tally survives a dead connection); without JavaScript it is an ordinary form. The
outbox's request carries `X-Nara-Outbox: 1` and gets the saved bubble back; a retry of
the same client_uuid gets the stored tally again (200) instead of a second row; with other
values it is refused (422, X-Nara-Outcome: reused) and the stored one stays.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_babel import to_user_timezone

from models import tally as tally_model
from models.access.inbox import mark_read
from models.catalogue import (
    Activity,
    activities_of_user,
    current_field_set,
    preload_activity,
    responsible_units_of,
    spec_of,
)
from models.core import parse
from models.core.db import utcnow
from models.core.errors import SubmissionReused, ValidationErrors
from models.tally import Tally
from views import db, load_or_404, public, render, request, signed_in, user
from views.csrf_tokens import csrf_token
from views.translations import locale_name

bp = Blueprint("tally", __name__)


def from_outbox() -> bool:
    return request.headers.get("X-Nara-Outbox") == "1"


def composer_context(activity: Activity, values=None, errors=None, unit_id=None,
                     action: str | None = None, offline: bool = False, when=None,
                     outbox: bool = True) -> dict:
    """Everything the composer template needs for one activity."""
    units = responsible_units_of(db(), user(), activity) if activity.loggable else []
    if unit_id is None and units:
        unit_id = units[0]
    fs = current_field_set(db(), activity, unit_id)
    today = to_user_timezone(utcnow()).date()
    return {
        "today": today.isoformat(), "outbox": outbox,
        "earliest": (today - timedelta(days=tally_model.BACKDATE_DAYS)).isoformat(),
        "activity": activity, "spec": spec_of(db(), fs.id) if fs else None,
        "values": values or {}, "errors": errors or {},
        "units": tally_model.unit_choices(db(), units),
        "unit_id": unit_id, "locale": locale_name(), "offline": offline, "when": when or {},
        "action": action or url_for("tally.save", activity_id=activity.id),
        "client_uuid": str(uuid.uuid4()), "backdate_days": tally_model.BACKDATE_DAYS,
    }

def _midnight():
    """The start of the person's day (their time zone), in UTC."""
    return to_user_timezone(utcnow()).replace(
        hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def today_count(activity: Activity, since=None) -> int:
    """The person's tallies for the activity saved since midnight (their time zone)."""
    return tally_model.saved_since(db(), user(), activity.id, since or _midnight())


def values_from(form, activity: Activity, unit_id) -> dict:
    fs = current_field_set(db(), activity, unit_id)
    return tally_model.parse_form(spec_of(db(), fs.id), form.getlist) if fs else {}


def _unit_from(form, activity: Activity) -> int | None:
    raw = form.get("unit", "")
    if raw.strip():
        return parse.parse_id(raw) or -1  # not an id: no unit of theirs, a field error
    units = responsible_units_of(db(), user(), activity)
    return units[0] if len(units) == 1 else None


def _load_activity(activity_id: int) -> Activity:
    """The activity, authorised: read together with the user's responsible units (one
    statement), which the access rule and the field set then take from the session."""
    preload_activity(db(), user(), activity_id)
    return load_or_404(Activity, activity_id, "tally.activity")


def page_context(activity: Activity, **composer) -> dict:
    me = user()
    again = tally_model.last_values(db(), me, activity) if activity.loggable else None
    return dict(
        composer_context(activity, **composer),
        tallies=tally_model.recent_tallies(db(), me, activity) if activity.loggable else [],
        again=again, managed_units=tally_model.editable_units(db(), me, activity),
        today_count=today_count(activity) if activity.loggable else 0,
    )




@bp.route("/activities/<id:activity_id>")
@signed_in("tally.use")
def activity(activity_id: int):
    """An activity thread: own recent tallies and the composer ('again' loads the last)."""
    act = _load_activity(activity_id)
    mark_read(db(), user(), tally_model.thread_key(act.id))
    db().commit()
    ctx = page_context(act)
    if request.args.get("again") and ctx["again"] is not None:
        ctx["values"] = ctx["again"].values
    # "new" without JavaScript: the composer sheet is rendered open
    ctx["sheet_open"] = bool(request.args.get("new"))
    return render("tally/activity.html", None, **ctx)


@bp.route("/activities/<id:activity_id>/tallies", methods=["POST"])
@signed_in("tally.use")
def save(activity_id: int):
    """Store one tally (exactly once per client_uuid); 422 re-renders the composer."""
    act = _load_activity(activity_id)
    form = request.form
    unit_id = _unit_from(form, act)
    values = values_from(form, act, unit_id)
    try:
        when = tally_model.occurred_from(form.get("day", ""), form.get("time", ""),
                                         form.get("occurred_at", ""))
        midnight = _midnight()
        saved, created = tally_model.record_tally(
            db(), user(), act, values, form.get("client_uuid"), when, unit=unit_id,
            count_since=midnight)
        db().commit()
    except SubmissionReused as reused:
        db().rollback()
        if from_outbox():  # the outbox keeps the item, shows this on it, and never resends it
            return render_template("tally/_reused.html", errors=reused.errors), 422, {
                "X-Nara-Outcome": "reused"}
        return _invalid(act, values, reused.errors, unit_id, form)
    except ValidationErrors as invalid:
        db().rollback()
        return _invalid(act, values, invalid.errors, unit_id, form)
    if from_outbox():
        view = tally_model.views_of(db(), [saved])[0]
        again = view if created else tally_model.last_values(db(), user(), act)
        body = render_template("tally/_saved.html", view=view, activity=act, again=again,
                               locale=locale_name(), today_count=today_count(act, midnight))
        return body, 201 if created else 200, {"X-Nara-Tally": str(saved.id)}
    return redirect(url_for("tally.activity", activity_id=act.id) + f"#tally-{saved.id}", 303)


def _invalid(act: Activity, values: dict, errors: dict, unit_id, form):
    when = {"day": form.get("day", ""), "time": form.get("time", "")}
    if from_outbox():
        ctx = composer_context(act, values, errors, unit_id, when=when)
        ctx["client_uuid"] = form.get("client_uuid") or ctx["client_uuid"]
        return render_template("tally/_composer.html", **ctx), 422
    return render("tally/activity.html", None, sheet_open=True,
                  **page_context(act, values=values, errors=errors, unit_id=unit_id,
                                 when=when)), 422


@bp.route("/tallies/<id:tally_id>/undo", methods=["POST"])
@signed_in("tally.use")
def undo(tally_id: int):
    """Take a tally back within seconds of saving it; the bubble shows it as undone."""
    saved = load_or_404(Tally, tally_id, "tally.own")
    tally_model.undo_tally(db(), user(), saved)
    db().commit()
    if request.htmx:
        view = tally_model.views_of(db(), [saved])[0]
        act = db().get(Activity, saved.activity_id)
        return render_template("tally/_undone.html", view=view, locale=locale_name(),
                               today_count=today_count(act))
    return redirect(url_for("tally.activity", activity_id=saved.activity_id), 303)


@bp.route("/tallies/<id:tally_id>/correct", methods=["GET", "POST"])
@signed_in("tally.use")
def correct(tally_id: int):
    """Correct a tally: it is voided and replaced; both stay in the history."""
    original = load_or_404(Tally, tally_id, "tally.own")
    act = db().get(Activity, original.activity_id)
    view = tally_model.views_of(db(), [original])[0]
    action = url_for("tally.correct", tally_id=original.id)
    if request.method == "GET":
        return render("tally/correct.html", None, original=view, **composer_context(
            act, view.values, unit_id=original.unit_id, action=action, outbox=False))
    values = values_from(request.form, act, original.unit_id)
    try:
        when = tally_model.occurred_from(request.form.get("day", ""), request.form.get("time", ""),
                                         request.form.get("occurred_at", ""))
        tally_model.correct_tally(db(), user(), original, values,
                                  request.form.get("client_uuid"), when)
        db().commit()
    except ValidationErrors as invalid:
        db().rollback()
        ctx = composer_context(act, values, invalid.errors, original.unit_id, action=action,
                               outbox=False)
        return render("tally/correct.html", None, original=view, **ctx), 422
    return redirect(url_for("tally.activity", activity_id=act.id), 303)


@bp.route("/tally/catalogue.json")
@signed_in("tally.use")
def catalogue():
    """The user's activities with their composers, for the offline shell (no personal data).

    Its ETag is its version: who asks (user and session), the language, the day, and each
    activity's field set, units and names, plus the templates it is rendered from. A
    repeat with the same tag is a 304 of a few hundred bytes, answered before anything is
    rendered; the browser revalidates every time (private, no-cache)."""
    csrf = csrf_token()  # the session's token stays valid as long as the session
    contexts = [(act, composer_context(act, offline=True))
                for act in activities_of_user(db(), user())]
    version = _catalogue_version(contexts)
    headers = {"ETag": f'"{version}"', "Cache-Control": "private, no-cache",
               "Vary": "Cookie"}
    if request.if_none_match.contains_weak(version):  # weak: compressed copies too
        return current_app.response_class(status=304, headers=headers,
                                          mimetype="application/json")
    items = [{
        "id": act.id, "name": act.name, "subtitle": act.target_group,
        "loggable": act.loggable,
        "url": url_for("tally.activity", activity_id=act.id),
        "html": render_template("tally/_panel.html", **ctx),
    } for act, ctx in contexts]
    response = current_app.json.response(
        {"user": user().id, "csrf": csrf, "activities": items})
    response.headers.update(headers)
    return response


def _catalogue_version(contexts) -> str:
    digest = hashlib.sha256(_rendered_from().encode())
    digest.update(repr((user().id, session.get("csrf_token"), locale_name())).encode())
    for act, ctx in contexts:
        spec = ctx["spec"]
        digest.update(repr((
            act.id, act.name, act.target_group, act.loggable, ctx["unit_id"], ctx["today"],
            ctx["earliest"], spec and (spec.id, spec.version, spec.digest),
            [(u.id, u.name) for u in ctx["units"]])).encode())
    return digest.hexdigest()[:32]


@cache
def _rendered_from() -> str:
    """The templates and translations the catalogue is rendered from (fixed per process)."""
    digest = hashlib.sha256()
    root = Path(current_app.root_path)
    for path in sorted([*(root / "templates").rglob("*.html"),
                        *(root / "translations").rglob("*.mo")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@bp.route("/tally/shell")
@public
def shell():
    """The activity page without data: the service worker serves it offline."""
    return render("tally/shell.html", None, shell_only=True)


