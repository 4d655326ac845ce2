"""Tallies (pinnstatistik): anonymous counts of one activity occasion, exactly once.

Storage is long format so statistics aggregate with plain GROUP BY on SQLite and
PostgreSQL alike: one ``Tally`` row per submission and one ``TallyValue`` row per stored
value, with activity, unit, occurred_at and the voided flag copied onto each value row:

====== ======================================= ==========================================
kind   rows per tally                          aggregate with
====== ======================================= ==========================================
choice one row: choice=code, count=1           SUM(count) … GROUP BY choice
age    one row: choice=band/year, count=1      same (bands "u18","18-19",…,"80+"; years "13")
multi  one row per chosen option, count=1      same (no row when none was chosen)
count  one row: choice NULL, count=n (also 0)  SUM(count)
split  one row per option with n>0             SUM(count) … GROUP BY choice
====== ======================================= ==========================================

Always filter ``tally_value.voided = false`` (undone and corrected tallies stay stored).
Labels for codes come from ``field_option`` of the tally's ``field_set_id``.

Nothing in these tables can hold free text: ``field_key`` and ``choice`` are foreign keys
into the catalogue's field definitions and options, and every other column is a number,
a time or the submission's UUID. No column refers to a client or contact; working notes
link their talks to tallies through their own table.

Public functions
- ``record_tally(session, user, activity, values, client_uuid, occurred_at=None,
  unit=None, now=None) -> (Tally, created)``: validate against the field set and store;
  a repeated ``client_uuid`` returns the stored tally with created=False (exactly once,
  also under concurrent submissions); raises SubmissionReused when the stored tally has
  other values, another activity, unit or author (the IETF Idempotency-Key draft's 422).
- ``undo_tally(session, user, tally, now=None)``: void one's own tally within
  ``UNDO_SECONDS`` of saving it.
- ``correct_tally(session, user, tally, values, client_uuid, occurred_at=None, now=None)
  -> (Tally, created)``: void the tally and store its replacement (linked by corrects_id).
- ``void_tally(session, user, tally, reason)``: the voiding both use.
- ``parse_form(spec, getlist) -> dict``: form fields → values (names: key, key.code).
- ``validate(spec, values, activity) -> (values, rows)``: raises ValidationErrors.
- ``values_of(session, tallies) -> {tally_id: values}``; ``summary(spec, values, locale)``.
- ``recent_tallies(session, user, activity, limit)``, ``last_values(...)``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    bindparam,
    column,
    insert,
    text,
    update,
)
from sqlmodel import Field, Session, SQLModel, select

from models.access import User
from models.catalogue import (
    Activity,
    FieldSetSpec,
    FieldSpec,
    Kind,
    current_field_set,
    responsible_units_of,
    spec_of,
)
from models.core import parse
from models.core.clock import LOCAL_TZ
from models.core.db import detached_row, insert_once, upsert_insert, utcnow
from models.core.errors import DomainError, SubmissionReused, ValidationErrors
from models.core.parse import parse_id, parse_int
from models.tally.daily import count_saved, count_voided

UNDO_SECONDS = 10
UNDO_GRACE_SECONDS = 5  # the network's share: the button shows 10 s, the server allows 15
BACKDATE_DAYS = 14
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may run a little ahead


def new_record_key() -> int:
    """A tally's secret random record key, a signed 32-bit integer. Statistics add the keys
    of a cell's tallies to decide how its shared figure is rounded (issue 18, the cell-key
    method in models/manage/protection.py); it is never shown."""
    return secrets.randbits(32) - 2**31


class VoidReason:
    undo = "undo"
    correction = "correction"


class Tally(SQLModel, table=True):
    """One submission. No free text, nothing about the person: see the module docstring."""

    __table_args__ = (
        CheckConstraint("void_reason IS NULL OR void_reason IN ('undo', 'correction')",
                        name="ck_tally_void_reason"),
        # voided_at last: "saved today" counts from the index alone (every save asks it)
        Index("ix_tally_user_activity_created", "user_id", "activity_id", "created_at",
              "voided_at"),
        # (activity, time): ix_tally_stats in models/manage/aggregate.py begins with them
    )

    id: int | None = Field(default=None, primary_key=True)
    client_uuid: uuid.UUID = Field(unique=True)
    activity_id: int = Field(foreign_key="activity.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    field_set_id: int = Field(foreign_key="field_set.id")
    occurred_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    voided_at: datetime | None = None
    voided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    void_reason: str | None = Field(default=None, max_length=16)
    corrects_id: int | None = Field(default=None, foreign_key="tally.id", unique=True)
    # a tally from a historic spreadsheet (models/tally/historic.py); NULL when logged here
    import_id: int | None = Field(default=None, foreign_key="tally_import.id")
    # never shown; copied onto the value rows (a Core insert that omits it gets one too)
    record_key: int = Field(default_factory=new_record_key,
                            sa_column_kwargs={"default": new_record_key})

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class TallyValue(SQLModel, table=True):
    """One stored value of a tally (long format; see the module docstring)."""

    __tablename__ = "tally_value"
    __table_args__ = (
        ForeignKeyConstraint(
            ["field_set_id", "field_key"], ["field_def.field_set_id", "field_def.key"],
            name="fk_tally_value_field_def",
        ),
        ForeignKeyConstraint(
            ["field_set_id", "field_key", "choice"],
            ["field_option.field_set_id", "field_option.field_key", "field_option.code"],
            name="fk_tally_value_field_option",
        ),
        CheckConstraint("count >= 0", name="ck_tally_value_count"),
        # (activity, field, time) reads use ix_tally_value_stats (models/stats.py), which
        # starts with the same columns: one index fewer to write on every tally.
        Index("ix_tally_value_unit_time", "unit_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tally_id: int = Field(foreign_key="tally.id", index=True)
    activity_id: int = Field(foreign_key="activity.id")
    unit_id: int = Field(foreign_key="unit.id")
    field_set_id: int
    field_key: str = Field(max_length=32)
    choice: str | None = Field(default=None, max_length=24)
    count: int = 1
    occurred_at: datetime
    voided: bool = False
    record_key: int  # the tally's record key (statistics only, never shown)


# --- validation --------------------------------------------------------------------------


def parse_form(spec: FieldSetSpec, getlist: Callable[[str], list[str]]) -> dict:
    """Form values → the values dict `validate` takes (names: `key`, split: `key.code`)."""
    values: dict = {}
    for f in spec.fields:
        if f.kind == Kind.split:
            values[f.key] = {o.code: (getlist(f"{f.key}.{o.code}") or [""])[0] for o in f.options}
        elif f.kind == Kind.multi:
            values[f.key] = [v for v in getlist(f.key) if v]
        else:
            given = [v for v in getlist(f.key) if v != ""]
            if given:
                values[f.key] = given[0] if len(given) == 1 else given
    return values


def _whole(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return parse_int(raw, 0, 999_999)  # the field's own min and max are checked after


def _check_count(f: FieldSpec, raw) -> tuple[int | None, object]:
    """(number, None) or (None, message)."""
    if raw is None or raw == "":
        return 0, None
    n = _whole(raw)
    if n is None:
        return None, _l("Enter a whole number.")
    if f.min is not None and n < f.min:
        return None, _l("At least %(min)d.", min=f.min)
    if f.max is not None and n > f.max:
        return None, _l("At most %(max)d.", max=f.max)
    return n, None


def _age_message(f: FieldSpec, activity: Activity):
    if f.min is not None and f.max is not None:
        return _l("Choose an age within the target group (%(low)d–%(high)d).",
                  low=f.min, high=f.max)
    return _l("Choose an age from the list.")


def validate(spec: FieldSetSpec, values: dict, activity: Activity) -> tuple[dict, list[tuple]]:
    """Check `values` against the field set; returns (clean values, rows) or raises.

    rows are (field_key, choice, count) tuples ready for TallyValue. Unknown keys are
    ignored: they are never stored, so nothing outside the definitions can get in.
    """
    errors: dict[str, object] = {}
    clean: dict = {}
    rows: list[tuple] = []
    for f in spec.fields:
        raw = values.get(f.key)
        if f.kind in (Kind.choice, Kind.age):
            if raw in (None, "", []):
                if f.required:
                    errors[f.key] = (_age_message(f, activity) if f.kind == Kind.age
                                     else _l("Choose one."))
                continue
            if not isinstance(raw, str) or f.option(raw) is None:
                errors[f.key] = (_age_message(f, activity) if f.kind == Kind.age
                                 else _l("Choose one of the options."))
                continue
            clean[f.key] = raw
            rows.append((f.key, raw, 1))
        elif f.kind == Kind.multi:
            chosen = [raw] if isinstance(raw, str) else list(raw or [])
            if any(not isinstance(c, str) or f.option(c) is None for c in chosen):
                errors[f.key] = _l("Choose only from the list.")
                continue
            chosen = [o.code for o in f.options if o.code in set(chosen)]
            if f.required and not chosen:
                errors[f.key] = _l("Choose at least one.")
                continue
            clean[f.key] = chosen
            rows.extend((f.key, c, 1) for c in chosen)
        elif f.kind == Kind.count:
            if raw in (None, "") and f.default is not None:
                raw = f.default
            if isinstance(raw, list | dict):
                errors[f.key] = _l("Enter a whole number.")
                continue
            n, message = _check_count(f, raw)
            if message is None and f.required and n < max(1, f.min or 0):
                message = _l("At least %(min)d.", min=max(1, f.min or 0))
            if message is not None:
                errors[f.key] = message
                continue
            clean[f.key] = n
            rows.append((f.key, None, n))
        elif f.kind == Kind.split:
            given = raw if isinstance(raw, dict) else {}
            if raw not in (None, "") and not isinstance(raw, dict) or any(
                f.option(c) is None for c in given
            ):
                errors[f.key] = _l("Choose only from the list.")
                continue
            parts, message = {}, None
            for o in f.options:
                n, message = _check_count(f, given.get(o.code))
                if message is not None:
                    break
                parts[o.code] = n
            if message is None and f.required and sum(parts.values()) < 1:
                message = _l("Count at least one.")
            if message is not None:
                errors[f.key] = message
                continue
            clean[f.key] = {c: n for c, n in parts.items() if n}
            rows.extend((f.key, c, n) for c, n in parts.items() if n)
    if errors:
        raise ValidationErrors(errors)
    return clean, rows


def check_occurred_at(occurred_at: datetime | None, now: datetime) -> datetime:
    """Now by default; earlier today or up to BACKDATE_DAYS back; never the future."""
    if occurred_at is None:
        return now
    if occurred_at.tzinfo is None:
        raise ValidationErrors({"occurred_at": _l("The time needs a time zone.")})
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationErrors({"occurred_at": _l("The time cannot be in the future.")})
    if occurred_at < now - timedelta(days=BACKDATE_DAYS):
        raise ValidationErrors({"occurred_at": _l(
            "You can backdate at most %(days)d days.", days=BACKDATE_DAYS)})
    return occurred_at


# --- recording ---------------------------------------------------------------------------


def _resolve_unit(session: Session, user: User, activity: Activity, unit) -> int:
    units = responsible_units_of(session, user, activity)
    wanted = getattr(unit, "id", unit)
    if wanted is not None:
        if parse_id(wanted) not in units:
            raise ValidationErrors({"unit": _l("Choose one of your units.")})
        return parse_id(wanted)
    if not units:
        raise DomainError(_l("None of your units is responsible for this activity."))
    if len(units) > 1:
        raise ValidationErrors({"unit": _l("Choose the unit you logged this for.")})
    return units[0]


def by_uuid(session: Session, client_uuid: uuid.UUID) -> Tally | None:
    return session.exec(select(Tally).where(Tally.client_uuid == client_uuid)).first()


def as_uuid(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise ValidationErrors({"client_uuid": _l("The submission has no valid id.")}) from None


def record_tally(
    session: Session,
    user: User,
    activity: Activity,
    values: dict,
    client_uuid,
    occurred_at: datetime | None = None,
    unit=None,
    now: datetime | None = None,
    corrects: Tally | None = None,
    count_since: datetime | None = None,
) -> tuple[Tally, bool]:
    """Validate and store one tally, exactly once per client_uuid (see module docstring).
    `count_since`: the INSERT also counts the person's tallies of the activity saved since
    then, for the `saved_since` that follows (one statement fewer per save)."""
    client_uuid = as_uuid(client_uuid)
    if not activity.loggable:
        existing = by_uuid(session, client_uuid)
        if existing is not None:
            return _replayed(session, existing, user, activity, values, unit, corrects), False
        raise DomainError(_l("This activity is not documented as tallies."))
    now = now or utcnow()
    unit_id = corrects.unit_id if corrects is not None else _resolve_unit(
        session, user, activity, unit)
    field_set = current_field_set(session, activity, unit_id)
    spec = spec_of(session, field_set.id)
    errors: dict = {}
    clean: dict | None = None
    try:
        clean, rows = validate(spec, values, activity)
    except ValidationErrors as invalid:
        errors.update(invalid.errors)
    try:
        if corrects is not None and occurred_at is None:
            occurred_at = corrects.occurred_at
        elif corrects is None or occurred_at != corrects.occurred_at:
            occurred_at = check_occurred_at(occurred_at, now)
    except ValidationErrors as invalid:
        errors.update(invalid.errors)
    if errors:
        # A retry of something already stored is answered with it, even if the catalogue
        # has changed since: only then is the check worth a query.
        existing = by_uuid(session, client_uuid)
        if existing is not None:
            return _replayed(session, existing, user, activity, clean or values, unit_id,
                             corrects), False
        raise ValidationErrors(errors)
    row = {
        "client_uuid": client_uuid, "activity_id": activity.id, "unit_id": unit_id,
        "user_id": user.id, "field_set_id": field_set.id, "occurred_at": occurred_at,
        "created_at": now, "corrects_id": corrects.id if corrects is not None else None,
        "record_key": new_record_key(),
    }
    # Everything is prepared before the first INSERT: from there to the commit SQLite holds
    # its write lock, and every other writer waits.
    value_rows = [{
        "activity_id": activity.id, "unit_id": unit_id, "field_set_id": field_set.id,
        "field_key": key, "choice": choice, "count": count, "occurred_at": occurred_at,
        "voided": False, "record_key": row["record_key"],
    } for key, choice, count in rows]
    earlier = None
    if count_since is None:
        tally_id = insert_once(session, Tally.__table__, row)
    else:
        tally_id, earlier = _insert_counted(session, row, count_since)
    if tally_id is None:  # stored before: a retry, or a twin submission a moment ago
        existing = by_uuid(session, client_uuid)
        if existing is None:
            raise DomainError(_l("This entry has already been corrected."))
        return _replayed(session, existing, user, activity, clean, unit_id, corrects), False
    for value in value_rows:
        value["tally_id"] = tally_id
    session.execute(_INSERT_VALUES, value_rows)
    count_saved(session, activity.id, unit_id, occurred_at, row["record_key"], rows)
    # known in full: no need to read it back
    tally = detached_row(Tally, dict(row, id=tally_id, voided_at=None, voided_by_id=None,
                                     void_reason=None))
    session.add(tally)
    session.info.setdefault("nara_tally_values", {})[tally_id] = clean
    if earlier is not None:  # those before it, and this one
        session.info.setdefault("nara_saved_since", {})[
            (user.id, activity.id, count_since)] = earlier + 1
    return tally, True


# read.saved_since's count (the same conditions as its _SAVED_SINCE), asked by the INSERT
# itself of the row it has just written: the person's other live tallies of the activity
# since :count_since. "Other" (earlier.id <> tally.id) whether or not the database lets
# RETURNING see the new row (PostgreSQL does not, SQLite does).
_EARLIER_SINCE = text(
    "SELECT count(*) FROM tally AS earlier WHERE earlier.user_id = tally.user_id"
    " AND earlier.activity_id = tally.activity_id AND earlier.voided_at IS NULL"
    " AND earlier.created_at >= :count_since AND earlier.id <> tally.id"
).bindparams(bindparam("count_since", type_=Tally.__table__.c.created_at.type)).columns(
    column("n", Integer)).scalar_subquery()
_INSERT_COUNTED: dict = {}


def _insert_counted(session: Session, row: dict, since: datetime) -> tuple[int | None, int | None]:
    """`insert_once` for a tally, also returning `_EARLIER_SINCE`: (None, None) when the
    client_uuid was stored before."""
    dialect = session.get_bind().dialect.name
    stmt = _INSERT_COUNTED.get(dialect)
    if stmt is None:
        table = Tally.__table__
        stmt = _INSERT_COUNTED[dialect] = (
            upsert_insert(session, table).on_conflict_do_nothing()
            .returning(table.c.id, _EARLIER_SINCE))
    found = session.execute(stmt, dict(row, count_since=since)).first()
    return (None, None) if found is None else (found[0], found[1])


def _replayed(session: Session, existing: Tally, user: User, activity: Activity, values: dict,
              unit=None, corrects: Tally | None = None) -> Tally:
    """A repeated submission is answered with the stored tally — if it is the same one: its
    author, activity, unit, corrected tally and values. The time is not compared: the
    server sets it for a tally sent without one, so a retry may come a minute later."""
    unit_id = getattr(unit, "id", unit)
    if (existing.user_id != user.id or existing.activity_id != activity.id
            or (unit_id is not None and parse_id(unit_id) != existing.unit_id)
            or existing.corrects_id != (corrects.id if corrects is not None else None)
            or _canonical(values_of(session, [existing])[existing.id]) != _canonical(values)):
        raise SubmissionReused()
    return existing


def _canonical(values: dict) -> dict:
    """Values as comparable text, whether validated (ints, lists) or as sent (strings):
    an empty choice, a zero count and a missing field are the same."""
    out = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            value = {str(k): str(v).strip() for k, v in value.items()
                     if str(v).strip() not in ("", "0")}
        elif isinstance(value, list | tuple | set):
            value = sorted({str(v).strip() for v in value} - {""})
        else:
            value = "" if value is None else str(value).strip()
            value = "" if value == "0" else value
        if value not in ("", [], {}):
            out[str(key)] = value
    return out


_INSERT_VALUES = insert(TallyValue.__table__)


def void_tally(session: Session, user: User, tally: Tally, reason: str,
               now: datetime | None = None) -> Tally:
    """Mark a tally void (it stays stored, with who and when); statistics skip it."""
    if tally.voided:
        raise DomainError(_l("This entry has already been withdrawn."))
    tally.voided_at = now or utcnow()
    tally.voided_by_id = user.id
    tally.void_reason = reason
    session.add(tally)
    values = TallyValue.__table__.c
    voided = session.execute(
        update(TallyValue.__table__)
        .where(values.tally_id == tally.id, values.voided == False)  # noqa: E712
        .values(voided=True)
        .returning(values.field_key, values.choice, values.count)).all()
    count_voided(session, tally.activity_id, tally.unit_id, tally.occurred_at,
                   tally.record_key, voided)
    session.flush()
    return tally


def can_undo(tally: Tally, now: datetime | None = None) -> bool:
    now = now or utcnow()
    limit = timedelta(seconds=UNDO_SECONDS + UNDO_GRACE_SECONDS)
    return not tally.voided and now - tally.created_at <= limit


def undo_tally(session: Session, user: User, tally: Tally, now: datetime | None = None) -> Tally:
    """Take back one's own tally within UNDO_SECONDS; later, make a correction."""
    if tally.user_id != user.id:
        raise DomainError(_l("You can only undo your own entries."))
    if tally.voided:
        raise DomainError(_l("This entry has already been withdrawn."))
    if not can_undo(tally, now):
        raise DomainError(_l("Undo is possible for 10 seconds. Make a correction instead."))
    return void_tally(session, user, tally, VoidReason.undo, now)


