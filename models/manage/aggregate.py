"""Statistics for managers: periods, scope, and aggregation in SQL.

Seed 001: aggregated data exists "to follow up the intervention and its effect — local
evidence". Everything here is one GROUP BY over the tally tables (long format, see
models/tally.py) or the journal, written with SQLAlchemy Core so SQLite and PostgreSQL
run the same statement. Python only shapes the handful of result rows.

Times: tallies and entries are stored in UTC; a period is a range of local days
(Europe/Stockholm), turned into UTC bounds here. Buckets inside a period (days, weeks,
months) are a CASE over precomputed UTC bounds, so daylight saving time is right on both
databases without time-zone functions in SQL.

Public functions
- ``period_of(kind, day)``, ``parse_period(kind, day, start, end, today)`` → Period
  (``previous()``, ``following()``, ``buckets()``, ``utc_bounds()``).
- ``scope_for(session, manager, unit_ids, activity_id)`` → Scope (own units only).
- ``tally_total``, ``activity_counts``, ``unit_counts``, ``field_counts``,
  ``bucket_totals``, ``series_counts``, ``cross_counts``: the GROUP BY queries; with
  ``cell_keys=True`` each count comes with its cell key, SUM(record_key) of the same rows
  (the cell-key method of models/manage/protection.py).
- ``lag_by_unit(session, source, unit_ids, period, activity_ids=None)``: median and
  90th percentile of the time from event to note (seed 004: "as close to the event as
  possible"), computed with window functions in SQL.
- ``fields_of(session, activity_ids)``: field keys, kinds, labels and options.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    text,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import NullType
from sqlmodel import Session, col, select

from models import access
from models.access import Unit, User
from models.catalogue import Activity, ActivityUnit, FieldDef, FieldOption, FieldSet, Kind
from models.core import parse
from models.core.clock import LOCAL_TZ, local_midnight
from models.core.errors import DomainError, ValidationErrors
from models.journal.tables import COMPOSER_CATEGORIES, Client, JournalEntry
from models.manage.protection import KEY_SPACE
from models.tally import Tally, TallyValue
from models.tally.daily import NO_OPTION, TALLIES, TallyDay

# --- periods ---------------------------------------------------------------------------


class PeriodKind(StrEnum):
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    custom = "custom"


PERIOD_LABELS = {
    PeriodKind.week: _l("Week"),
    PeriodKind.month: _l("Month"),
    PeriodKind.quarter: _l("Quarter"),
    PeriodKind.year: _l("Year"),
    PeriodKind.custom: _l("Custom"),
}
MAX_CUSTOM_DAYS = 366 * 3


@dataclass(frozen=True)
class Bucket:
    """One step inside a period: a day, an ISO week or a month."""

    kind: str  # day | week | month
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before: the previous calendar week/month/quarter/year, or for
        a custom period the same number of days ending the day before it starts."""
        if self.kind == PeriodKind.custom:
            end = self.start - timedelta(days=1)
            return Period(self.kind, end - timedelta(days=self.days - 1), end)
        return period_of(self.kind, self.start - timedelta(days=1))

    def following(self) -> Period:
        if self.kind == PeriodKind.custom:
            start = self.end + timedelta(days=1)
            return Period(self.kind, start, start + timedelta(days=self.days - 1))
        return period_of(self.kind, self.end + timedelta(days=1))

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnights of the first and the day after
        the last day."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def slug(self) -> str:
        """Short, file-name safe: 2026-11, 2026-W48, 2026-Q4, 2026, 2026-11-01_2026-11-15."""
        if self.kind == PeriodKind.month:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.week:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == PeriodKind.quarter:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.year:
            return f"{self.start.year}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def bucket_kind(self) -> str:
        if self.kind == PeriodKind.week or (self.kind == PeriodKind.custom and self.days <= 31):
            return "day"
        if self.kind == PeriodKind.month or (self.kind == PeriodKind.custom and self.days <= 183):
            return "week"
        return "month"

    def buckets(self) -> list[Bucket]:
        """The steps of the period's series, clipped to the period."""
        kind, out, day = self.bucket_kind(), [], self.start
        while day <= self.end:
            if kind == "day":
                end = day
            elif kind == "week":
                end = day + timedelta(days=6 - day.weekday())
            else:
                end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
            end = min(end, self.end)
            out.append(Bucket(kind, day, end))
            day = end + timedelta(days=1)
        return out




