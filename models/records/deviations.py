"""Deviations (avvikelser): reported by any staff member of a unit, investigated, classified,
given measures and closed by its manager (seed 003, SOSFS 2011:9: report, investigate,
analyse, remedy, follow up).

A deviation reported from a client's thread also writes a journal entry of category
"deviation" (seed 002/003: the journal shows deviations from what was agreed); the
deviation keeps that entry's id. The classification is a unit's own list, stored as data;
a unit without a list gets the four defaults on first use (`kinds_of`, by an insert that
tolerates two first readers at once).
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Role, Unit, User, is_manager_of, unit_ids, units_of
from models.access.inbox import Thread, thread_provider
from models.core.clock import LOCAL_TZ, local_midnight
from models.core.db import insert_missing, utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import clean_text, parse_day, parse_id
from models.journal.entries import add_entry
from models.journal.people import open_assignments
from models.journal.tables import (
    FUTURE_SLACK,
    Client,
    log_client_access,
    record_text,
    resolve_occurred_at,
)

WHAT_MAX = 1200  # with the immediate action, the journal entry stays within its 2000
ACTION_MAX = 600
INVESTIGATION_MAX = 2000
LABEL_MAX = 80
KINDS_MAX = 20

# The four classes; each unit may rename, add or retire (the list is data).
DEFAULT_KINDS = {
    "missed_visit": _l("Missed visit"),
    "wrong_action": _l("Wrong action"),
    "near_miss": _l("Near miss"),
    "other": _l("Other"),
}
UNIT_MESSAGE = _l("Choose the unit.")
UUID_MESSAGE = _l("The form is out of date; reload the page.")
PERIOD_MESSAGE = _l("The end comes before the start.")
STATUSES = {
    "reported": _l("Reported"),
    "investigating": _l("Under investigation"),
    "closed": _l("Closed"),
}


class DeviationKind(SQLModel, table=True):
    """One class of a unit's deviation list. A retired class stays for old deviations."""

    __tablename__ = "deviation_kind"
    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_deviation_kind_unit_key"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    key: str = Field(max_length=32)
    custom_label: str | None = Field(default=None, max_length=LABEL_MAX)  # None: the default's
    position: int = 0
    retired: bool = False

    @property
    def label(self) -> str:
        if self.custom_label:
            return self.custom_label
        return str(DEFAULT_KINDS.get(self.key, self.key))


class Deviation(SQLModel, table=True):
    """What happened, when, and what was done at once; then the manager's investigation."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)  # the form's: a double tap saves once
    unit_id: int = Field(foreign_key="unit.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    reported_by: int = Field(foreign_key="app_user.id")
    reported_at: datetime = Field(default_factory=utcnow)
    occurred_at: datetime = Field(index=True)
    what: str = Field(max_length=WHAT_MAX)
    immediate_action: str = Field(default="", max_length=ACTION_MAX)
    status: str = Field(default="reported", max_length=16)  # STATUSES
    kind_id: int | None = Field(default=None, foreign_key="deviation_kind.id")
    investigation: str = Field(default="", max_length=INVESTIGATION_MAX)
    measures: str = Field(default="", max_length=INVESTIGATION_MAX)
    closed_by: int | None = Field(default=None, foreign_key="app_user.id")
    closed_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status == "closed"


# --- the unit's list ---------------------------------------------------------------------


def kinds_of(session: Session, unit: Unit, with_retired: bool = False) -> list[DeviationKind]:
    """The unit's classes in order; the four defaults are stored on first use. Two first
    readers at once (two phones opening the report form) both insert the defaults; the
    insert skips rows already there, so neither gets a duplicate class or an error."""
    stmt = (select(DeviationKind).where(DeviationKind.unit_id == unit.id)
            .order_by(col(DeviationKind.position), col(DeviationKind.id)))
    rows = list(session.exec(stmt))
    if not rows:
        store_default_kinds(session, unit)
        rows = list(session.exec(stmt))
    return rows if with_retired else [k for k in rows if not k.retired]


def store_default_kinds(session: Session, unit: Unit) -> None:
    """The four defaults for a unit, each unless it is there already (by unit and key)."""
    insert_missing(session, DeviationKind, [
        {"unit_id": unit.id, "key": key, "custom_label": None, "position": i,
         "retired": False} for i, key in enumerate(DEFAULT_KINDS)], ["unit_id", "key"])


def save_kinds(session: Session, unit: Unit, text: str) -> list[DeviationKind]:
    """Replace the unit's list by the lines of `text` (one class a line, in order). A line
    equal to a class's label keeps that class; a class left out is retired, not deleted."""
    lines: list[str] = []
    for raw in str(text or "").splitlines():
        label = clean_text(raw, "kinds", LABEL_MAX)
        if label and label.casefold() not in {x.casefold() for x in lines}:
            lines.append(label)
    if not lines:
        raise DomainError(_l("Write at least one class, one a line."), "kinds")
    if len(lines) > KINDS_MAX:
        raise DomainError(_l("At most %(max)d classes."), "kinds", max=KINDS_MAX)
    existing = kinds_of(session, unit, with_retired=True)
    by_label = {k.label.casefold(): k for k in existing}
    for k in existing:
        k.retired = True
    for position, label in enumerate(lines):
        kind = by_label.get(label.casefold())
        if kind is None:
            kind = DeviationKind(unit_id=unit.id, key=f"u{uuidlib.uuid4().hex[:12]}",
                                 custom_label=label)
        kind.position, kind.retired = position, False
        session.add(kind)
    session.flush()
    return kinds_of(session, unit)


