"""One clock and one time zone for the whole app: what "today" and "midnight" mean here.

Stored times are UTC; days are the municipality's local days (NARA_TIMEZONE, default
Europe/Stockholm), read once, here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from models.core.db import utcnow
from models.core.zone import LOCAL_TZ, local_date


def local_today(now: datetime | None = None) -> date:
    return local_date(now or utcnow())


def local_day(moment: datetime) -> str:
    return local_date(moment).isoformat()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