def period_of(kind: str, day: date) -> Period:
    """The calendar period of `kind` that contains `day`."""
    if kind == PeriodKind.week:
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == PeriodKind.month:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    if kind == PeriodKind.quarter:
        first_month = (day.month - 1) // 3 * 3 + 1
        last_month = first_month + 2
        last = calendar.monthrange(day.year, last_month)[1]
        return Period(kind, date(day.year, first_month, 1), date(day.year, last_month, last))
    if kind == PeriodKind.year:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise DomainError(_l("Choose a period."), "period")


def _day(raw, field_name: str, errors: dict) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return parse.parse_day(raw, field_name, required=False)
    except DomainError as error:
        errors[field_name] = error.message
        return None


def parse_period(kind: str | None, day=None, start=None, end=None,
                 today: date | None = None) -> Period:
    """A period from form values; the current month when nothing is given."""
    today = today or datetime.now(LOCAL_TZ).date()
    kind = kind or PeriodKind.month
    errors: dict = {}
    if kind not in PeriodKind.__members__:
        raise ValidationErrors({"period": _l("Choose a period.")})
    if kind != PeriodKind.custom:
        anchor = _day(day, "date", errors) or today
        if errors:
            raise ValidationErrors(errors)
        return period_of(kind, anchor)
    first, last = _day(start, "start", errors), _day(end, "end", errors)
    if not errors:
        if first is None:
            errors["start"] = _l("Give the first day.")
        if last is None:
            errors["end"] = _l("Give the last day.")
    if not errors and last < first:
        errors["end"] = _l("The last day comes before the first.")
    if not errors and (last - first).days + 1 > MAX_CUSTOM_DAYS:
        errors["end"] = _l("A custom period can be at most %(days)d days.", days=MAX_CUSTOM_DAYS)
    if errors:
        raise ValidationErrors(errors)
    return Period(PeriodKind.custom, first, last)


# --- scope: which units and activities -------------------------------------------------


@dataclass(frozen=True)
class Scope:
    units: tuple[Unit, ...]
    activities: tuple[Activity, ...]  # the activities counted (one, or all of the units')
    activity: Activity | None = None  # the one chosen, None for all

    @property
    def unit_ids(self) -> list[int]:
        return [u.id for u in self.units]

    @property
    def activity_ids(self) -> list[int]:
        return [a.id for a in self.activities]


def managed_units(session: Session, manager: User) -> list[Unit]:
    """The units whose statistics this user may read: a manager's own units."""
    if manager.role != access.Role.manager:
        return []
    return access.units_of(session, manager)


def activities_of_units(session: Session, unit_ids: list[int]) -> list[Activity]:
    """Activities with tallies that these units are responsible for, in catalogue order."""
    stmt = (select(Activity).join(ActivityUnit, col(ActivityUnit.activity_id) == Activity.id)
            .where(col(ActivityUnit.unit_id).in_(unit_ids or [-1]),
                   col(Activity.level).in_(("aggregate", "notes")))
            .order_by(Activity.position, Activity.id).distinct())
    return list(session.exec(stmt).all())


def scope_for(session: Session, manager: User, unit_ids, activity_id=None) -> Scope:
    """The manager's chosen units (all own units when none is chosen) and activity."""
    own = {u.id: u for u in managed_units(session, manager)}
    wanted = parse.parse_ids(unit_ids or [])
    if wanted is None or any(u not in own for u in wanted):
        raise DomainError(_l("Choose among your own units."), "unit")
    units = tuple(own[u] for u in sorted(set(wanted))) or tuple(own.values())
    if not units:
        raise DomainError(_l("You manage no unit."), "unit")
    activities = activities_of_units(session, [u.id for u in units])
    chosen = None
    if activity_id not in (None, "", "all"):
        chosen = next((a for a in activities if str(a.id) == str(activity_id)), None)
        if chosen is None:
            raise DomainError(_l("Choose an activity of the chosen units."), "activity")
    return Scope(units, (chosen,) if chosen else tuple(activities), chosen)


# --- aggregation ----------------------------------------------------------------------

