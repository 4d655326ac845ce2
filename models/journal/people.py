"""Clients, their assignments (insats/uppdrag), staff concerned, and consent.

seed 002/003: a service intervention is documented only with the person's consent; a
consent names with whom information may be exchanged and why, how it was given and until
when; a change or a revocation is noted in the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import access
from models.access import Membership, Role, Unit, User
from models.core.clock import local_today
from models.core.db import get_by_id, loaded_row, utcnow
from models.core.errors import AccessDenied, DomainError, ValidationErrors
from models.core.parse import parse_day, parse_id
from models.journal.tables import (
    ASSIGNMENT_KINDS,
    CONSENT_FORMS,
    RECORD_LOCALE,
    TEXT_MAX,
    Assignment,
    Client,
    Consent,
    JournalEntry,
    StaffAssignment,
    _clean,
    _closed_message,
    _insert_entry,
    log_client_access,
    parse_personal_number,
    record_text,
)

# Sanity bounds (issue 12): no client was born more than OLDEST_YEARS ago, and no consent
# or assignment date lies before the person's birth or more than YEARS_AHEAD years ahead.
OLDEST_YEARS = 125  # the oldest person ever verified lived to 122
YEARS_AHEAD = 3  # a consent is given for a year or two; an insats is decided months ahead


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _check_day(day: date | None, field: str, born: date | None, errors: dict,
               today: date | None = None) -> None:
    """A consent's or an assignment's date within its sanity bounds, else a field error."""
    if day is None or field in errors:
        return
    if born is not None and day < born:
        errors[field] = _l("That date is before the person was born.")
    elif day > _years_from(today or local_today(), YEARS_AHEAD):
        errors[field] = _l("That date is more than %(years)d years ahead.", years=YEARS_AHEAD)


def create_client(session: Session, unit: Unit, name: str, personal_number: str,
                  reserve_number: bool = False, phone: str = "", address: str = "") -> Client:
    errors: dict = {}
    name = _clean(name, 120, "name", errors, _l("Write the person's name."))
    phone = _clean(phone, 40, "phone", errors)
    address = _clean(address, 200, "address", errors)
    number = born = None
    try:
        number, born = parse_personal_number(personal_number)
        if born < _years_from(local_today(), -OLDEST_YEARS):
            errors["personal_number"] = _l(
                "The number says the person was born more than %(years)d years ago.",
                years=OLDEST_YEARS)
    except DomainError as error:
        errors["personal_number"] = error.message
    if number and session.exec(select(Client).where(
            Client.unit_id == unit.id, Client.personal_number == number)).first():
        errors["personal_number"] = _l("This person already has a file in the unit.")
    if errors:
        raise ValidationErrors(errors)
    client = Client(unit_id=unit.id, name=name, personal_number=number, born_on=born,
                    reserve_number=bool(reserve_number), phone=phone or None,
                    address=address or None)
    session.add(client)
    session.flush()
    return client


def open_assignment(session: Session, client: Client, kind: str, title: str,
                    started_on: date | None, decided_on: date | None = None) -> Assignment:
    errors: dict = {}
    title = _assignment_errors(kind, title, started_on, decided_on, errors)
    _check_day(started_on, "started_on", client.born_on, errors)
    _check_day(decided_on, "decided_on", client.born_on, errors)
    if errors:
        raise ValidationErrors(errors)
    assignment = Assignment(client_id=client.id, kind=kind, title=title,
                            started_on=started_on, decided_on=decided_on)
    session.add(assignment)
    session.flush()
    return assignment


def open_file(session: Session, unit: Unit, name: str, personal_number: str,
              reserve_number: bool, phone: str, address: str, kind: str, title: str,
              started_on: str, decided_on: str = "") -> Client:
    """A new client's file with its first assignment; every field's problem at once."""
    errors: dict = {}
    started = decided = None
    try:
        started = parse_day(started_on, "started_on")
    except DomainError as error:
        errors["started_on"] = error.message
    try:
        decided = parse_day(decided_on, "decided_on", required=False)
    except DomainError as error:
        errors["decided_on"] = error.message
    _assignment_errors(kind, title, started or date.today(), decided, errors)
    try:
        born = parse_personal_number(personal_number)[1]
    except DomainError:
        born = None  # create_client says what is wrong with the number
    _check_day(started, "started_on", born, errors)
    _check_day(decided, "decided_on", born, errors)
    try:
        client = create_client(session, unit, name, personal_number, reserve_number, phone,
                               address)
    except ValidationErrors as error:
        raise ValidationErrors(error.errors | errors) from None
    if errors:
        raise ValidationErrors(errors)
    open_assignment(session, client, kind, title, started, decided)
    return client


def _assignment_errors(kind: str, title: str, started_on, decided_on, errors: dict) -> str:
    if kind not in ASSIGNMENT_KINDS:
        errors["kind"] = _l("Choose the kind of assignment.")
    title = _clean(title, 120, "title", errors, _l("Name the assignment, e.g. Home care."))
    if started_on is None:
        errors["started_on"] = _l("Give the start date.")
    elif decided_on and decided_on > started_on:
        errors["decided_on"] = _l("The decision cannot come after the start.")
    if kind == "service" and decided_on:
        errors["decided_on"] = _l("A service intervention has no decision date.")
    return title


def assign_staff(session: Session, client: Client, staff: User, from_on: date | None = None,
                 to_on: date | None = None) -> StaffAssignment:
    """Make `staff` staff concerned for the client (a member of the client's unit)."""
    from_on = from_on or local_today()
    if staff.role == Role.records:  # the records officer never reads journal content
        raise DomainError(_l("A records officer cannot be staff concerned."), "user_id")
    if client.unit_id not in access.unit_ids(session, staff):
        raise DomainError(_l("Only staff of the client's unit can be assigned."), "user_id")
    if to_on and to_on < from_on:
        raise DomainError(_l("The end date comes before the start date."), "to_on")
    if any(s.user_id == staff.id for s in current_staff(session, client, from_on)):
        raise DomainError(_l("Already assigned to this client."), "user_id")
    row = StaffAssignment(client_id=client.id, user_id=staff.id, from_on=from_on, to_on=to_on)
    session.add(row)
    session.flush()
    return row


def end_staff_assignment(session: Session, row: StaffAssignment, to_on: date | None = None,
                         by: User | None = None, reason: str = "ended") -> None:
    """End a staff assignment on `to_on` (today); the file keeps who ended it and why."""
    to_on = to_on or local_today()
    if to_on < row.from_on:
        to_on = row.from_on
    row.to_on = to_on if row.to_on is None else min(row.to_on, to_on)
    if row.ended_by_id is None:
        row.ended_by_id = by.id if by is not None else None
        row.end_reason = reason
    session.add(row)
    session.flush()


@access.on_leaving
def end_assignments_of(session: Session, staff: User, unit_ids: set[int] | None, by: User,
                       reason: str) -> int:
    """End `staff`'s current assignments to clients of `unit_ids` (all units when None),
    today: someone who leaves a unit, or is deactivated, is no longer concerned."""
    today = local_today()
    stmt = (select(StaffAssignment).join(Client, col(Client.id) == StaffAssignment.client_id)
            .where(StaffAssignment.user_id == staff.id, _current(today)))
    if unit_ids is not None:
        stmt = stmt.where(col(Client.unit_id).in_(unit_ids or [-1]))
    rows = list(session.exec(stmt).all())
    for row in rows:
        end_staff_assignment(session, row, today, by=by, reason=reason)
    return len(rows)


# Ended by someone, and over from that moment (not at midnight).
ENDED_AT_ONCE = ("ended", "left_unit", "deactivated")


def _current(day: date):
    """Current on `day`: started, and not over. A planned end date (and the closing date of
    a file) covers its whole day; an assignment ended by a manager, by leaving the unit or
    by deactivation is over at once, so access ends at once, not at midnight."""
    to_on = col(StaffAssignment.to_on)
    reason = col(StaffAssignment.end_reason)
    return (col(StaffAssignment.from_on) <= day) & (
        to_on.is_(None) | (to_on > day)
        | ((to_on == day) & (reason.is_(None) | reason.not_in(ENDED_AT_ONCE)))
    )


def current_staff(session: Session, client: Client, day: date | None = None):
    day = day or local_today()
    stmt = select(StaffAssignment).where(StaffAssignment.client_id == client.id, _current(day))
    return list(session.exec(stmt).all())


def _concerned():
    """Staff concerned = a current assignment AND a current membership of the client's unit
    (seed 003: only staff concerned have access). Someone moved to another unit is not
    concerned any more, even if an assignment was left open by mistake."""
    return (select(StaffAssignment.client_id)
            .join(Client, col(Client.id) == StaffAssignment.client_id)
            .join(Membership, (col(Membership.user_id) == StaffAssignment.user_id)
                  & (col(Membership.unit_id) == Client.unit_id)))


# Asked on every journal read and write: built once (building costs more than running it).
_IS_ASSIGNED = _concerned().where(
    StaffAssignment.client_id == bindparam("client_id"),
    StaffAssignment.user_id == bindparam("user_id"), _current(bindparam("day"))).limit(1)


def is_assigned(session: Session, user: User, client_id: int, day: date | None = None) -> bool:
    day = day or local_today()
    primed = session.info.get("nara_assigned")
    if primed is not None and primed[0] == (user.id, client_id, day):
        return primed[1]
    params = {"client_id": client_id, "user_id": user.id, "day": day}
    return session.exec(_IS_ASSIGNED, params=params).first() is not None


# The client's columns with `_IS_ASSIGNED`'s answer for the user (its own subquery, not
# correlated), read as plain values (Core, not the ORM's loading): open_client asks both,
# one after the other, on every journal read and write.
_CLIENT_COLUMNS = tuple(Client.__table__.columns)
_CLIENT_AND_ASSIGNED = sa_select(
    *_CLIENT_COLUMNS, _IS_ASSIGNED.correlate(None).scalar_subquery()
).where(Client.__table__.c.id == bindparam("client_id"))


def _client_for(session: Session, user: User | None, client_id: int) -> Client | None:
    """The client by id, as `get_by_id` reads it; with a user, in the same statement
    whether they are assigned to it today, which `is_assigned` then answers from (the
    caller drops it after its access check: the rule still decides, from the same rows)."""
    if user is None or user.id is None:
        return get_by_id(session, Client, client_id)
    day = local_today()
    found = session.connection().execute(_CLIENT_AND_ASSIGNED, {
        "client_id": client_id, "user_id": user.id, "day": day}).first()
    if found is None:
        return None
    client = loaded_row(session, Client, found[:-1])
    session.info["nara_assigned"] = ((user.id, client.id, day), found[-1] is not None)
    return client


def assigned_client_ids(session: Session, user: User, day: date | None = None) -> list[int]:
    stmt = _concerned().where(
        StaffAssignment.user_id == user.id, _current(day or local_today())).distinct()
    return list(session.exec(stmt).all())


def visible_client_ids(session: Session, user: User) -> list[int]:
    """Clients the user may open now: assigned ones, and every client of a managed unit."""
    ids = set(assigned_client_ids(session, user))
    if user.role == Role.manager:
        units = access.unit_ids(session, user)
        if units:
            ids |= set(session.exec(select(Client.id).where(col(Client.unit_id).in_(units))))
    return sorted(ids)


END_REASONS = {
    "ended": _l("ended by a manager"),
    "left_unit": _l("left the unit"),
    "deactivated": _l("account deactivated"),
    "closed": _l("the file was closed"),
}


@dataclass
class StaffHistoryRow:
    row: StaffAssignment
    person: User
    ended_by: User | None

    @property
    def reason(self) -> str:
        return str(END_REASONS.get(self.row.end_reason or "", ""))


def staff_history(session: Session, client: Client) -> list[StaffHistoryRow]:
    """Everyone who has been staff concerned and is not now, newest end first: who was
    concerned when, and who ended it and why (seed 003)."""
    today = local_today()
    rows = session.exec(select(StaffAssignment).where(
        StaffAssignment.client_id == client.id, ~_current(today),
        col(StaffAssignment.from_on) <= today).order_by(
        col(StaffAssignment.to_on).desc(), col(StaffAssignment.id).desc())).all()
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(
        {r.user_id for r in rows} | {r.ended_by_id for r in rows if r.ended_by_id})))}
    return [StaffHistoryRow(r, people[r.user_id], people.get(r.ended_by_id)) for r in rows]


