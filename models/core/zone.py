"""The municipality's time zone (NARA_TIMEZONE, default Europe/Stockholm), read once:
what a "day" is for the clock (models/core/clock.py) and for the database's own day
function on SQLite (models/core/db.py)."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo(os.environ.get("NARA_TIMEZONE", "Europe/Stockholm"))