# The breakdowns read tally_value by (activity, field, time) and need its unit, voided
# flag, option, count and record key too. With all of them in one index the monthly breakdown never
# touches the table (bench/stats.py, 1M tallies on SQLite: about 210 ms → 65 ms). The tally
# id after the time lets the cross table find a tally's other value in the same index
# (activity, field, time, tally: its value rows share the tally's activity and time). It
# belongs to the tally table but serves statistics, so it is declared here and created by
# migration 0005 (the record key added by 0016_stats18, the tally id by 0018_stats16).
Index("ix_tally_value_stats", TallyValue.activity_id, TallyValue.field_key,
      TallyValue.occurred_at, TallyValue.tally_id, TallyValue.unit_id, TallyValue.voided,
      TallyValue.choice, TallyValue.count, TallyValue.record_key)
# The same for the tallies themselves: totals, units, series and the logging lag read
# (activity, time) and need the unit, the undone mark, the record key and the logging time
# (migration 0018_stats16).
Index("ix_tally_stats", Tally.activity_id, Tally.occurred_at, Tally.unit_id, Tally.voided_at,
      Tally.record_key, Tally.created_at)


def _checked(column):
    """`column + 0`: the same values, but no longer the bare column, so PostgreSQL checks a
    condition on it row by row in the index scan instead of making it an index condition.
    The unit lists come after the time range in the statistics indexes; as an index
    condition, PostgreSQL runs the scan once per unit, which cost the 10 M breakdown a third
    of its time (bench/stats.py). SQLite checks them row by row either way."""
    return column + literal_column("0")


def _custom_plans(session: Session) -> None:
    """On PostgreSQL, plan this transaction's statements for their own values. psycopg
    prepares a statement on its fifth run, and PostgreSQL then soon switches to a generic
    plan, which cannot see how many rows a time range holds: it guessed 45 of the 233,452
    value rows of the 10 M activity-year, sorted them on disk instead of hashing them, and
    took twice as long (bench/stats.py). SET LOCAL ends with the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    done = session.info.get("nara_custom_plans")
    if done is not None and done is session.get_transaction():
        return  # set already in this transaction
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    session.info["nara_custom_plans"] = session.get_transaction()


def _cell(n, key_sum, cell_keys: bool):
    """A cell's count, or (count, cell key) — the key is the sum of the record keys of
    its tallies, reduced to 0 ≤ key < 2³² (models/manage/protection.py)."""
    n = int(n or 0)
    return (n, int(key_sum or 0) % KEY_SPACE) if cell_keys else n


def _days(scope: Scope, period: Period, keys=None):
    """The kept daily counts (models/tally/daily.py) of the scope's activities and units in
    the period: the fields `keys`, or without them the tallies' own row."""
    d = TallyDay
    fields = d.field_key == TALLIES if keys is None else col(d.field_key).in_(list(keys))
    return and_(col(d.activity_id).in_(scope.activity_ids or [-1]), fields,
                d.day >= period.start, d.day <= period.end,
                _checked(d.unit_id).in_(scope.unit_ids or [-1]))


class day_month(FunctionElement):
    """A kept day's month as 'YYYY-MM': the bucket of a year's series without a CASE of
    twelve comparisons per row (that CASE was half of a year's series on SQLite)."""

    type = String()
    inherit_cache = True
    name = "day_month"


@compiles(day_month)
def _month_sqlite(element, compiler, **kw):
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"  # 'YYYY-MM-DD'


@compiles(day_month, "postgresql")
def _month_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


def _day_bucket(period: Period):
    """(the SQL value that tells a kept day's bucket within `period`, that value → the
    bucket's index). Months and days name their bucket themselves; weeks (clipped to the
    period) take a CASE over their last days."""
    buckets = period.buckets()
    if buckets[0].kind == "month":
        months = {f"{b.start:%Y-%m}": i for i, b in enumerate(buckets)}
        return day_month(TallyDay.day), months.__getitem__
    if buckets[0].kind == "day":
        days = {b.start: i for i, b in enumerate(buckets)}
        return TallyDay.day, days.__getitem__
    # every bucket's bound, the last one's too: a one-day period has a single bucket, and
    # CASE needs at least one WHEN (issue 12: `CASE ELSE 0 END` was a syntax error)
    return case(*[(TallyDay.day <= b.end, i) for i, b in enumerate(buckets)],
                else_=len(buckets) - 1), int


def _option(code: str) -> str | None:
    return None if code == NO_OPTION else code


