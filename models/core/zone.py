"""The municipality's time zone (NARA_TIMEZONE, default Europe/Stockholm), read once:
what a "day" is for the clock (models/core/clock.py) and for the database's own day
function on SQLite (models/core/db.py)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo(os.environ.get("NARA_TIMEZONE", "Europe/Stockholm"))


def local_date(moment: datetime) -> date:
    """The municipality's calendar day of a moment (a naive one is UTC, as stored): the one
    meaning of "which day" for the clock, the kept daily counts and SQLite's own day
    function alike."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).date()
