"""The manager's day feed: a unit's entries of one day, its alerts, and the daily review.

Design card "managers checking daily entries". For one unit and one local day:
- tallies per activity, counted so far, and by whom (the manager's eyes only: the day
  feed is never exported, and statistics never carry a person);
- journal entries written that day (client, category, author, event and writing time,
  the time from event to note, and the first lines of the text; the whole text stays in
  the journal, where opening an entry logs the read);
- alerts: missed visits, deviations, reports under SoL 14:1, and notes written more
  than 24 hours after the event (seed 004: "as close to the event as possible");
- the daily review: a manager signs the day off, with the time and any comment, like a
  care app's shift sign-off.

"A day" means what was registered that day (tallies by `created_at`, notes by
`written_at`), in the feed and in the inbox line alike (`day_counts`): a note written today
about last week is today's work, and shows with its "late" alert. Backdated tallies count
on the day they were registered, too.

Working notes never appear: only their tallies, like any tally (models/notes.py keeps
the notes themselves to their owner).

Listing a client's name and what was written about them is a journal read (seed 003):
each client shown gets an access-log row, once per quarter of an hour and again as soon
as something new about them appears, so a feed polled every 30 s neither floods the
log nor hides a read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from models import access
from models.access import AccessLog, Role, Unit, User
from models.access.inbox import Thread, last_read, thread_provider
from models.catalogue import Activity
from models.core import parse
from models.core.clock import local_midnight, local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.journal.shift import EntryRow, entries_for_units_on
from models.journal.tables import Client, JournalEntry, log_client_access
from models.manage.aggregate import LATE_SECONDS
from models.tally import Tally

COMMENT_MAX = 500
FEED_LOG_ACTION = "feed.read"
FEED_LOG_EVERY = timedelta(minutes=15)
HISTORY_DAYS = 366  # how far back the date picker goes

ALERTS = {
    "missed_visit": _l("Missed visit"),
    "deviation": _l("Deviation"),
    "concern_report": _l("Report under SoL 14:1"),
    "late": _l("Written more than 24 h after the event"),
}


class DayReview(SQLModel, table=True):
    """A manager's sign-off of one unit's day. Kept as written; one per manager."""

    __tablename__ = "day_review"
    __table_args__ = (
        UniqueConstraint("unit_id", "day", "reviewed_by", name="uq_day_review_unit_day_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    day: date
    reviewed_by: int = Field(foreign_key="app_user.id")
    reviewed_at: datetime = Field(default_factory=utcnow)
    comment: str = Field(default="", max_length=COMMENT_MAX)


# --- reading the day ---------------------------------------------------------------------


@dataclass
class ActivityToday:
    activity: Activity
    count: int
    last_at: datetime | None
    by_user: list[tuple[User, int]] = field(default_factory=list)


EXCERPT_CHARS = 180
EXCERPT_LINES = 3


def excerpt(text: str, limit: int = EXCERPT_CHARS, lines: int = EXCERPT_LINES) -> str:
    """The first lines of a note, cut at a word and marked with … when there is more."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    short = "\n".join(kept[:lines])
    more = len(kept) > lines
    if len(short) > limit:
        short = short[:limit].rsplit(None, 1)[0] if " " in short[:limit] else short[:limit]
        more = True
    return short.rstrip(" ,.;:") + "…" if more else short


@dataclass
class FeedEntry:
    entry: JournalEntry
    client: Client
    author: User
    alerts: list[str] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return "late" in self.alerts

    @property
    def first_lines(self) -> str:
        return excerpt(self.entry.text)

    @property
    def lag_seconds(self) -> float:
        """From the event to the note (never below zero: a note about a planned event)."""
        return max(0.0, (self.entry.written_at - self.entry.occurred_at).total_seconds())


@dataclass
class DayFeed:
    unit: Unit
    day: date
    activities: list[ActivityToday]
    entries: list[FeedEntry]
    reviews: list[tuple[DayReview, User]]

    @property
    def tally_count(self) -> int:
        return sum(a.count for a in self.activities)

    @property
    def alerts(self) -> list[tuple[str, FeedEntry]]:
        return [(code, e) for e in self.entries for code in e.alerts]

    @property
    def latest_at(self) -> datetime | None:
        times = [a.last_at for a in self.activities if a.last_at]
        times += [e.entry.written_at for e in self.entries]
        return max(times) if times else None

    def reviewed_by(self, user: User) -> DayReview | None:
        return next((r for r, u in self.reviews if u.id == user.id), None)


def check_day(day: date, today: date | None = None) -> date:
    today = today or local_today()
    if day > today:
        raise ValidationErrors({"day": _l("That day has not happened yet.")})
    if day < today - timedelta(days=HISTORY_DAYS):
        raise ValidationErrors({"day": _l("Choose a day within the last year.")})
    return day


