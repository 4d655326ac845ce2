"""One way to read each kind of input: ids, whole numbers, days, times and text.

Every path part, query argument and form value that becomes an int, a date or a stored text
goes through here, so what Python, SQLite or PostgreSQL cannot hold is refused as a field
error (or a 404) before it reaches a query. Issue 12: about forty 500s had three causes —
unbounded integers, out-of-range dates and Unicode digits (`"²".isdigit()` is True).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l

from models.core.errors import DomainError

ID_MAX = 2**63 - 1  # PostgreSQL BIGINT, SQLite INTEGER
FIRST_DAY = date(1900, 1, 1)  # no date Nära records is older or
LAST_DAY = date(2100, 12, 31)  # further ahead; the domain's own rules are tighter still

_INT = re.compile(r"-?[0-9]+")  # ASCII digits only: \d and str.isdigit() take "²" and "٣"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}")
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?")
# C0 controls and DEL (NUL, escape, bell …): no name or label needs one, and XLSX cannot
# hold them. Tab and line feed are kept where a text may have lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def parse_int(raw, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if low <= raw <= high else None
    text = str(raw if raw is not None else "").strip()
    if not _INT.fullmatch(text) or len(text.lstrip("-")) > 19:
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(raw) -> int | None:
    """A row id (1 … 2**63-1) from a path, query or form value, else None."""
    return parse_int(raw, 1, ID_MAX)


def parse_ids(values) -> list[int] | None:
    """Several ids (a multi-select); None when any of them is not an id."""
    ids = [parse_id(v) for v in values if str(v).strip()]
    return None if None in ids else ids


def parse_day(raw, field: str, required: bool = True, earliest: date = FIRST_DAY,
              latest: date = LAST_DAY) -> date | None:
    """A form's YYYY-MM-DD as a date within sane limits, or a field error."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        day = raw
    else:
        text = str(raw or "").strip()
        if not text:
            if required:
                raise DomainError(_l("Give a date."), field)
            return None
        day = None
        if _DAY.fullmatch(text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise DomainError(_l("That date does not exist."), field) from None
        if day is None:
            raise DomainError(_l("Give the date as YYYY-MM-DD."), field)
    if not earliest <= day <= latest:
        raise DomainError(_l("Give a date from %(first)s to %(last)s."), field,
                          first=earliest.isoformat(), last=latest.isoformat())
    return day


def parse_time(raw, field: str) -> time:
    """A form's HH:MM, or a field error."""
    text = str(raw or "").strip()
    try:
        if _TIME.fullmatch(text):
            return time.fromisoformat(text)
    except ValueError:
        pass
    raise DomainError(_l("Give the time as HH:MM."), field)


def parse_moment(raw, field: str) -> datetime:
    """An ISO date-time (as <input type=datetime-local> or a script sends it) within sane
    limits; naive when no offset is given. A field error otherwise."""
    text = str(raw or "").strip()
    moment = None
    if _MOMENT.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        raise DomainError(_l("Give the date and time it happened."), field)
    parse_day(moment.date(), field)
    return moment


CONTROL_MESSAGE = _l("Remove the invisible control character (it may have come with a paste).")


def clean_text(raw, field: str, limit: int, required=None, lines: bool = False) -> str:
    """Text for a name, label or note: trimmed, at most `limit` characters, no control
    characters (tab and line breaks only where `lines`). `required` is the message to give
    when it is empty; without it, empty is allowed."""
    text = str(raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        if required is not None:
            raise DomainError(required, field)
        return ""
    if (_CONTROL_IN_LINES if lines else _CONTROL).search(text):
        raise DomainError(CONTROL_MESSAGE, field)
    if len(text) > limit:
        raise DomainError(_l("Too long: at most %(max)d characters."), field, max=limit)
    return text


def has_control(text: str, lines: bool = False) -> bool:
    return bool((_CONTROL_IN_LINES if lines else _CONTROL).search(text or ""))

def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of a Swedish personal or coordination number (10 digits)."""
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
