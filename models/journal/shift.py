"""Shift start and read receipts, quick phrases, the inbox threads, the access-log review,
and read-only queries other rooms reuse (the manager's day feed, statistics, follow-ups).

seed 004: every employee reads the current clients' documentation at the start of each
shift. A shift starts on the first sign-in after a break (SHIFT_GAP) or with the "Start
shift" button; the digest lists, client by client, what colleagues wrote that the user has
not marked read (at most LOOKBACK back); marking read stores a receipt that managers see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import String, and_, cast, func, literal, or_
from sqlmodel import Session, col, select

from models import access
from models.access import AccessLog, Membership, Role, Unit, User
from models.access.inbox import Thread, ThreadRead, thread_provider
from models.core.clock import local_midnight, local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.journal.entries import EntryView, entry_of, thread
from models.journal.people import assigned_client_ids, visible_client_ids
from models.journal.tables import (
    CATEGORIES,
    TOPICS,
    Assignment,
    Client,
    Consent,
    DestroyedFile,
    JournalEntry,
    Plan,
    QuickPhrase,
    ShiftRead,
    ShiftStart,
    StaffAssignment,
    _clean,
)

SHIFT_GAP = timedelta(hours=8)
LOOKBACK = timedelta(days=14)  # a first shift does not start with the whole history


# --- shift start and receipts ----------------------------------------------------------


def last_shift(session: Session, user: User) -> ShiftStart | None:
    stmt = select(ShiftStart).where(ShiftStart.user_id == user.id).order_by(
        col(ShiftStart.started_at).desc(), col(ShiftStart.id).desc())
    return session.exec(stmt).first()


def start_shift(session: Session, user: User, now: datetime | None = None) -> ShiftStart:
    shift = ShiftStart(user_id=user.id, started_at=now or utcnow())
    session.add(shift)
    session.flush()
    return shift


def shift_is_due(session: Session, user: User, now: datetime | None = None) -> bool:
    """A sign-in starts a shift when the user has clients and the last shift is old."""
    now = now or utcnow()
    if not assigned_client_ids(session, user, local_today(now)):
        return False
    last = last_shift(session, user)
    return last is None or last.started_at < now - SHIFT_GAP


def _unread_query(user: User, client_ids: list[int], now: datetime):
    """(client_id, entry id) of colleagues' entries the user has no receipt for."""
    receipts = (select(ShiftRead.client_id, func.max(ShiftRead.through_entry_id).label("through"))
                .where(ShiftRead.user_id == user.id).group_by(ShiftRead.client_id).subquery())
    return (select(JournalEntry.client_id, JournalEntry.id, JournalEntry.written_at)
            .outerjoin(receipts, receipts.c.client_id == JournalEntry.client_id)
            .where(col(JournalEntry.client_id).in_(client_ids),
                   JournalEntry.author_id != user.id,
                   JournalEntry.written_at >= now - LOOKBACK,
                   or_(receipts.c.through.is_(None), JournalEntry.id > receipts.c.through))
            .order_by(col(JournalEntry.id)))


@dataclass
class ShiftClient:
    client: Client
    entries: list[EntryView]

    @property
    def through(self) -> int:
        return max(v.entry.id for v in self.entries)


def shift_digest(session: Session, user: User, now: datetime | None = None) -> list[ShiftClient]:
    """Client by client: what colleagues wrote that the user has not yet marked read."""
    now = now or utcnow()
    ids = assigned_client_ids(session, user, local_today(now))
    if not ids:
        return []
    unread: dict[int, list[int]] = {}
    for client_id, entry_id, _at in session.exec(_unread_query(user, ids, now)):
        unread.setdefault(client_id, []).append(entry_id)
    clients = {c.id: c for c in session.exec(select(Client).where(
        col(Client.id).in_(list(unread))))} if unread else {}
    result = [ShiftClient(clients[cid], thread(session, clients[cid], entry_ids))
              for cid, entry_ids in unread.items()]
    return sorted(result, key=lambda s: s.client.name)


def shift_unread(session: Session, user: User, now: datetime | None = None):
    """(number of unread entries, number of clients, newest time) for the inbox."""
    now = now or utcnow()
    ids = assigned_client_ids(session, user, local_today(now))
    if not ids:
        return 0, 0, None
    rows = session.exec(_unread_query(user, ids, now)).all()
    return len(rows), len({r[0] for r in rows}), max((r[2] for r in rows), default=None)


