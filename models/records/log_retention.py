"""The access log's own retention: its rows are removed when their period has passed.

The period is data: the `access_log` row of `retention_period` (default 5 years, editable
by an admin like the file kinds'). An access-log row written on local day D is due on the
same day `years` later (a 29 February's row on 28 February); a prune on or after that day
removes it, a prune the day before keeps it.

Two things keep a due row:
- an unsigned log review samples it (the reviewer is still walking it). A signed review
  has its own copy of every sampled row (`LogReviewSnapshot`), so its rows may go.
- nothing else: a destroyed file's rows go by their dates like every other row.

The app's database role may only INSERT and SELECT on the access log (README, "PostgreSQL:
an append-only log"), so `flask records prune-log --confirm` runs under the tables' owner
(its own DATABASE_URL); under the app's role it stops with `PruneRefused` and deletes
nothing. Each prune leaves a destruction-log run with the count only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, not_
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from models.access import AccessLog, User
from models.core.clock import local_midnight, local_today
from models.core.errors import DomainError
from models.records.log_review import LogReviewSample, LogReviewSnapshot
from models.records.retention import ACCESS_LOG_KIND, DestructionRun, finish, periods

LOG_RUN = "access_log"  # DestructionRun.what of a prune


class PruneRefused(DomainError):
    """The database refused the DELETE: the job runs under the app's INSERT-only role."""


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def log_due(day: date, years: int) -> date:
    """The day a row written on local day `day` may be removed."""
    return _years_later(day, years)


def first_kept_day(today: date, years: int) -> date:
    """The earliest local day whose rows are not yet due on `today`."""
    day = _years_later(today, -years) - timedelta(days=2)
    while log_due(day, years) <= today:
        day += timedelta(days=1)
    return day


def _held():
    """Sampled rows that no signed review has a copy of: an open review still needs them."""
    copied = exists().where(and_(LogReviewSnapshot.review_id == LogReviewSample.review_id,
                                 LogReviewSnapshot.access_log_id
                                 == LogReviewSample.access_log_id))
    return select(LogReviewSample.access_log_id).where(not_(copied))


@dataclass
class PrunePlan:
    years: int
    kept_from: date  # rows written before this local day are due
    due: int  # rows due and free to go
    held: int  # rows due but sampled by an open review
    held_reviews: list[int] = field(default_factory=list)

    @property
    def before(self) -> datetime:
        return local_midnight(self.kept_from)


def prune_plan(session: Session, today: date | None = None) -> PrunePlan:
    """How many access-log rows are due today, and how many open reviews still keep."""
    today = today or local_today()
    years = periods(session)[ACCESS_LOG_KIND]
    kept_from = first_kept_day(today, years)
    before = local_midnight(kept_from)
    old = col(AccessLog.at) < before
    held_ids = _held()
    due = session.exec(select(func.count()).select_from(AccessLog).where(
        old, col(AccessLog.id).not_in(held_ids))).one()
    held = session.exec(select(func.count()).select_from(AccessLog).where(
        old, col(AccessLog.id).in_(held_ids))).one()
    reviews = sorted(set(session.exec(select(LogReviewSample.review_id).join(
        AccessLog, col(AccessLog.id) == LogReviewSample.access_log_id).where(
        old, col(LogReviewSample.access_log_id).in_(held_ids))).all()))
    return PrunePlan(years, kept_from, due, held, reviews)


def prune(session: Session, by: User | None = None, today: date | None = None) -> DestructionRun:
    """Delete the due access-log rows (plain DELETE, not flagged) and log the count in a
    destruction run. The caller commits, then calls `finish` (SQLite: no copy stays)."""
    plan = prune_plan(session, today)
    try:
        with session.begin_nested():
            removed = session.execute(delete(AccessLog.__table__).where(
                col(AccessLog.at) < plan.before,
                col(AccessLog.id).not_in(_held()))).rowcount
    except DBAPIError as error:  # e.g. PostgreSQL: permission denied for table access_log
        raise PruneRefused(_l("The database refused to delete access-log rows: run this job "
                              "as the tables' owner (README, the yearly records routine).")
                           ) from error
    run = DestructionRun(by_id=by.id if by else None, year=(today or local_today()).year,
                         outcome="done", what=LOG_RUN, log_rows=removed,
                         log_before=plan.kept_from)
    session.add(run)
    session.flush()
    return run


__all__ = ["LOG_RUN", "PrunePlan", "PruneRefused", "finish", "first_kept_day", "log_due",
           "prune", "prune_plan"]