# --- reporting ---------------------------------------------------------------------------


@dataclass
class DeviationInput:
    what: str = ""
    immediate_action: str = ""
    when: str = "now"
    when_other: str = ""
    assignment: str = ""
    uuid: str = ""


def input_from(form) -> DeviationInput:
    return DeviationInput(what=form.get("what", ""), when=form.get("when", "now"),
                          immediate_action=form.get("immediate_action", ""),
                          when_other=form.get("occurred_at", ""),
                          assignment=form.get("assignment", ""), uuid=form.get("uuid", ""))


def _by_uuid(session: Session, value: str) -> Deviation | None:
    return session.exec(select(Deviation).where(Deviation.uuid == value)).first()


def _check(data: DeviationInput, now: datetime) -> tuple[dict, str, str, datetime | None]:
    errors: dict = {}
    what = action = ""
    occurred = None
    try:
        what = clean_text(data.what, "what", WHAT_MAX, _l("Write what happened."), lines=True)
    except DomainError as error:
        errors["what"] = error.message
    try:
        action = clean_text(data.immediate_action, "immediate_action", ACTION_MAX, lines=True)
    except DomainError as error:
        errors["immediate_action"] = error.message
    try:
        occurred = resolve_occurred_at(data.when, data.when_other, now)
        if occurred > now + FUTURE_SLACK:
            errors["when"] = _l("The time is in the future. Write when it actually happened.")
    except DomainError as error:
        errors["when"] = error.message
    return errors, what, action, occurred


def _uuid(raw: str) -> str:
    try:
        return str(uuidlib.UUID(str(raw)))
    except ValueError:
        raise ValidationErrors({"form": UUID_MESSAGE}) from None


def report(session: Session, reporter: User, unit: Unit, data: DeviationInput,
           client: Client | None = None, now: datetime | None = None) -> Deviation:
    """Record a deviation (the access rules are the caller's). From a client, the client's
    journal gets an entry of category "deviation" on the chosen (or only) open assignment.
    The form's uuid makes a second submission return the first deviation."""
    now = now or utcnow()
    key = _uuid(data.uuid)
    existing = _by_uuid(session, key)
    if existing is not None:
        if existing.reported_by != reporter.id:
            raise ValidationErrors({"form": UUID_MESSAGE})
        return existing
    errors, what, action, occurred = _check(data, now)
    if errors:
        raise ValidationErrors(errors)
    deviation = Deviation(uuid=key, unit_id=unit.id, reported_by=reporter.id, reported_at=now,
                          occurred_at=occurred, what=what, immediate_action=action)
    if client is not None:
        deviation.client_id = client.id
        deviation.entry_id = _journal_entry(session, reporter, client, data, what, action,
                                            occurred, now).id
    session.add(deviation)
    session.flush()
    return deviation