def mark_read(session: Session, user: User, client: Client, through_entry_id,
              now: datetime | None = None) -> ShiftRead:
    """Store a receipt: the user has read the client's entries up to this one."""
    entry = entry_of(session, client, through_entry_id)
    if entry is None:
        raise DomainError(_l("That note is not in this client's journal."), "through")
    shift = last_shift(session, user)
    receipt = ShiftRead(user_id=user.id, client_id=client.id, through_entry_id=entry.id,
                        shift_id=shift.id if shift else None, read_at=now or utcnow())
    session.add(receipt)
    session.flush()
    return receipt


@dataclass
class ReadStatus:
    user: User
    last_shift: datetime | None
    read_at: datetime | None
    through_id: int | None
    unread: int


def read_status(session: Session, client: Client) -> list[ReadStatus]:
    """For managers: each current staff member's latest receipt and what is still unread."""
    today = local_today()
    staff = session.exec(
        select(User).join(StaffAssignment, col(StaffAssignment.user_id) == User.id)
        .where(StaffAssignment.client_id == client.id, StaffAssignment.from_on <= today,
               or_(col(StaffAssignment.to_on).is_(None), col(StaffAssignment.to_on) >= today))
        .distinct().order_by(User.display_name)).all()
    result = []
    for person in staff:
        receipt = session.exec(select(ShiftRead).where(
            ShiftRead.user_id == person.id, ShiftRead.client_id == client.id).order_by(
            col(ShiftRead.through_entry_id).desc(), col(ShiftRead.id).desc())).first()
        through = receipt.through_entry_id if receipt else 0
        unread = session.exec(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.client_id == client.id, JournalEntry.author_id != person.id,
            JournalEntry.id > through)).one()
        shift = last_shift(session, person)
        result.append(ReadStatus(person, shift.started_at if shift else None,
                                 receipt.read_at if receipt else None,
                                 receipt.through_entry_id if receipt else None, unread))
    return result


def readers(session: Session, client: Client) -> list[tuple[User, int]]:
    """(user, highest entry id read) per user with a receipt for the client."""
    stmt = (select(User, func.max(ShiftRead.through_entry_id))
            .join(ShiftRead, col(ShiftRead.user_id) == User.id)
            .where(ShiftRead.client_id == client.id).group_by(col(User.id)))
    return [(u, through) for u, through in session.exec(stmt)]


def attach_readers(session: Session, client: Client, views: list[EntryView]) -> None:
    who = readers(session, client)
    for view in views:
        view.read_by = [u for u, through in who
                        if through >= view.entry.id and u.id != view.entry.author_id]


# --- quick phrases ---------------------------------------------------------------------


def phrases_for(session: Session, unit_id: int) -> list[QuickPhrase]:
    stmt = select(QuickPhrase).where(QuickPhrase.unit_id == unit_id).order_by(
        col(QuickPhrase.position), col(QuickPhrase.id))
    return list(session.exec(stmt).all())


def add_phrase(session: Session, unit: Unit, text: str, category: str = "",
               topic: str = "") -> QuickPhrase:
    errors: dict = {}
    text = _clean(text, 200, "text", errors, _l("Write the phrase."))
    if category and category not in CATEGORIES:
        errors["category"] = _l("Choose what kind of note this is.")
    if errors:
        raise ValidationErrors(errors)
    if topic not in TOPICS.get(category, {}):
        topic = None
    position = len(phrases_for(session, unit.id))
    phrase = QuickPhrase(unit_id=unit.id, text=text, category=category or None, topic=topic,
                         position=position)
    session.add(phrase)
    session.flush()
    return phrase


def delete_phrase(session: Session, phrase: QuickPhrase) -> None:
    session.delete(phrase)
    session.flush()


# --- the inbox -------------------------------------------------------------------------


def thread_key(client_id: int) -> str:
    """The inbox key of a client's thread (read markers, unread counts)."""
    return f"client:{client_id}"


@thread_provider
def client_threads(session: Session, user: User) -> list[Thread]:
    """A thread per client the user may open, and the shift digest while it has news."""
    ids = visible_client_ids(session, user)
    threads = []
    count, clients, newest = shift_unread(session, user)
    if count:
        threads.append(Thread(
            key="shift", title=_("Start of shift"), endpoint="journal.shift", kind="unit",
            last_line=ngettext("%(num)d new note for %(clients)d client",
                               "%(num)d new notes for %(clients)d clients", count,
                               clients=clients),
            time=newest, unread=count, section="clients"))
    if not ids:
        return threads
    clients = {c.id: c for c in session.exec(select(Client).where(col(Client.id).in_(ids)))}
    last = {}
    last_ids = select(func.max(JournalEntry.id)).where(
        col(JournalEntry.client_id).in_(ids)).group_by(JournalEntry.client_id)
    stmt = (select(JournalEntry, User).join(User, col(User.id) == JournalEntry.author_id)
            .where(col(JournalEntry.id).in_(last_ids)))
    for entry, author in session.exec(stmt):
        last[entry.client_id] = (entry, author)
    unread = _unread_counts(session, user, ids)
    badges = _badges(session, ids)
    unit_names = dict(session.exec(select(Unit.id, Unit.name).where(
        col(Unit.id).in_({c.unit_id for c in clients.values()}))).all())
    for cid, client in clients.items():
        entry, author = last.get(cid, (None, None))
        # the author's full name: initials collide (Hanna and Hugo Hemtjänst are both "HH")
        line = (f"{CATEGORIES[entry.category]} · {author.display_name}" if entry
                else _("No notes yet"))
        threads.append(Thread(
            key=thread_key(cid), title=client.name, endpoint="journal.thread",
            values={"client_id": cid}, last_line=line,
            time=entry.written_at if entry else client.created_at,
            unread=unread.get(cid, 0), kind="client", badge=badges.get(cid, ""),
            section="clients", units=(unit_names[client.unit_id],)))
    return threads