def tally_total(session: Session, scope: Scope, period: Period, *, cell_keys: bool = False):
    """Live tallies (undone and corrected ones excluded) in the period."""
    stmt = (select(func.sum(TallyDay.n), func.sum(TallyDay.key_sum))
            .where(_days(scope, period)))
    n, key_sum = session.exec(stmt).one()
    return _cell(n, key_sum, cell_keys)


def field_counts(session: Session, scope: Scope, period: Period, keys, *,
                 cell_keys: bool = False) -> dict:
    """{(field key, option code): sum of counts}; count fields have code None."""
    keys = list(keys)
    if not keys:
        return {}
    _custom_plans(session)
    stmt = (select(TallyDay.field_key, TallyDay.choice, func.sum(TallyDay.n),
                   func.sum(TallyDay.key_sum))
            .where(_days(scope, period, keys))
            .group_by(TallyDay.field_key, TallyDay.choice))
    return {(f, _option(c)): _cell(n, k, cell_keys) for f, c, n, k in session.exec(stmt)
            if n or k}


def series_counts(session: Session, scope: Scope, period: Period, keys, *,
                  cell_keys: bool = False) -> dict:
    """{(bucket index, field key, option code): sum of counts} — every field at once."""
    keys = list(keys)
    if not keys:
        return {}
    _custom_plans(session)
    bucket, index = _day_bucket(period)
    bucket = bucket.label("bucket")
    stmt = (select(bucket, TallyDay.field_key, TallyDay.choice, func.sum(TallyDay.n),
                   func.sum(TallyDay.key_sum))
            .where(_days(scope, period, keys))
            .group_by(bucket, TallyDay.field_key, TallyDay.choice))
    return {(index(b), f, _option(c)): _cell(n, k, cell_keys)
            for b, f, c, n, k in session.exec(stmt) if n or k}


def value_cells(session: Session, scope: Scope, periods: list[Period],
                fields: list[FieldInfo]) -> list[dict]:
    """For each period, {(bucket index, field key, option code): (count, cell key)} of
    the fields (count fields: code None) — `series_counts` of each period, with keys."""
    keys = [f.key for f in fields if f.options or f.kind == Kind.count]
    return [series_counts(session, scope, period, keys, cell_keys=True) for period in periods]


def tally_cells(session: Session, scope: Scope, period: Period, *,
                buckets: bool = False) -> dict:
    """{(unit id, activity id, bucket index): (count, cell key)} of live tallies, bucket 0
    unless `buckets` — the total, the units', the activities' and the series' counts in
    one GROUP BY: each of them is a sum of these cells, and so is its key
    (`sum_cells`)."""
    _custom_plans(session)
    columns = [TallyDay.unit_id, TallyDay.activity_id]
    index = None
    if buckets:
        bucket, index = _day_bucket(period)
        columns.append(bucket.label("bucket"))
    stmt = (select(*columns, func.sum(TallyDay.n), func.sum(TallyDay.key_sum))
            .where(_days(scope, period)).group_by(*columns))
    return {(row[0], row[1], index(row[2]) if index else 0): _cell(*row[-2:], True)
            for row in session.exec(stmt) if row[-2] or row[-1]}


def sum_cells(cells: dict, part=None) -> dict:
    """{part(key): (count, cell key)} summed over the cells with that part; the keys
    reduced as every cell key is (a sum of record keys modulo 2³²)."""
    out: dict = {}
    for key, (n, k) in cells.items():
        group = part(key) if part else None
        total = out.get(group, (0, 0))
        out[group] = (total[0] + n, (total[1] + k) % KEY_SPACE)
    return out