def staff_candidates(session: Session, client: Client) -> list[User]:
    stmt = (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == client.unit_id, User.active.is_(True),
                   User.role != Role.records)
            .order_by(User.display_name))
    return list(session.exec(stmt).all())


def assignments_of(session: Session, client: Client) -> list[Assignment]:
    stmt = select(Assignment).where(Assignment.client_id == client.id).order_by(
        col(Assignment.ended_on).is_not(None), Assignment.started_on, Assignment.id)
    return list(session.exec(stmt).all())


def open_assignments(session: Session, client: Client) -> list[Assignment]:
    return [a for a in assignments_of(session, client) if not a.closed]


def open_client(session: Session, user: User | None, client_id: int, action: str,
                log_action: str, request_id: str | None = None,
                commit: bool = True) -> Client | None:
    """The client, if `user` may do `action` to it; every attempt leaves an access-log row
    (seed 003: every read and write is logged). None: no such client.

    A refusal commits its row and raises AccessDenied; reads commit the granted row at once,
    writes pass commit=False so the row commits with the change it logs."""
    client = _client_for(session, user, client_id)
    if client is None:
        return None
    try:
        access.ensure(session, user, action, client)
    except AccessDenied:
        log_client_access(session, user, client.id, log_action, "denied", request_id)
        session.commit()
        raise
    finally:
        session.info.pop("nara_assigned", None)  # answered this check only
    log_client_access(session, user, client.id, log_action, "granted", request_id)
    if commit:
        session.commit()
    return client