def correct_tally(
    session: Session, user: User, tally: Tally, values: dict, client_uuid,
    occurred_at: datetime | None = None, now: datetime | None = None,
) -> tuple[Tally, bool]:
    """Void `tally` and store its replacement; both stay, linked, with who did it."""
    client_uuid = as_uuid(client_uuid)
    existing = by_uuid(session, client_uuid)
    if existing is not None:
        activity = session.get(Activity, tally.activity_id)
        return _replayed(session, existing, user, activity, values, corrects=tally), False
    if tally.user_id != user.id:
        raise DomainError(_l("You can only correct your own entries."))
    if tally.voided:
        raise DomainError(_l("This entry has already been withdrawn."))
    activity = session.get(Activity, tally.activity_id)
    new, created = record_tally(session, user, activity, values, client_uuid,
                                occurred_at, now=now, corrects=tally)
    if created:
        void_tally(session, user, tally, VoidReason.correction, now)
    return new, created

def values_of(session: Session, tallies: Iterable[Tally]) -> dict[int, dict]:
    """{tally_id: values} in the shape `validate` takes, for bubbles and 'same again'."""
    tallies = list(tallies)
    if not tallies:
        return {}
    specs = {t.field_set_id: spec_of(session, t.field_set_id) for t in tallies}
    kinds = {(fs_id, f.key): f.kind for fs_id, s in specs.items() for f in s.fields}
    known = session.info.get("nara_tally_values", {})
    if all(t.id in known for t in tallies):  # just recorded in this session
        return {t.id: known[t.id] for t in tallies}
    out: dict[int, dict] = {t.id: {} for t in tallies}
    field_sets = {t.id: t.field_set_id for t in tallies}
    rows = session.exec(select(TallyValue).where(TallyValue.tally_id.in_(list(out))))
    for v in rows:
        kind = kinds.get((field_sets[v.tally_id], v.field_key))
        target = out[v.tally_id]
        if kind == Kind.multi:
            target.setdefault(v.field_key, []).append(v.choice)
        elif kind == Kind.split:
            target.setdefault(v.field_key, {})[v.choice] = v.count
        elif kind == Kind.count:
            target[v.field_key] = v.count
        else:
            target[v.field_key] = v.choice
    return out


NOON = time(12, 0)  # an earlier day without a time


def occurred_from(day: str, clock: str, iso: str) -> datetime | None:
    """When the tallied event happened, from the composer: an earlier day and time (local;
    today without a time is now, an earlier day without a time is noon), else the phone's
    ISO time (the outbox pins it when the tally is made). None means now."""
    day, clock, iso = day.strip(), clock.strip(), iso.strip()
    try:
        if day or clock:
            now = utcnow().astimezone(LOCAL_TZ)
            date_part = parse.parse_day(day, "occurred_at") if day else now.date()
            if clock:
                time_part = parse.parse_time(clock, "occurred_at")
            elif date_part == now.date():
                time_part = now.time().replace(second=0, microsecond=0)
            else:
                time_part = NOON
            return datetime.combine(date_part, time_part, tzinfo=LOCAL_TZ).astimezone(UTC)
        if iso:
            parsed = parse.parse_moment(iso, "occurred_at")
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except DomainError:
        raise ValidationErrors({"occurred_at": _l("Enter a date and a time.")}) from None
    return None