def parse_day(raw: str | None, today: date | None = None) -> date:
    """The date picker's YYYY-MM-DD; today when empty."""
    try:
        day = parse.parse_day(raw, "day", required=False)
    except DomainError as error:
        raise ValidationErrors({"day": error.message}) from None
    return check_day(day, today) if day else today or local_today()


def alerts_of(entry: JournalEntry) -> list[str]:
    codes = []
    if entry.topic == "missed_visit":
        codes.append("missed_visit")
    if entry.category in ("deviation", "concern_report"):
        codes.append(entry.category)
    if (entry.written_at - entry.occurred_at).total_seconds() > LATE_SECONDS:
        codes.append("late")
    return codes


def tallies_of_day(session: Session, unit_id: int, day: date) -> list[ActivityToday]:
    """Live tallies registered that day, per activity and person."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    stmt = (select(Tally.activity_id, Tally.user_id, func.count(), func.max(Tally.created_at))
            .where(Tally.unit_id == unit_id, Tally.created_at >= start, Tally.created_at < end,
                   col(Tally.voided_at).is_(None))
            .group_by(Tally.activity_id, Tally.user_id))
    rows = session.exec(stmt).all()
    activities = _by_id(session, Activity, {r[0] for r in rows})
    users = _by_id(session, User, {r[1] for r in rows})
    out: dict[int, ActivityToday] = {}
    for activity_id, user_id, count, last in rows:
        item = out.setdefault(activity_id, ActivityToday(activities[activity_id], 0, None))
        item.count += int(count)
        item.last_at = max(t for t in (item.last_at, last) if t is not None)
        item.by_user.append((users[user_id], int(count)))
    for item in out.values():
        item.by_user.sort(key=lambda pair: (-pair[1], pair[0].display_name))
    return sorted(out.values(), key=lambda a: (a.activity.position, a.activity.id))


def _by_id(session: Session, model, ids: Iterable[int]) -> dict:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {o.id: o for o in session.exec(select(model).where(col(model.id).in_(ids)))}


def day_feed(session: Session, manager: User, unit: Unit, day: date,
             request_id: str | None = None, now: datetime | None = None) -> DayFeed:
    """The day of one unit for one of its managers; logs the clients it shows."""
    if not access.is_manager_of(session, manager, unit.id):
        raise DomainError(_l("Only the unit's managers see its day."))
    rows: list[EntryRow] = entries_for_units_on(session, [unit.id], day)
    entries = [FeedEntry(r.entry, r.client, r.author, alerts_of(r.entry)) for r in rows]
    _log_shown(session, manager, entries, request_id, now or utcnow())
    reviews = session.exec(
        select(DayReview, User).join(User, col(User.id) == DayReview.reviewed_by)
        .where(DayReview.unit_id == unit.id, DayReview.day == day)
        .order_by(col(DayReview.reviewed_at))).all()
    return DayFeed(unit, day, tallies_of_day(session, unit.id, day), entries, list(reviews))


def _log_shown(session: Session, manager: User, entries: list[FeedEntry],
               request_id: str | None, now: datetime) -> None:
    newest: dict[int, datetime] = {}
    for e in entries:
        newest[e.client.id] = max(newest.get(e.client.id, e.entry.written_at),
                                  e.entry.written_at)
    if not newest:
        return
    logged = dict(session.exec(
        select(AccessLog.subject_id, func.max(AccessLog.at))
        .where(AccessLog.user_id == manager.id, AccessLog.subject_type == "client",
               AccessLog.action == FEED_LOG_ACTION, col(AccessLog.subject_id).in_(newest),
               AccessLog.at >= now - FEED_LOG_EVERY)
        .group_by(AccessLog.subject_id)).all())
    for client_id, written in sorted(newest.items()):
        last = logged.get(client_id)
        if last is None or last < written:
            log_client_access(session, manager, client_id, FEED_LOG_ACTION, "granted",
                              request_id)


# --- the daily review ---------------------------------------------------------------------


def review_day(session: Session, manager: User, unit: Unit, day: date, comment: str = "",
               now: datetime | None = None) -> DayReview:
    """Mark a unit's day reviewed, with any comment. Once per manager and day."""
    now = now or utcnow()
    if not access.is_manager_of(session, manager, unit.id):
        raise DomainError(_l("Only the unit's managers review its day."))
    errors = {}
    try:
        check_day(day, local_today(now))
    except ValidationErrors as invalid:
        errors.update(invalid.errors)
    try:
        comment = parse.clean_text(comment, "comment", COMMENT_MAX, lines=True)
    except DomainError as error:
        errors["comment"] = error.message
    existing = session.exec(select(DayReview).where(
        DayReview.unit_id == unit.id, DayReview.day == day,
        DayReview.reviewed_by == manager.id)).first()
    if existing is not None:
        errors["comment"] = _l("You have already marked this day reviewed.")
    if errors:
        raise ValidationErrors(errors)
    review = DayReview(unit_id=unit.id, day=day, reviewed_by=manager.id, reviewed_at=now,
                       comment=comment)
    session.add(review)
    session.flush()
    return review