def part_of(session: Session, client: Client, model, ident):
    """A row of the client's file by id (an assignment, a consent, a staff assignment, an
    entry), or None when there is none or it belongs to another client's file."""
    row = get_by_id(session, model, ident) if ident is not None else None
    return row if row is not None and row.client_id == client.id else None


def client_assignment(session: Session, client: Client, assignment_id) -> Assignment:
    """The client's assignment by id, or a field error (never another client's)."""
    ident = parse_id(assignment_id)
    assignment = get_by_id(session, Assignment, ident) if ident is not None else None
    if assignment is None or assignment.client_id != client.id:
        raise DomainError(_l("Choose the assignment."), "assignment")
    return assignment


# --- consent ---------------------------------------------------------------------------


def consents_of(session: Session, client: Client) -> list[Consent]:
    stmt = select(Consent).where(Consent.client_id == client.id).order_by(
        col(Consent.recorded_at).desc(), col(Consent.id).desc())
    return list(session.exec(stmt).all())


def current_consent(session: Session, client: Client) -> Consent | None:
    """The latest consent not replaced by a change (it may be revoked or expired)."""
    stmt = select(Consent).where(Consent.client_id == client.id,
                                 col(Consent.superseded_at).is_(None)).order_by(
        col(Consent.id).desc())
    return session.exec(stmt).first()


