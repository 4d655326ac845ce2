"""Retention and destruction (gallring) of client files, seeds 002 and 003.

A file is kept for its assignment kinds' retention periods (data: `RetentionPeriod`, one
row per kind, each citing its seed, editable by an admin), then destroyed: its rows are
deleted, not flagged. Files of people born on day 5, 15 or 25 go to the archive first
(models/records/archive.py). A legal hold stops destruction until it is lifted. Every run
leaves a destruction log of counts and archive package ids: never a name, never content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Role, Unit, User, log_access
from models.access.inbox import Thread, thread_provider
from models.core.clock import LOCAL_TZ, local_today
from models.core.db import insert_missing, lower_text, utcnow
from models.core.errors import DomainError
from models.core.parse import clean_text
from models.journal.file import ClientFile, whole_file
from models.journal.tables import (
    Assignment,
    Client,
    Consent,
    DestroyedFile,
    GoalOutcome,
    JournalEntry,
    Plan,
    PlanGoal,
    ShiftRead,
    StaffAssignment,
    parse_personal_number,
)
from models.notes.shredding import wipe_freed_pages
from models.records.archive import (
    PackageError,
    born_on_archive_day,
    remove_package,
    verify_package,
    write_package,
)
from models.records.deviations import Deviation
from models.records.self_checks import SelfCheckItem

ACCESS_LOG_KIND = "access_log"  # the access log's own retention, a row like the others
REASON_MAX = 300

# The defaults the migration seeds (0011); the table is the truth, admins edit it.
DEFAULT_PERIODS = {
    "sol": (5, "Seed 003: SoL files are kept 5 years after the last entry."),
    "lss": (5, "Seed 003: LSS files are kept 5 years after the last entry."),
    "service": (2, "Seed 002: service interventions are kept 2 years after the last entry."),
    ACCESS_LOG_KIND: (5, "Issue 14: access-log rows are kept 5 years from the row's date."),
}
# The seeded sources in words for the page (the stored text is the migration's English):
# an admin reads them in their language until someone cites a decision of their own.
DEFAULT_SOURCE_TEXTS = {
    "sol": _l("Seed 003: SoL files are kept 5 years after the last entry."),
    "lss": _l("Seed 003: LSS files are kept 5 years after the last entry."),
    "service": _l("Seed 002: service interventions are kept 2 years after the last entry."),
    ACCESS_LOG_KIND: _l("Access-log rows are kept 5 years from the row's date (the access "
                        "log's own retention)."),
}


def source_text(kind: str, source: str) -> str:
    """A period's cited source as the page shows it: a seeded one translated."""
    default = DEFAULT_PERIODS.get(kind)
    if default is not None and source == default[1]:
        return str(DEFAULT_SOURCE_TEXTS[kind])
    return source


# --- tables ------------------------------------------------------------------------------


class RetentionPeriod(SQLModel, table=True):
    """How many years a kind of record is kept, and where that rule comes from."""

    __tablename__ = "retention_period"

    kind: str = Field(primary_key=True, max_length=16)  # an assignment kind, or access_log
    years: int
    source: str = Field(max_length=200)  # the seed or decision the period cites
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class LegalHold(SQLModel, table=True):
    """Destruction of a file is stopped (a request to read, an appeal, a police request)."""

    __tablename__ = "legal_hold"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    reason: str = Field(max_length=REASON_MAX)
    set_by_id: int = Field(foreign_key="app_user.id")
    set_at: datetime = Field(default_factory=utcnow)
    lifted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lifted_at: datetime | None = None


class DestructionRun(SQLModel, table=True):
    """One executed run: who, when, for which year, and how it ended. A run of files
    (`what` "files") has its counts per unit in DestructionLog; a prune of the access log
    (`what` "access_log", models/records/log_retention.py) has its count of rows here."""

    __tablename__ = "destruction_run"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    by_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the command
    year: int
    outcome: str = Field(max_length=16)  # done | failed
    files: int = 0
    archived: int = 0
    what: str = Field(default="files", max_length=16)  # files | access_log
    log_rows: int = 0  # access-log rows removed
    log_before: date | None = None  # rows written before this local day were due


