"""The manager's room: a unit's day (live), the daily review, follow-ups, statistics.

Statistics and exports live in views/manage_stats.py on the same blueprint.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, g, redirect, url_for
from flask_babel import gettext as _

from models.access import Unit, units_of
from models.access.inbox import mark_read
from models.core.clock import local_today
from models.core.errors import ValidationErrors
from models.core.parse import parse_id
from models.journal.tables import CATEGORIES
from models.manage import day_feed as stats_day
from models.manage import follow_ups as stats_followup
from views import db, ensure, load_or_404, render, request, signed_in, user

bp = Blueprint("manage", __name__, url_prefix="/manage")

# Polling, not server-sent events: app servers are stateless behind a load balancer and
# SQLite has no notification channel, so SSE would need long-lived connections (a sync
# worker each) plus a broadcast between processes. A poll every 30 s is one small GROUP BY
# per open feed, works through any proxy, and is only done while today is shown.
# MANAGE_POLL_SECONDS overrides it (the browser tests poll faster).
POLL_SECONDS = 30


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """A lag for people: '40 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    if s < 60:
        return _("%(num)d s", num=s)
    if s < 3600:
        return _("%(num)d min", num=s // 60)
    if s < 86400:
        return _("%(h)d h %(m)d min", h=s // 3600, m=s % 3600 // 60)
    return _("%(d)d d %(h)d h", d=s // 86400, h=s % 86400 // 3600)


def _feed_context(unit: Unit, day, errors=None, form=None) -> dict:
    feed = stats_day.day_feed(db(), user(), unit, day, g.get("request_id"))
    today = local_today()
    return {
        "unit": unit, "feed": feed, "day": day, "today": today, "live": day == today,
        "poll_seconds": current_app.config.get("MANAGE_POLL_SECONDS", POLL_SECONDS),
        "categories": CATEGORIES, "alerts": stats_day.ALERTS,
        "counts_line": stats_day.counts_line,
        "mine": feed.reviewed_by(user()), "errors": errors or {}, "form": form or {},
        "earliest": today - timedelta(days=stats_day.HISTORY_DAYS),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day < today else None,
    }


@bp.route("/units/<id:unit_id>/day")
@signed_in("manage.view")
def day(unit_id: int):
    """One unit's day: tallies so far, journal notes, alerts, sign-offs. Polled live."""
    unit = load_or_404(Unit, unit_id, "manage.unit")
    try:
        chosen = stats_day.parse_day(request.args.get("day"))
    except ValidationErrors as invalid:
        context = _feed_context(unit, local_today(), errors=invalid.errors)
        db().commit()
        return render("manage/day.html", **context), 400
    context = _feed_context(unit, chosen)
    if context["live"]:  # polls too: what they bring is on the manager's screen
        mark_read(db(), user(), stats_day.day_thread_key(unit.id))
    db().commit()  # the access-log rows for the clients shown
    return render("manage/day.html", "bubbles", **context)


@bp.route("/yesterday")
@signed_in("manage.view")
def yesterday():
    """Yesterday across all the manager's units: each unit's tallies and notes, in order."""
    day = local_today() - timedelta(days=1)
    feeds = [stats_day.day_feed(db(), user(), unit, day, g.get("request_id"))
             for unit in units_of(db(), user())]  # a manager manages every unit of theirs
    db().commit()  # the access-log rows for the clients shown
    return render("manage/yesterday.html", feeds=feeds, day=day, categories=CATEGORIES,
                  alerts=stats_day.ALERTS, counts_line=stats_day.counts_line)


@bp.route("/units/<id:unit_id>/day/review", methods=["POST"])
@signed_in("manage.view")
def review(unit_id: int):
    """Mark the day reviewed, with any comment."""
    unit = load_or_404(Unit, unit_id, "manage.unit")
    form = request.form
    try:
        chosen = stats_day.parse_day(form.get("day"))
        stats_day.review_day(db(), user(), unit, chosen, form.get("comment", ""))
    except ValidationErrors as invalid:
        db().rollback()
        chosen = _safe_day(form.get("day"))
        context = _feed_context(unit, chosen, errors=invalid.errors, form=form)
        db().commit()
        return render("manage/day.html", **context), 422
    db().commit()
    return redirect(url_for("manage.day", unit_id=unit.id, day=chosen.isoformat()), 303)


def _safe_day(raw):
    try:
        return stats_day.parse_day(raw)
    except ValidationErrors:
        return local_today()


@bp.route("/follow-ups")
@signed_in("manage.view")
def follow_ups():
    """Plans due within 14 days or overdue, assignments without a plan, consents ending."""
    units = units_of(db(), user())
    raw = request.args.get("unit", "")
    wanted = parse_id(raw)
    if raw and wanted is None:
        abort(404)
    if wanted is not None:
        unit = db().get(Unit, wanted)
        if unit is None:
            abort(404)
        ensure("manage.unit", unit)
        chosen = [unit]
    else:
        chosen = units
    overview = stats_followup.follow_ups(db(), user(), [u.id for u in chosen],
                                         request_id=g.get("request_id"))
    db().commit()  # the access-log rows for the clients named
    return render("manage/follow_ups.html", overview=overview, units=units,
                  unit_id=wanted, within=stats_followup.DUE_WITHIN_DAYS,
                  consent_within=stats_followup.CONSENT_WITHIN_DAYS)