# --- the inbox: one thread per managed unit, plus statistics and follow-ups -------------


def day_thread_key(unit_id: int) -> str:
    return f"unit-day:{unit_id}"


def _news_since(session: Session, unit_id: int, since: datetime,
                until: datetime | None = None, inclusive: bool = False) -> tuple[int, int]:
    """(tallies, notes) registered after `since` (from it, if inclusive), before `until`."""
    tally_from = Tally.created_at >= since if inclusive else Tally.created_at > since
    note_from = (JournalEntry.written_at >= since if inclusive
                 else JournalEntry.written_at > since)
    tally_where = [Tally.unit_id == unit_id, tally_from, col(Tally.voided_at).is_(None)]
    note_where = [Client.unit_id == unit_id, note_from]
    if until is not None:
        tally_where.append(Tally.created_at < until)
        note_where.append(JournalEntry.written_at < until)
    tallies = session.exec(select(func.count()).select_from(Tally).where(*tally_where)).one()
    entries = session.exec(select(func.count()).select_from(JournalEntry)
                           .join(Client, col(Client.id) == JournalEntry.client_id)
                           .where(*note_where)).one()
    return int(tallies), int(entries)


def day_counts(session: Session, unit_id: int, day: date) -> tuple[int, int]:
    """(tallies, notes) registered on a local day: the inbox line and the feed's count."""
    return _news_since(session, unit_id, local_midnight(day),
                       local_midnight(day + timedelta(days=1)), inclusive=True)


def counts_line(tallies: int, notes: int, today: bool = True) -> str:
    """'Registered today: 12 tallies · 3 notes', the words the inbox and the feed share."""
    counts = "{} · {}".format(ngettext("%(num)d tally", "%(num)d tallies", tallies),
                              ngettext("%(num)d note", "%(num)d notes", notes))
    if today:
        return _("Registered today: %(counts)s", counts=counts)
    return _("Registered this day: %(counts)s", counts=counts)


@thread_provider
def manager_threads(session: Session, user: User) -> list[Thread]:
    """A manager's inbox: each unit's day, then statistics and follow-ups."""
    if user.role != Role.manager:
        return []
    units = access.units_of(session, user)
    if not units:
        return []
    now = utcnow()
    today = local_today(now)
    midnight = local_midnight(today)
    threads = []
    for unit in units:
        key = day_thread_key(unit.id)
        since = max(last_read(session, user, key) or midnight, midnight)
        tallies, entries = day_counts(session, unit.id, today)
        new = sum(_news_since(session, unit.id, since))
        reviewed = session.exec(select(DayReview.id).where(
            DayReview.unit_id == unit.id, DayReview.day == today)).first()
        threads.append(Thread(
            key=key, title=unit.name, endpoint="manage.day", values={"unit_id": unit.id},
            last_line=counts_line(tallies, entries), time=_latest(session, unit.id, midnight),
            kind="unit", unread=new, section="units",
            # a count of registrations, not of unread messages: said in words
            count_text=ngettext("%(num)d new", "%(num)d new", new) if new else "",
            badge=str(_l("Reviewed")) if reviewed else ""))
    from models.manage.follow_ups import overdue_count

    overdue = overdue_count(session, [u.id for u in units])
    threads.append(Thread(
        key="manage:follow-ups", title=str(_l("Follow-ups")), endpoint="manage.follow_ups",
        last_line=str(_l("Plans to follow up, assignments without a plan, consents")),
        kind="unit", badge=ngettext("%(num)d overdue", "%(num)d overdue", overdue)
        if overdue else ""))
    threads.append(Thread(
        key="manage:stats", title=str(_l("Statistics")), endpoint="manage.stats",
        last_line=str(_l("Tallies per period, charts and exports")), kind="unit"))
    threads.append(Thread(
        key="manage:yesterday", title=str(_l("Yesterday in all units")),
        endpoint="manage.yesterday",
        last_line=str(_l("Every unit's tallies and notes of yesterday, on one page")),
        kind="unit"))
    threads.append(Thread(
        key="manage:access-log", title=str(_l("Access log")), endpoint="journal.access_log",
        last_line=str(_l("Who read or wrote what about your units' clients")), kind="unit"))
    threads.append(Thread(
        key="manage:new-client", title=str(_l("New client")), endpoint="journal.new_client",
        last_line=str(_l("Open a file: the first assignment and staff")), kind="unit"))
    return threads


def _latest(session: Session, unit_id: int, since: datetime) -> datetime | None:
    tally = session.exec(select(func.max(Tally.created_at)).where(
        Tally.unit_id == unit_id, Tally.created_at >= since)).one()
    entry = session.exec(select(func.max(JournalEntry.written_at))
                         .join(Client, col(Client.id) == JournalEntry.client_id)
                         .where(Client.unit_id == unit_id,
                                JournalEntry.written_at >= since)).one()
    times = [t for t in (tally, entry) if t is not None]
    return max(times) if times else None
