"""Template globals and filters: times in the user's zone, thread links, asset versions."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from models.core.db import utcnow
from models.tally import BACKDATE_DAYS, UNDO_SECONDS


def when(dt: datetime | None) -> str:
    """Chat-style time: '14:32' today, 'yesterday', a weekday this week, else a date."""
    if dt is None:
        return ""
    local = to_user_timezone(dt)
    today = to_user_timezone(utcnow()).date()
    if local.date() == today:
        return local.strftime("%H:%M")  # the 24-hour clock in every language Nära speaks
    if local.date() == today - timedelta(days=1):
        return _("yesterday")
    if today - local.date() < timedelta(days=7):
        return format_date(dt, "EEE")
    return format_date(dt, "d MMM")


def thread_url(thread) -> str:
    return url_for(thread.endpoint, **thread.values)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        csrf_token=generate_csrf,
        thread_url=thread_url,
        current_locale=lambda: str(get_locale() or "sv"),
        tally_backdate_days=BACKDATE_DAYS,
        tally_undo_seconds=UNDO_SECONDS,
    )
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["datetime"] = lambda dt, fmt="short": (
        format_datetime(dt, fmt) if dt else ""
    )
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["iso"] = lambda dt: dt.isoformat() if dt else ""