class DestructionLog(SQLModel, table=True):
    """Counts of one run for one unit and assignment kind. No names, no content."""

    __tablename__ = "destruction_log"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="destruction_run.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    kind: str = Field(max_length=16)
    files: int = 0
    assignments: int = 0
    entries: int = 0
    plans: int = 0
    goals: int = 0
    consents: int = 0
    staff: int = 0
    archived: int = 0


class ArchivedPackage(SQLModel, table=True):
    """An archive package written and verified by a run (its id names its folder)."""

    __tablename__ = "archived_package"

    package_id: str = Field(primary_key=True, max_length=64)
    run_id: int = Field(foreign_key="destruction_run.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    mets_sha256: str = Field(max_length=64)


# --- retention periods (data) ---------------------------------------------------------


def period_rows(session: Session) -> list[RetentionPeriod]:
    """Every kind's row. Migration 0011 seeds them; a kind without a row (a new kind, an
    emptied table) gets its cited default row here, so no kind is ever kept forever."""
    rows = {p.kind: p for p in session.exec(select(RetentionPeriod)).all()}
    missing = [{"kind": kind, "years": years, "source": source, "updated_at": utcnow(),
                "updated_by_id": None}
               for kind, (years, source) in DEFAULT_PERIODS.items() if kind not in rows]
    if missing:  # tolerates two first readers at once (no duplicate key, no error)
        insert_missing(session, RetentionPeriod, missing, ["kind"])
        rows = {p.kind: p for p in session.exec(select(RetentionPeriod)).all()}
    return [rows[k] for k in sorted(rows)]


def periods(session: Session) -> dict[str, int]:
    """{kind: years}, from the table."""
    return {p.kind: p.years for p in period_rows(session)}


def set_period(session: Session, admin: User, kind: str, years, source: str) -> RetentionPeriod:
    """An admin changes a kind's period (e.g. after a new law); the source must be cited."""
    row = {p.kind: p for p in period_rows(session)}.get(kind)
    if row is None:
        raise DomainError(_l("Unknown kind of record."), "kind")
    try:
        years = int(str(years).strip())
    except ValueError:
        years = 0
    if not 1 <= years <= 100:
        raise DomainError(_l("Write a number of years from 1 to 100."), "years")
    row.source = clean_text(source, "source", 200, _l("Cite the rule the period comes from."))
    row.years, row.updated_at, row.updated_by_id = years, utcnow(), admin.id
    session.add(row)
    session.flush()
    return row


# --- the due date ----------------------------------------------------------------------


def due_date(last_by_kind: dict[str, date], years: dict[str, int], open_file: bool,
             created_on: date | None = None) -> date | None:
    """The day a file may be destroyed, or None while it must be kept.

    The rule: for each assignment kind of the file, take the day of its last entry of that
    kind in the file's unit; the file is due at the end of the calendar year in which that
    kind's retention period (years) has passed: 31 December of (that year + years). With
    entries under several kinds, the latest of these days wins (the longer period). A file
    with an open assignment is never due. A kind without entries counts from its
    assignment's last day (given in `last_by_kind` by the caller); a file with neither
    entries nor assignments counts from the day it was created, with the longest period.
    Leap days do not matter: only the year of the last day counts. The file is due on the
    due date itself (the yearly run happens at the end of the year).
    """
    if open_file:
        return None
    if not last_by_kind:
        if created_on is None or not years:
            return None
        return date(created_on.year + max(years.values()), 12, 31)
    return max(date(day.year + years[kind], 12, 31) for kind, day in last_by_kind.items())


def _local(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def last_days(session: Session, client_ids: list[int]) -> dict[int, dict[str, date]]:
    """{client id: {kind: day of the last entry (or the assignment's last day)}}."""
    result: dict[int, dict[str, date]] = {}
    stmt = (select(Assignment.client_id, Assignment.kind, func.max(JournalEntry.written_at))
            .join(JournalEntry, col(JournalEntry.assignment_id) == Assignment.id)
            .where(col(Assignment.client_id).in_(client_ids or [-1]))
            .group_by(Assignment.client_id, Assignment.kind))
    for client_id, kind, last in session.exec(stmt):
        result.setdefault(client_id, {})[kind] = _local(last)
    for a in session.exec(select(Assignment).where(col(Assignment.client_id).in_(
            client_ids or [-1]))):
        kinds = result.setdefault(a.client_id, {})
        if a.kind not in kinds:
            kinds[a.kind] = a.ended_on or a.started_on
    return result


# --- legal holds -------------------------------------------------------------------------


def set_hold(session: Session, by: User, client: Client, reason: str) -> LegalHold:
    reason = clean_text(reason, "reason", REASON_MAX, _l("Write why the file is held."))
    hold = LegalHold(client_id=client.id, reason=reason, set_by_id=by.id)
    session.add(hold)
    session.flush()
    return hold


def lift_hold(session: Session, by: User, hold: LegalHold) -> LegalHold:
    if hold.lifted_at is not None:
        raise DomainError(_l("The hold is already lifted."))
    hold.lifted_at, hold.lifted_by_id = utcnow(), by.id
    session.add(hold)
    session.flush()
    return hold


def active_holds(session: Session, client_ids=None) -> dict[int, LegalHold]:
    stmt = select(LegalHold).where(col(LegalHold.lifted_at).is_(None))
    if client_ids is not None:
        stmt = stmt.where(col(LegalHold.client_id).in_(list(client_ids) or [-1]))
    return {h.client_id: h for h in session.exec(stmt.order_by(col(LegalHold.id)))}


# --- the plan ----------------------------------------------------------------------------


@dataclass
class DueFile:
    """A file with its assignment kinds, due date (None while an assignment is open) and
    active hold: a row of the plan, or a file the records officer searched for."""

    client: Client
    unit: Unit
    kinds: list[str]
    due: date | None
    hold: LegalHold | None = None

    @property
    def archive(self) -> bool:
        return born_on_archive_day(self.client.personal_number, self.client.reserve_number)


@dataclass
class UnitPlan:
    unit: Unit
    files: list[DueFile] = field(default_factory=list)

    def count(self, what: str) -> int:
        held = [f for f in self.files if f.hold]
        archive = [f for f in self.files if not f.hold and f.archive]
        return {"due": len(self.files), "held": len(held), "archive": len(archive),
                "destroy": len(self.files) - len(held)}[what]


def to_run(plans: list[UnitPlan]) -> int:
    """How many files a run would archive or destroy: the due files that no hold stops."""
    return sum(p.count("destroy") for p in plans)


def run_day(year: int, today: date | None = None) -> date:
    """The last day a run for `year` looks at: 31 December, or today if that is earlier."""
    today = today or local_today()
    if year > today.year:
        raise DomainError(_l("A run cannot be for a year that has not come."), "year")
    return min(date(year, 12, 31), today)


def plan(session: Session, year: int, today: date | None = None) -> list[UnitPlan]:
    """Every file due by the end of `year` (never after today), grouped by unit."""
    until = run_day(year, today)
    years = {k: v for k, v in periods(session).items() if k != ACCESS_LOG_KIND}
    clients = session.exec(select(Client).order_by(Client.unit_id, Client.name)).all()
    ids = [c.id for c in clients]
    open_ids = set(session.exec(select(Assignment.client_id).where(
        col(Assignment.ended_on).is_(None), col(Assignment.client_id).in_(ids or [-1]))))
    last = last_days(session, ids)
    holds = active_holds(session, ids)
    units = {u.id: u for u in session.exec(select(Unit))}
    by_unit: dict[int, UnitPlan] = {}
    for c in clients:
        kinds = last.get(c.id, {})
        due = due_date(kinds, years, c.id in open_ids, _local(c.created_at))
        if due is not None and due <= until:
            row = DueFile(c, units[c.unit_id], sorted(kinds), due, holds.get(c.id))
            by_unit.setdefault(c.unit_id, UnitPlan(units[c.unit_id])).files.append(row)
    return sorted(by_unit.values(), key=lambda p: p.unit.name)


def log_plan_listing(session: Session, user: User, plans: list[UnitPlan]) -> None:
    """Names in a plan are shown to the records role only, and every listing is logged."""
    if user.role != Role.records:
        raise DomainError(_l("Only the records officer sees the names in a plan."))
    for unit_plan in plans:
        for f in unit_plan.files:
            log_access(session, user, "client", f.client.id, "records.plan")


# --- finding any file to hold -------------------------------------------------------------

SEARCH_MAX = 20
SEARCH_MESSAGE = _l("Write a personnummer or at least two letters of a name.")


def _files(session: Session, clients: list[Client]) -> list[DueFile]:
    ids = [c.id for c in clients]
    years = {k: v for k, v in periods(session).items() if k != ACCESS_LOG_KIND}
    open_ids = set(session.exec(select(Assignment.client_id).where(
        col(Assignment.ended_on).is_(None), col(Assignment.client_id).in_(ids or [-1]))))
    last = last_days(session, ids)
    holds = active_holds(session, ids)
    units = {u.id: u for u in session.exec(select(Unit).where(
        col(Unit.id).in_({c.unit_id for c in clients} or {-1})))}
    return [DueFile(c, units[c.unit_id], sorted(last.get(c.id, {})),
                    due_date(last.get(c.id, {}), years, c.id in open_ids, _local(c.created_at)),
                    holds.get(c.id)) for c in clients]


def find_files(session: Session, user: User, query) -> list[DueFile]:
    """The records officer finds any file (to hold it, planned or not): by personnummer
    (any written form: exact match) or by part of the name. At most SEARCH_MAX files, by
    name. Every file shown is access-logged ("records.search"); a search that finds nothing
    leaves a row too (without the query: that is personal data)."""
    if user.role != Role.records:
        raise DomainError(_l("Only the records officer searches for files."))
    text = clean_text(query, "q", 120, SEARCH_MESSAGE)
    if any(ch.isdigit() for ch in text):
        number, _born = parse_personal_number(text)
        stmt = select(Client).where(Client.personal_number == number)
    else:
        if len(text) < 2:
            raise DomainError(SEARCH_MESSAGE, "q")
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = select(Client).where(lower_text(Client.name).like(pattern.lower()))
    clients = list(session.exec(stmt.order_by(col(Client.name), col(Client.id))
                                .limit(SEARCH_MAX)))
    for c in clients:
        log_access(session, user, "client", c.id, "records.search")
    if not clients:
        log_access(session, user, "client", None, "records.search")
    return _files(session, clients)


def held_file(session: Session, user: User, client: Client) -> DueFile:
    """One file shown to the records officer again (after a refused hold), access-logged."""
    log_access(session, user, "client", client.id, "records.search")
    return _files(session, [client])[0]


# --- the run -----------------------------------------------------------------------------


class RunFailed(DomainError):
    """Writing or verifying an archive package failed: nothing was destroyed."""


def _delete_file(session: Session, client: Client, log: DestructionLog) -> None:
    """Delete every row of the file (children first): plain DELETEs, no ORM events."""
    assignment_ids = select(Assignment.id).where(Assignment.client_id == client.id)
    plan_ids = select(Plan.id).where(col(Plan.assignment_id).in_(assignment_ids))
    entry_ids = select(JournalEntry.id).where(JournalEntry.client_id == client.id)
    run = session.execute
    run(delete(GoalOutcome).where(col(GoalOutcome.entry_id).in_(entry_ids)))
    run(delete(ShiftRead).where(ShiftRead.client_id == client.id))
    # The unit's quality records stay (they have their own retention) but lose the link:
    # a deviation or a self-check row no longer points at a file that is gone.
    run(update(Deviation).where(Deviation.client_id == client.id)
        .values(client_id=None, entry_id=None))
    run(update(SelfCheckItem).where(SelfCheckItem.client_id == client.id).values(client_id=None))
    log.entries += run(delete(JournalEntry).where(JournalEntry.client_id == client.id)).rowcount
    log.goals += run(delete(PlanGoal).where(col(PlanGoal.plan_id).in_(plan_ids))).rowcount
    log.plans += run(delete(Plan).where(col(Plan.assignment_id).in_(assignment_ids))).rowcount
    log.consents += run(delete(Consent).where(Consent.client_id == client.id)).rowcount
    log.staff += run(delete(StaffAssignment).where(
        StaffAssignment.client_id == client.id)).rowcount
    run(delete(LegalHold).where(LegalHold.client_id == client.id))  # lifted ones only
    log.assignments += run(delete(Assignment).where(Assignment.client_id == client.id)).rowcount
    run(delete(Client).where(Client.id == client.id))
    run(insert(DestroyedFile), {"client_id": client.id, "unit_id": client.unit_id,
                                "destroyed_at": utcnow()})
    log.files += 1


@dataclass
class RunResult:
    run: DestructionRun
    logs: list[DestructionLog]
    packages: list[str]
    wiped: bool = True


def execute(session: Session, year: int, archive_root: Path,
            render_pdf: Callable[[ClientFile], bytes], by: User | None = None,
            today: date | None = None) -> RunResult:
    """Archive the born-day files, then destroy every due file that is not held.

    Every package is written, re-read and verified before any row is deleted; if one
    fails, the packages of this run are removed, nothing is destroyed, and RunFailed says
    so. The caller commits; then `finish` wipes freed pages (SQLite)."""
    due = [f for p in plan(session, year, today) for f in p.files if f.hold is None]
    written: list[tuple[DueFile, str, str]] = []
    unverified: str | None = None  # a package written but not (yet) verified
    try:
        for f in (f for f in due if f.archive):
            file = whole_file(session, f.client)
            path = write_package(archive_root, file, f.unit.name, f.kinds, render_pdf(file))
            unverified = path.name
            written.append((f, path.name, verify_package(path)))
            unverified = None
    except (PackageError, OSError) as error:
        # The one that failed its verification goes too: no package of a failed run stays.
        for package_id in [p for _f, p, _s in written] + ([unverified] if unverified else []):
            remove_package(archive_root, package_id)
        raise RunFailed(_l("An archive package could not be written or verified: nothing "
                           "was destroyed. %(error)s", error=str(error))) from error
    run = DestructionRun(by_id=by.id if by else None, year=year, outcome="done",
                         files=len(due), archived=len(written))
    session.add(run)
    session.flush()
    logs: dict[tuple[int, str], DestructionLog] = {}
    archived = {f.client.id for f, _p, _s in written}
    for f in due:
        key = (f.unit.id, "+".join(f.kinds) or "none")
        log = logs.setdefault(key, DestructionLog(run_id=run.id, unit_id=key[0], kind=key[1]))
        log.archived += f.client.id in archived
        _delete_file(session, f.client, log)
        session.expunge(f.client)
    for f, package_id, mets_sum in written:
        session.add(ArchivedPackage(package_id=package_id, run_id=run.id, unit_id=f.unit.id,
                                    mets_sha256=mets_sum))
    session.add_all(logs.values())
    session.flush()
    return RunResult(run, list(logs.values()), [p for _f, p, _s in written])


def finish(session: Session) -> bool:
    """After the run is committed: no copy of the deleted rows stays in the SQLite files."""
    return wipe_freed_pages(session)


def unit_names(session: Session) -> dict[int, str]:
    return {u.id: u.name for u in session.exec(select(Unit))}


def recent_runs(session: Session, limit: int = 20) -> list[tuple[DestructionRun, list]]:
    runs = session.exec(select(DestructionRun).order_by(col(DestructionRun.id).desc())
                        .limit(limit)).all()
    logs = session.exec(select(DestructionLog).where(
        col(DestructionLog.run_id).in_([r.id for r in runs] or [-1]))).all()
    return [(r, [lg for lg in logs if lg.run_id == r.id]) for r in runs]


def packages_of(session: Session, run_id: int) -> list[str]:
    return list(session.exec(select(ArchivedPackage.package_id).where(
        ArchivedPackage.run_id == run_id).order_by(ArchivedPackage.package_id)).all())


# --- the inbox: the records officer's way in ----------------------------------------------


@thread_provider
def records_threads(session: Session, user: User) -> list[Thread]:
    if user.role == Role.records:
        files = sum(len(p.files) for p in plan(session, local_today().year))
        return [Thread(key="records:retention", title=str(_l("Retention and destruction")),
                       endpoint="records.retention", kind="unit",
                       last_line=str(_l("%(num)d files due this year", num=files)))]
    if user.role == Role.admin:
        return [Thread(key="records:periods", title=str(_l("Retention periods")),
                       endpoint="records.periods", kind="unit",
                       last_line=str(_l("How long each kind of file is kept")))]
    return []