def valid_consent(session: Session, client: Client, day: date | None = None) -> Consent | None:
    consent = current_consent(session, client)
    if consent and consent.valid_on(day or local_today()):
        return consent
    return None


def needs_consent(session: Session, assignment: Assignment) -> bool:
    """seed 002: a service intervention is documented only with the person's consent."""
    if assignment.kind != "service":
        return False
    client = session.get(Client, assignment.client_id)
    consent = valid_consent(session, client)
    return consent is None or not consent.covers_documentation


@dataclass
class ConsentInput:
    given_on: str = ""
    given_how: str = ""
    valid_until: str = ""
    covers_documentation: bool | None = True  # None: the form's yes/no was not answered
    authorities: str = ""
    relatives: str = ""
    experts: str = ""
    purpose: str = ""
    note: str = ""


def record_consent(session: Session, author: User, client: Client, assignment: Assignment,
                   data: ConsentInput, now: datetime | None = None) -> Consent:
    """Record a consent, or a change to the current one; noted in the journal (seed 002)."""
    now = now or utcnow()
    today = local_today(now)
    errors: dict = {}
    given_on = valid_until = None
    try:
        given_on = parse_day(data.given_on, "given_on")
        if given_on > today:
            errors["given_on"] = _l("A consent cannot be given in the future.")
        _check_day(given_on, "given_on", client.born_on, errors, today)
    except DomainError as error:
        errors["given_on"] = error.message
    try:
        valid_until = parse_day(data.valid_until, "valid_until")
        if valid_until < today:
            errors["valid_until"] = _l("The end date has already passed.")
        elif given_on and valid_until < given_on:
            errors["valid_until"] = _l("The end date comes before the date it was given.")
        _check_day(valid_until, "valid_until", client.born_on, errors, today)
    except DomainError:
        # seed 003: a consent is always limited in time
        errors["valid_until"] = _l("A consent must say until when it is valid.")
    if data.given_how not in CONSENT_FORMS:
        errors["given_how"] = _l("Choose how the consent was given.")
    scope = {k: _clean(getattr(data, k), 500, k, errors)
             for k in ("authorities", "relatives", "experts", "purpose")}
    note = _clean(data.note, TEXT_MAX, "note", errors)
    if data.covers_documentation is None:  # an active choice: nothing is pre-ticked
        errors["covers_documentation"] = _l(
            "Say whether the person agrees that documentation is kept.")
    elif not any(scope.values()) and not data.covers_documentation:
        errors["purpose"] = _l("Say what the person consents to.")
    if assignment.closed:
        errors["assignment"] = _closed_message()
    if errors:
        raise ValidationErrors(errors)
    previous = current_consent(session, client)
    consent = Consent(client_id=client.id, given_on=given_on, given_how=data.given_how,
                      valid_until=valid_until, covers_documentation=data.covers_documentation,
                      recorded_by=author.id, recorded_at=now, **scope,
                      replaces_id=previous.id if previous else None)
    if previous is not None:
        previous.superseded_at = now
        session.add(previous)
    session.add(consent)
    session.flush()
    text = record_text(consent_summary(consent, changed=previous is not None), note)
    _insert_entry(session, author, assignment, "consent", text[:TEXT_MAX], occurred=now, now=now)
    return consent