def cross_counts(session: Session, scope: Scope, period: Period, key_a: str,
                 key_b: str, *, cell_keys: bool = False) -> dict:
    """{(code of field a, code of field b): tallies with both} for two one-choice fields."""
    _custom_plans(session)
    a = TallyValue.__table__.alias("a")
    b = TallyValue.__table__.alias("b")
    start, end = period.utc_bounds()
    stmt = (select(a.c.choice, b.c.choice, func.count(), func.sum(a.c.record_key))
            # a tally's value rows share its activity and time: naming them lets the join
            # seek (activity, field, time, tally) in ix_tally_value_stats
            .select_from(a.join(b, and_(b.c.activity_id == a.c.activity_id,
                                        b.c.field_key == key_b,
                                        b.c.occurred_at == a.c.occurred_at,
                                        # the period again, for b's own index scan:
                                        # without it PostgreSQL reads b's field over
                                        # all time (39,229 rows for 19,414 at 1 M)
                                        b.c.occurred_at >= start, b.c.occurred_at < end,
                                        b.c.tally_id == a.c.tally_id)))
            .where(a.c.activity_id.in_(scope.activity_ids or [-1]), a.c.field_key == key_a,
                   a.c.occurred_at >= start, a.c.occurred_at < end,
                   # the unit list as an index condition: with one field it costs little
                   # and PostgreSQL, seeing how many rows match, merge-joins (66 → 26 ms)
                   a.c.unit_id.in_(scope.unit_ids or [-1]),
                   a.c.voided == False)  # noqa: E712
            .group_by(a.c.choice, b.c.choice))
    return {(x, y): _cell(n, k, cell_keys) for x, y, n, k in session.execute(stmt)}


# --- event-to-note lag ------------------------------------------------------------------