def _journal_entry(session: Session, author: User, client: Client, data: DeviationInput,
                   what: str, action: str, occurred: datetime, now: datetime):
    open_ = open_assignments(session, client)
    chosen = parse_id(data.assignment) or (open_[0].id if len(open_) == 1 else None)
    if not open_:
        raise ValidationErrors({"assignment": _l(
            "The client has no open assignment; report the deviation from the unit.")})
    text = record_text(what, action and _l("Immediate action: %(text)s", text=action))
    entry, _created = add_entry(session, author, client, chosen, "deviation", text,
                                occurred_at=occurred, now=now)
    return entry


# --- investigating -----------------------------------------------------------------------


@dataclass
class InvestigationInput:
    kind: str = ""
    investigation: str = ""
    measures: str = ""
    close: bool = False


def investigation_from(form) -> InvestigationInput:
    return InvestigationInput(kind=form.get("kind", ""), measures=form.get("measures", ""),
                              investigation=form.get("investigation", ""),
                              close=form.get("close") == "1")


def investigate(session: Session, manager: User, deviation: Deviation,
                data: InvestigationInput, now: datetime | None = None) -> Deviation:
    """Classify, write the investigation and measures; close when asked (a closed deviation
    needs a class and measures, and is not changed any more)."""
    if deviation.closed:
        raise ValidationErrors({"form": _l("The deviation is closed and can no longer change.")})
    errors: dict = {}
    unit = session.get(Unit, deviation.unit_id)
    kinds = {k.id: k for k in kinds_of(session, unit, with_retired=True)}
    kind_id = parse_id(data.kind) if data.kind else None
    if data.kind and kind_id not in kinds:
        errors["kind"] = _l("Choose a class from the list.")
    texts = {}
    for name in ("investigation", "measures"):
        try:
            texts[name] = clean_text(getattr(data, name), name, INVESTIGATION_MAX, lines=True)
        except DomainError as error:
            errors[name] = error.message
    if data.close and not errors:
        if kind_id is None:
            errors["kind"] = _l("Classify the deviation before closing it.")
        if not texts.get("measures"):
            errors["measures"] = _l("Write the measures taken before closing it.")
    if errors:
        raise ValidationErrors(errors)
    deviation.kind_id = kind_id
    deviation.investigation, deviation.measures = texts["investigation"], texts["measures"]
    deviation.status = "closed" if data.close else "investigating"
    if data.close:
        deviation.closed_by, deviation.closed_at = manager.id, now or utcnow()
    session.add(deviation)
    session.flush()
    return deviation