def _unread_counts(session: Session, user: User, ids: list[int]) -> dict[int, int]:
    key = literal("client:", String) + cast(JournalEntry.client_id, String)
    cutoff = utcnow() - LOOKBACK
    stmt = (select(JournalEntry.client_id, func.count())
            .outerjoin(ThreadRead, and_(ThreadRead.user_id == user.id,
                                        ThreadRead.thread_key == key))
            .where(col(JournalEntry.client_id).in_(ids), JournalEntry.author_id != user.id,
                   JournalEntry.written_at > func.coalesce(ThreadRead.read_at, cutoff))
            .group_by(JournalEntry.client_id))
    return dict(session.exec(stmt).all())


def _badges(session: Session, ids: list[int]) -> dict[int, str]:
    """Closed file, missing consent for a service intervention, or a follow-up due."""
    today = local_today()
    open_rows = session.exec(select(Assignment).where(
        col(Assignment.client_id).in_(ids), col(Assignment.ended_on).is_(None))).all()
    by_client: dict[int, list[Assignment]] = {}
    for a in open_rows:
        by_client.setdefault(a.client_id, []).append(a)
    consents = {c.client_id: c for c in session.exec(select(Consent).where(
        col(Consent.client_id).in_(ids), col(Consent.superseded_at).is_(None)).order_by(
        col(Consent.id)))}
    latest = select(Plan.assignment_id, func.max(Plan.version).label("v")).group_by(
        Plan.assignment_id).subquery()
    due = set(session.exec(select(Plan.assignment_id).join(latest, and_(
        latest.c.assignment_id == Plan.assignment_id, latest.c.v == Plan.version)).where(
        Plan.followup_on <= today + timedelta(days=14))).all())
    badges = {}
    for cid in ids:
        open_ = by_client.get(cid, [])
        consent = consents.get(cid)
        if not open_:
            badges[cid] = _("Closed")
        elif any(a.kind == "service" for a in open_) and not (
                consent and consent.valid_on(today) and consent.covers_documentation):
            badges[cid] = _("No consent")
        elif any(a.id in due for a in open_):
            badges[cid] = _("Follow-up due")
    return badges


# --- access-log review (loggkontroll) --------------------------------------------------

LOG_ACTIONS = {
    "thread.read": _l("Read the journal"),
    "entry.read": _l("Read a note"),
    "entry.write": _l("Wrote a note"),
    "plan.read": _l("Read the plan"),
    "plan.write": _l("Changed the plan"),
    "consent.read": _l("Read the consent"),
    "consent.write": _l("Recorded consent"),
    "client.read": _l("Read the client's details"),
    "client.write": _l("Changed the client's details"),
    "staff.write": _l("Changed staff concerned"),
    "journal.read": _l("Read at shift start"),
    "receipts.read": _l("Read the read receipts"),
    "export": _l("Exported the file"),
    "close": _l("Closed an assignment"),
    "feed.read": _l("Seen in the manager's day feed"),
    "followups.read": _l("Seen in the follow-up list"),
}
LOG_PAGE = 100


@dataclass
class LogRow:
    row: AccessLog
    user: User | None
    client: Client | None
    destroyed: bool = False  # the file was destroyed (records management): no name left


def _managed_clients(session: Session, manager: User):
    """The ids of the clients of the manager's units, with their destroyed files'."""
    units = access.unit_ids(session, manager) if manager.role == Role.manager else set()
    live = select(Client.id).where(col(Client.unit_id).in_(units or {-1}))
    gone = select(DestroyedFile.client_id).where(col(DestroyedFile.unit_id).in_(units or {-1}))
    return live.union(gone)