class seconds_between(FunctionElement):
    """later − earlier in seconds, on SQLite and PostgreSQL alike."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw):
    earlier, later = list(element.clauses)
    return (f"((julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)})) * 86400.0)")


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    earlier, later = list(element.clauses)
    return (f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
            f"{compiler.process(earlier, **kw)}))")


LATE_SECONDS = 24 * 3600  # issue 7: a note written more than 24 h after the event
LAG_BIN_SECONDS = 10


class lag_span(FunctionElement):
    """later − earlier as a value that sorts and compares exactly and cheaply: the interval
    on PostgreSQL (its epoch is a numeric, slow to compute and to sort: sorting the numeric
    lags was half of the lag table's time), the seconds (`seconds_between`) on SQLite."""

    inherit_cache = True
    name = "lag_span"


@compiles(lag_span)
def _span_sqlite(element, compiler, **kw):
    return _seconds_sqlite(element, compiler, **kw)


@compiles(lag_span, "postgresql")
def _span_postgresql(element, compiler, **kw):
    earlier, later = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


class lag_is_late(FunctionElement):
    """later − earlier > LATE_SECONDS, exactly (an interval comparison on PostgreSQL)."""

    type = Boolean()
    inherit_cache = True
    name = "lag_is_late"


@compiles(lag_is_late)
def _late_sqlite(element, compiler, **kw):
    return f"({_seconds_sqlite(element, compiler, **kw)} > {LATE_SECONDS})"


@compiles(lag_is_late, "postgresql")
def _late_postgresql(element, compiler, **kw):
    return f"({_span_postgresql(element, compiler, **kw)} > INTERVAL '{LATE_SECONDS} seconds')"


class lag_bin(FunctionElement):
    """The lag's histogram bin: ten seconds wide. Computed from the lag as a float
    (date_part on PostgreSQL, cheap; on SQLite the float `seconds_between` sorts by), so it
    never decreases as the lag grows: no row of a lower bin sorts after a row of a higher
    one. (Lags bunched in one bin only make that bin's ranking as dear as ranking them all
    was.)"""

    type = BigInteger()
    inherit_cache = True
    name = "lag_bin"


def _bin_of(seconds: str) -> str:
    return f"CAST({seconds} / {LAG_BIN_SECONDS} AS BIGINT)"


@compiles(lag_bin)
def _bin_sqlite(element, compiler, **kw):
    return _bin_of(_seconds_sqlite(element, compiler, **kw))


@compiles(lag_bin, "postgresql")
def _bin_postgresql(element, compiler, **kw):
    return _bin_of(f"date_part('epoch', {_span_postgresql(element, compiler, **kw)})")


_ID_HASH = 2654435761  # Knuth's multiplicative hash: 2³² divided by the golden ratio


@dataclass(frozen=True)
class Lag:
    count: int
    median: float | None  # seconds
    p90: float | None
    late: int  # written more than 24 h after the event
    key: int = 0  # cell keys of `count` and `late` (models/manage/protection.py)
    late_key: int = 0

    @property
    def late_share(self) -> float:
        return self.late / self.count if self.count else 0.0


class LagSource(StrEnum):
    tally = "tally"  # time from the event to the tally reaching the server
    journal = "journal"  # time from the event to the journal note being written


def _lag_rows(source: str, unit_ids, period: Period, activity_ids=None):
    """One row per tally or note: its unit, its lag (`lag`: exact seconds, as reported;
    `span`: the same order, cheap to sort; `bin`: its histogram bin; `late`: over 24 h)
    and its record key."""
    start, end = period.utc_bounds()
    if source == LagSource.tally:
        conditions = [col(Tally.unit_id).in_(unit_ids or [-1]), Tally.occurred_at >= start,
                      Tally.occurred_at < end, col(Tally.voided_at).is_(None)]
        if activity_ids is not None:
            conditions.append(col(Tally.activity_id).in_(activity_ids or [-1]))
        times = (Tally.occurred_at, Tally.created_at)
        return select(Tally.unit_id.label("unit_id"),
                      *_lag_columns(*times),
                      Tally.record_key.label("record_key")).where(*conditions)
    # Entries the writer dates themselves; system entries (plan, consent…) are written
    # at the moment they happen and would only pull the median towards zero.
    # Journal entries have no record key of their own: a multiplicative hash of the
    # entry's id (never shown outside the unit's own pages) stands in for one.
    return (select(Client.unit_id.label("unit_id"),
                   *_lag_columns(JournalEntry.occurred_at, JournalEntry.written_at),
                   ((cast(JournalEntry.id, BigInteger) * literal(_ID_HASH, BigInteger))
                    % literal(KEY_SPACE, BigInteger)).label("record_key"))
            .join(Client, col(Client.id) == JournalEntry.client_id)
            .where(col(Client.unit_id).in_(unit_ids or [-1]),
                   col(JournalEntry.category).in_(COMPOSER_CATEGORIES),
                   JournalEntry.occurred_at >= start, JournalEntry.occurred_at < end))


def _lag_columns(earlier, later) -> list:
    return [seconds_between(earlier, later).label("lag"),
            lag_span(earlier, later).label("span"),
            lag_bin(earlier, later).label("bin"),
            lag_is_late(earlier, later).label("late")]


def _ranks(n: int) -> tuple[int, int, int]:
    """The 1-based ranks of the median's one or two middle values and of the 90th
    percentile (nearest rank, ceil(0.9·n))."""
    return (n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10


def rank_places(per_bin: dict[int, int], ranks) -> dict[int, tuple[int, int]]:
    """{rank: (bin, place in the bin)} for 1-based ranks over values counted per bin (a
    histogram of {bin: count}, the bins in ascending order of their values)."""
    out: dict[int, tuple[int, int]] = {}
    wanted = sorted(set(ranks))
    before, i = 0, 0
    for bin_ in sorted(per_bin):
        while i < len(wanted) and wanted[i] <= before + per_bin[bin_]:
            out[wanted[i]] = (bin_, wanted[i] - before)
            i += 1
        before += per_bin[bin_]
    return out


def lag_by_unit(session: Session, source: str, unit_ids, period: Period,
                activity_ids=None) -> dict[int, Lag]:
    """{unit id: Lag} for events in the period. Median: the mean of the middle one or two
    values; 90th percentile: nearest rank, ceil(0.9·n).

    Two statements, neither of which sorts every lag (the window functions that ranked
    them all were a sixth of the statistics report's time, bench/stats.py): a histogram —
    per unit and lag bin, the count and record keys, late or not — gives the counts and
    cell keys and says in which bin, at which place, the ranks fall; then only the rows of
    those bins are ranked, and the ranked rows read."""
    _custom_plans(session)
    lags = _lag_rows(source, unit_ids, period, activity_ids).subquery()
    histogram = (select(lags.c.unit_id, lags.c.bin, lags.c.late, func.count(),
                        func.sum(lags.c.record_key))
                 .group_by(lags.c.unit_id, lags.c.bin, lags.c.late))
    bins: dict[int, dict[int, int]] = {}
    sums: dict[int, list[int]] = {}  # unit: [count, key sum, late, late key sum]
    for unit_id, bin_, late, n, key in session.execute(histogram):
        per_bin = bins.setdefault(unit_id, {})
        per_bin[bin_] = per_bin.get(bin_, 0) + n
        total = sums.setdefault(unit_id, [0, 0, 0, 0])
        total[0] += n
        total[1] += int(key or 0)
        if late:
            total[2] += n
            total[3] += int(key or 0)
    wanted: dict[tuple[int, int], set[int]] = {}  # (unit, bin): places in the bin
    where: dict[tuple[int, int], tuple[int, int]] = {}  # (unit, rank): (bin, place)
    for unit_id, per_bin in bins.items():
        for rank, (bin_, place) in rank_places(per_bin, _ranks(sums[unit_id][0])).items():
            wanted.setdefault((unit_id, bin_), set()).add(place)
            where[(unit_id, rank)] = (bin_, place)
    values: dict[tuple[int, int, int], object] = {}
    if wanted:
        ranked = select(
            lags.c.unit_id, lags.c.bin, lags.c.lag,
            func.row_number().over(partition_by=(lags.c.unit_id, lags.c.bin),
                                   order_by=lags.c.span).label("place"),
        ).where(or_(*[and_(lags.c.unit_id == u,
                           lags.c.bin.in_(sorted(b for v, b in wanted if v == u)))
                      for u in sorted({u for u, _b in wanted})])).subquery()
        # the lags as the driver gives them (a numeric on PostgreSQL: exact, as avg() had
        # them), so that the mean of two is the one SQL gave
        stmt = select(ranked.c.unit_id, ranked.c.bin, ranked.c.place,
                      type_coerce(ranked.c.lag, NullType())).where(
            or_(*[and_(ranked.c.unit_id == u, ranked.c.bin == b,
                       ranked.c.place.in_(sorted(places)))
                  for (u, b), places in wanted.items()]))
        values = {(u, b, p): lag for u, b, p, lag in session.execute(stmt)}
    out = {}
    for unit_id, (count, key, late, late_key) in sums.items():
        low, high, p90 = (values[(unit_id, *where[(unit_id, r)])]
                          for r in _ranks(count))
        # the mean of the middle values as SQL's avg() gave it: one value is itself
        median = low if low == high else (low + high) / 2
        out[unit_id] = Lag(count, _seconds(median), _seconds(p90), late,
                           key % KEY_SPACE, late_key % KEY_SPACE)
    return out


def _seconds(value) -> float | None:
    # A phone's clock may run slightly ahead: a negative lag is reported as none.
    return None if value is None else max(0.0, float(value))


# --- field definitions -------------------------------------------------------------------


@dataclass
class FieldInfo:
    key: str
    kind: str
    label: str
    label_en: str | None
    required: bool
    options: list[tuple[str, str, str | None]] = field(default_factory=list)  # code, sv, en

    def text(self, locale: str = "sv") -> str:
        return self.label_en if locale == "en" and self.label_en else self.label

    def option_text(self, code: str | None, locale: str = "sv") -> str:
        for c, sv, en in self.options:
            if c == code:
                return en if locale == "en" and en else sv
        return code or ""

    @property
    def categorical(self) -> bool:
        return self.kind in (Kind.choice, Kind.age, Kind.multi, Kind.split)

    @property
    def single_choice(self) -> bool:
        return self.kind in (Kind.choice, Kind.age)


def fields_of(session: Session, activity_ids, unit_ids=None) -> list[FieldInfo]:
    """Fields of these activities in form order. Newer field-set versions decide labels
    and option order; options only older versions had are kept at the end, so old
    tallies still have a row."""
    sets = [fs_id for (fs_id,) in session.execute(
        select(FieldSet.id).where(col(FieldSet.activity_id).in_(list(activity_ids) or [-1]))
        .order_by(col(FieldSet.id).desc()))]
    if not sets:
        return []
    rank = {fs_id: i for i, fs_id in enumerate(sets)}
    defs = sorted(session.exec(select(FieldDef).where(col(FieldDef.field_set_id).in_(sets))),
                  key=lambda d: (rank[d.field_set_id], d.position))
    infos: dict[str, FieldInfo] = {}
    order: dict[str, int] = {}
    for d in defs:
        if d.key not in infos:
            infos[d.key] = FieldInfo(d.key, d.kind, d.label, d.label_en, d.required)
            order[d.key] = d.position
    options = sorted(
        session.exec(select(FieldOption).where(col(FieldOption.field_set_id).in_(sets))),
        key=lambda o: (rank[o.field_set_id], o.position))
    seen: set[tuple[str, str]] = set()
    for o in options:
        if (o.field_key, o.code) not in seen and o.field_key in infos:
            seen.add((o.field_key, o.code))
            infos[o.field_key].options.append((o.code, o.label, o.label_en))
    return sorted(infos.values(), key=lambda f: order[f.key])