# --- lists and counts ----------------------------------------------------------------------


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local days start..end (both included) as UTC-comparable datetimes."""
    return local_midnight(start), local_midnight(end + timedelta(days=1))


def deviations_in(session: Session, unit_ids: list[int], start: date, end: date,
                  status: str | None = None) -> list[Deviation]:
    """Deviations of the units that happened from `start` to `end`, newest first."""
    low, high = period_bounds(start, end)
    stmt = select(Deviation).where(col(Deviation.unit_id).in_(unit_ids or [-1]),
                                   Deviation.occurred_at >= low, Deviation.occurred_at < high)
    if status in STATUSES:
        stmt = stmt.where(Deviation.status == status)
    return list(session.exec(stmt.order_by(col(Deviation.occurred_at).desc(),
                                           col(Deviation.id).desc())))


@dataclass
class Counts:
    total: int
    by_status: dict  # status key → n
    by_kind: list  # (label, n), the unclassified last


def counts(session: Session, unit_ids: list[int], start: date, end: date) -> Counts:
    """How many deviations per status and per class in the period (SQL GROUP BY)."""
    low, high = period_bounds(start, end)
    stmt = (select(Deviation.status, Deviation.kind_id, func.count())
            .where(col(Deviation.unit_id).in_(unit_ids or [-1]),
                   Deviation.occurred_at >= low, Deviation.occurred_at < high)
            .group_by(Deviation.status, Deviation.kind_id))
    rows = session.exec(stmt).all()
    kinds = {k.id: k for k in session.exec(select(DeviationKind).where(
        col(DeviationKind.id).in_({r[1] for r in rows if r[1]} or [-1])))}
    by_status = dict.fromkeys(STATUSES, 0)
    by_kind: dict = {}
    for status, kind_id, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        label = kinds[kind_id].label if kind_id in kinds else str(_l("Not classified"))
        by_kind[label] = by_kind.get(label, 0) + n
    unclassified = str(_l("Not classified"))
    ordered = sorted(((k, v) for k, v in by_kind.items() if k != unclassified))
    if unclassified in by_kind:
        ordered.append((unclassified, by_kind[unclassified]))
    return Counts(sum(by_status.values()), by_status, ordered)


def managed_units(session: Session, user: User) -> list[Unit]:
    """The units `user` manages, by name."""
    return [u for u in units_of(session, user) if is_manager_of(session, user, u.id)]


@dataclass
class Names:
    """Who reported each deviation and which client it is about, by id."""

    people: dict  # user id → User
    clients: dict  # client id → Client (a destroyed file's client is not there)


def names_of(session: Session, rows: list[Deviation]) -> Names:
    """The reporters and clients of these deviations, in two queries."""
    people = {u.id: u for u in session.exec(select(User).where(
        col(User.id).in_({r.reported_by for r in rows} or {-1})))}
    clients = {c.id: c for c in session.exec(select(Client).where(
        col(Client.id).in_({r.client_id for r in rows if r.client_id} or {-1})))}
    return Names(people, clients)


def log_clients_shown(session: Session, user: User, rows: list[Deviation], action: str,
                      request_id: str | None = None) -> None:
    """One access-log row for each client whose name a list or page shows."""
    for client_id in sorted({r.client_id for r in rows if r.client_id}):
        log_client_access(session, user, client_id, action, "granted", request_id)


def reporting_unit(units: list[Unit], raw) -> Unit:
    """The unit a deviation is reported for: the one chosen among the reporter's units,
    or their only unit; otherwise an error at the unit field."""
    chosen = parse_id(raw)
    unit = next((u for u in units if u.id == chosen), None)
    if unit is None and len(units) == 1:
        unit = units[0]
    if unit is None:
        raise ValidationErrors({"unit": UNIT_MESSAGE})
    return unit


def listed_units(units: list[Unit], raw) -> tuple[int | None, list[int]]:
    """The unit chosen for a list (its id, or None for all) and the ids listed: a unit the
    manager does not manage lists nothing."""
    chosen = parse_id(raw)
    return chosen, [u.id for u in units if chosen in (None, u.id)]


def parse_period(args, today: date) -> tuple[date, date, dict]:
    """The list's period from `start` and `end` (each optional, default this year so far);
    a bad day is an error at its field, an end before the start one at `end`, and the
    default period is used for the list meanwhile."""
    errors: dict = {}
    start, end = date(today.year, 1, 1), today
    for name in ("start", "end"):
        try:
            day = parse_day(args.get(name), name, required=False)
        except DomainError as error:
            errors[name], day = error.message, None
        if day is not None:
            start, end = (day, end) if name == "start" else (start, day)
    if start > end:
        errors["end"] = PERIOD_MESSAGE
        start, end = date(today.year, 1, 1), today
    return start, end, errors


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


# --- the inbox -----------------------------------------------------------------------------


@thread_provider
def _deviation_thread(session: Session, user: User) -> list[Thread]:
    """Members of a unit get one thread to report from; managers see the open deviations."""
    units = unit_ids(session, user)
    if not units:
        return []
    if user.role != Role.manager:
        return [Thread("deviations", str(_l("Report a deviation")), "records.deviation_form",
                       last_line=str(_l("Something went differently from the plan or the "
                                        "routines")), kind="unit")]
    managed = [u for u in units if is_manager_of(session, user, u)]
    open_ = session.exec(select(func.count()).select_from(Deviation).where(
        col(Deviation.unit_id).in_(managed or [-1]), Deviation.status != "closed")).one()
    newest = session.exec(select(func.max(Deviation.reported_at)).where(
        col(Deviation.unit_id).in_(managed or [-1]))).one()
    line = ngettext("%(num)d open deviation", "%(num)d open deviations", open_)
    return [Thread("deviations", str(_l("Deviations and self-checks")), "records.deviations",
                   last_line=str(line), time=newest, unread=open_, kind="unit")]