def log_rows(session: Session, manager: User, user_id: int | None = None,
             client_id: int | None = None, start: date | None = None, end: date | None = None,
             before_id: int | None = None, limit: int = LOG_PAGE) -> list[LogRow]:
    """Access-log rows about the clients of the manager's units, newest first."""
    if start and end and end < start:
        raise DomainError(_l("The end date comes before the start date."), "end")
    managed = _managed_clients(session, manager)
    stmt = select(AccessLog).where(AccessLog.subject_type == "client",
                                   col(AccessLog.subject_id).in_(managed))
    if user_id:
        stmt = stmt.where(AccessLog.user_id == user_id)
    if client_id:
        stmt = stmt.where(AccessLog.subject_id == client_id)
    if start:
        stmt = stmt.where(AccessLog.at >= local_midnight(start))
    if end:
        stmt = stmt.where(AccessLog.at < local_midnight(end + timedelta(days=1)))
    if before_id:
        stmt = stmt.where(AccessLog.id < before_id)
    rows = session.exec(stmt.order_by(col(AccessLog.id).desc()).limit(limit)).all()
    users = _by_id(session, User, {r.user_id for r in rows})
    clients = _by_id(session, Client, {r.subject_id for r in rows})
    return [LogRow(r, users.get(r.user_id), clients.get(r.subject_id),
                   r.subject_id not in clients) for r in rows]


def _by_id(session: Session, model, ids) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {o.id: o for o in session.exec(select(model).where(col(model.id).in_(ids)))}


def log_filter_choices(session: Session, manager: User) -> tuple[list[User], list[Client]]:
    units = access.unit_ids(session, manager)
    users = session.exec(select(User).join(Membership, col(Membership.user_id) == User.id)
                         .where(col(Membership.unit_id).in_(units or {-1}))
                         .distinct().order_by(User.display_name)).all()
    clients = session.exec(select(Client).where(col(Client.unit_id).in_(units or {-1}))
                           .order_by(Client.name)).all()
    return list(users), list(clients)


# --- for other rooms: the manager's feed, statistics, follow-ups -----------------------


@dataclass
class EntryRow:
    entry: JournalEntry
    client: Client
    author: User


def entries_for_units_on(session: Session, unit_ids, day: date) -> list[EntryRow]:
    """Entries written on a local day for clients of these units, oldest first."""
    stmt = (select(JournalEntry, Client, User)
            .join(Client, col(Client.id) == JournalEntry.client_id)
            .join(User, col(User.id) == JournalEntry.author_id)
            .where(col(Client.unit_id).in_(list(unit_ids) or [-1]),
                   JournalEntry.written_at >= local_midnight(day),
                   JournalEntry.written_at < local_midnight(day + timedelta(days=1)))
            .order_by(col(JournalEntry.id)))
    return [EntryRow(e, c, u) for e, c, u in session.exec(stmt)]


@dataclass
class PlanDue:
    client: Client
    assignment: Assignment
    plan: Plan | None  # None: the open assignment has no plan yet


def plans_due(session: Session, unit_ids, within_days: int,
              today: date | None = None) -> list[PlanDue]:
    """Open assignments whose current plan is due for follow-up within `within_days`
    (overdue included), and open assignments without any plan; soonest first."""
    today = today or local_today()
    latest = select(Plan.assignment_id, func.max(Plan.version).label("v")).group_by(
        Plan.assignment_id).subquery()
    stmt = (select(Assignment, Client, Plan)
            .join(Client, col(Client.id) == Assignment.client_id)
            .outerjoin(latest, latest.c.assignment_id == Assignment.id)
            .outerjoin(Plan, and_(col(Plan.assignment_id) == Assignment.id,
                                  col(Plan.version) == latest.c.v))
            .where(col(Client.unit_id).in_(list(unit_ids) or [-1]),
                   col(Assignment.ended_on).is_(None),
                   or_(col(Plan.id).is_(None),
                       col(Plan.followup_on) <= today + timedelta(days=within_days))))
    rows = [PlanDue(c, a, p) for a, c, p in session.exec(stmt)]
    return sorted(rows, key=lambda r: (r.plan.followup_on if r.plan else date.min, r.client.name))


def entry_counts(session: Session, unit_ids, start: date, end: date) -> dict:
    """{(unit_id, category): number of entries} written from `start` to `end` inclusive."""
    stmt = (select(Client.unit_id, JournalEntry.category, func.count())
            .join(Client, col(Client.id) == JournalEntry.client_id)
            .where(col(Client.unit_id).in_(list(unit_ids) or [-1]),
                   JournalEntry.written_at >= local_midnight(start),
                   JournalEntry.written_at < local_midnight(end + timedelta(days=1)))
            .group_by(Client.unit_id, JournalEntry.category))
    return {(unit, cat): n for unit, cat, n in session.exec(stmt)}