def revoke_consent(session: Session, author: User, consent: Consent, assignment: Assignment,
                   note: str = "", now: datetime | None = None) -> JournalEntry | None:
    """seed 003: revocation is documented; exchange stops from this moment. Revoking an
    already revoked or replaced consent changes nothing (a repeated tap is harmless)."""
    now = now or utcnow()
    if consent.client_id != assignment.client_id:
        raise DomainError(_l("Choose the assignment."), "assignment")
    if consent.revoked_at is not None or consent.superseded_at is not None:
        return None
    errors: dict = {}
    note = _clean(note, TEXT_MAX - 200, "note", errors)
    if assignment.closed:
        errors["assignment"] = _closed_message()
    if errors:
        raise ValidationErrors(errors)
    consent.revoked_at = now
    session.add(consent)
    session.flush()
    text = record_text(
        _l("Consent revoked. Information may no longer be exchanged from now on."), note)
    return _insert_entry(session, author, assignment, "consent", text, occurred=now, now=now)


def consent_summary(consent: Consent, changed: bool = False) -> str:
    """The consent in words, for its journal note (in the record's language)."""
    with force_locale(RECORD_LOCALE):
        head = _l("Consent changed") if changed else _l("Consent given")
        parts = [f"{head} ({CONSENT_FORMS[consent.given_how]}, "
                 f"{consent.given_on.isoformat()} – {consent.valid_until.isoformat()})."]
        for key, label in (("authorities", _l("Authorities")), ("relatives", _l("Relatives")),
                           ("experts", _l("Experts")), ("purpose", _l("Purpose"))):
            value = getattr(consent, key)
            if value:
                parts.append(f"{label}: {value}")
        if consent.covers_documentation:
            parts.append(str(_l("Documentation may be kept.")))
        return "\n".join(str(p) for p in parts)
