"""The social journal: clients, assignments, staff concerned, consent and entries.

Seeds 002, 003 and 004. A client's file (personakt) belongs to one unit; the unit's
managers and the staff assigned to the client now may see it (models/access.py, section
"Social journal"). Entries are append-only: a correction is a new entry that refers to
the corrected one, and both stay visible.

Modules of this room:
  models/journal.py        tables, vocabularies, times, personal identity numbers
  models/journal_people.py clients, assignments, staff concerned, consent
  models/journal_entries.py entries, corrections, disagreement, reading a thread
  models/journal_plan.py   implementation plans (genomförandeplan), follow-ups, closing
  models/journal_shift.py  shift start and read receipts, quick phrases, the inbox
                           provider, the access-log review, and read-only queries for
                           other rooms (manager day feed, statistics, follow-ups):
      entries_for_units_on(session, unit_ids, day) -> list[EntryRow]
      plans_due(session, unit_ids, within_days)    -> list[PlanDue]
      entry_counts(session, unit_ids, start, end)  -> {(unit_id, category): n}
      read_status(session, client)                 -> list[ReadStatus]
  models/journal_demo.py   demo clients in Hemtjänst Norr

Whoever shows journal content (names, entries, plans) must append an access-log row per
client with `log_client_access` first; a failure to log must fail the request.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import UniqueConstraint, event, insert, inspect
from sqlmodel import Field, Session, SQLModel

from models import access
from models.access import User
from models.core import parse
from models.core.clock import LOCAL_TZ, local_today
from models.core.db import detached_row, insert_once, utcnow
from models.core.errors import DomainError
from models.core.parse import luhn_valid

TEXT_MAX = 2000
FUTURE_SLACK = timedelta(minutes=2)  # phone clocks drift; a minute ahead is not "the future"

# --- vocabularies (keys in code, labels through Babel) ---------------------------------

ASSIGNMENT_KINDS = {
    "sol": _l("SoL"),
    "lss": _l("LSS"),
    # seed 002: help given without a needs assessment, documented only with consent
    "service": _l("Service intervention (no needs assessment)"),
}

# seed 003: IBIC's eleven life areas, in the guideline's order
LIFE_AREAS = {
    "learning": _l("Learning and applying knowledge"),
    "general_tasks": _l("General tasks and demands"),
    "communication": _l("Communication"),
    "mobility": _l("Mobility"),
    "self_care": _l("Personal care"),
    "domestic_life": _l("Domestic life"),
    "relations": _l("Interpersonal interactions and relationships"),
    "major_life_areas": _l("Education, work, occupation and economic life"),
    "community": _l("Community, social and civic life"),
    "safety": _l("Feeling of safety"),
    "carer_support": _l("Personal support from someone caring for a relative"),
}

# seed 004 (what to write), 002 (what the journal must show), 003 (content of the journal)
CATEGORIES = {
    "action": _l("Action taken"),
    "circumstance": _l("Actual circumstance"),
    "event": _l("Event of importance"),
    "deviation": _l("Deviation"),
    "document": _l("Document received or drawn up"),
    "concern_report": _l("Report under SoL 14:1"),
    "health": _l("Health observation"),
    "plan": _l("Implementation plan"),
    "follow_up": _l("Plan follow-up"),
    "consent": _l("Consent"),
    "correction": _l("Correction"),
    "disagreement": _l("The person disagrees"),
    "closing": _l("Closing note"),
}
# Chosen in the composer; the others come from their own forms (plan, consent, closing…).
COMPOSER_CATEGORIES = (
    "action", "circumstance", "event", "deviation", "document", "concern_report", "health",
)
TOPICS = {
    "action": {
        "plan_made": _l("Plan made or followed up"),
        "caseworker": _l("Contact with the case officer"),
        "health_staff": _l("Contact with health-care staff"),
        "relatives": _l("Contact with relatives"),
        "deviation_registered": _l("Deviation registered"),
        "sip": _l("Coordinated plan (SIP) drawn up"),
    },
    "circumstance": {
        "missed_visit": _l("Missed visit"),
        "changed_needs": _l("Changed needs"),
        "progress": _l("Progress towards goals"),
        "declined": _l("Offered support declined"),
    },
    "event": {
        "complaint": _l("Complaint or views"),
        "behaviour": _l("Unexpected behaviour"),
        "life_event": _l("Important life event"),
    },
}
# Categories that may be written while a service intervention has no valid consent:
# recording the consent itself, and ending the assignment.
WITHOUT_CONSENT = ("consent", "closing")

CLOSING_REASONS = {
    "deceased": _l("The person has died"),
    "changed_provider": _l("Changed provider"),
    "no_need": _l("No longer needs support"),
    "moved": _l("Moved away"),
    "other": _l("Other reason"),
}
CONSENT_FORMS = {"oral": _l("Oral"), "written": _l("Written")}


# --- tables ----------------------------------------------------------------------------


class Client(SQLModel, table=True):
    """A person with a file (personakt) in one unit."""

    __table_args__ = (
        UniqueConstraint("unit_id", "personal_number", name="uq_client_unit_personal_number"),
        {"sqlite_autoincrement": True},  # destroyed by records management: ids never reused
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(max_length=120)
    personal_number: str = Field(max_length=13)  # YYYYMMDD-NNNN
    reserve_number: bool = False
    born_on: date  # seed 003: born on day 5, 15 or 25 → archived for research
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """An insats/uppdrag carried out for the client."""

    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=16)  # ASSIGNMENT_KINDS
    title: str = Field(max_length=120)
    decided_on: date | None = None
    started_on: date
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def closed(self) -> bool:
        return self.ended_on is not None


class StaffAssignment(SQLModel, table=True):
    """Who is staff concerned (berörd personal) for the client, from and to a date."""

    __tablename__ = "staff_assignment"
    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    from_on: date
    to_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # who ended it and why: "ended" (by a manager), "left_unit", "deactivated", "closed"
    ended_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    end_reason: str | None = Field(default=None, max_length=24)


class Consent(SQLModel, table=True):
    """What the person agreed to (seed 003): with whom, why, how given, until when."""

    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    given_on: date
    given_how: str = Field(max_length=16)  # CONSENT_FORMS
    valid_until: date
    covers_documentation: bool = True  # seed 002: documentation may be kept
    authorities: str = Field(default="", max_length=500)
    relatives: str = Field(default="", max_length=500)
    experts: str = Field(default="", max_length=500)
    purpose: str = Field(default="", max_length=500)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    replaces_id: int | None = Field(default=None, foreign_key="consent.id")
    superseded_at: datetime | None = None
    revoked_at: datetime | None = None

    def valid_on(self, day: date) -> bool:
        revoked = self.revoked_at is not None and self.revoked_at.astimezone(LOCAL_TZ).date() <= day
        return (self.superseded_at is None and not revoked
                and self.given_on <= day <= self.valid_until)


class Plan(SQLModel, table=True):
    """One version of an assignment's implementation plan (genomförandeplan)."""

    __table_args__ = (UniqueConstraint("assignment_id", "version", name="uq_plan_version"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    version: int
    followup_on: date
    participants: str = Field(default="", max_length=500)
    participation: str = Field(default="", max_length=1000)  # the person's part and wishes
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PlanGoal(SQLModel, table=True):
    __tablename__ = "plan_goal"
    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    key: str = Field(max_length=12)  # the same goal keeps its key across plan versions
    position: int = 0
    life_area: str = Field(max_length=32)
    goal: str = Field(max_length=500)
    what: str = Field(default="", max_length=500)
    how: str = Field(default="", max_length=500)
    timing: str = Field(default="", max_length=200)  # when
    by_whom: str = Field(default="", max_length=200)


class JournalEntry(SQLModel, table=True):
    """One note in the journal. Never updated; deleted only with its whole file when the
    retention period has passed (records management, issue 14)."""

    __tablename__ = "journal_entry"
    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True, index=True)  # client-made: idempotent saves
    client_id: int = Field(foreign_key="client.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    author_id: int = Field(foreign_key="app_user.id", index=True)
    category: str = Field(max_length=24)
    topic: str | None = Field(default=None, max_length=24)
    goal_id: int | None = Field(default=None, foreign_key="plan_goal.id")
    text: str = Field(max_length=TEXT_MAX)
    occurred_at: datetime
    written_at: datetime = Field(default_factory=utcnow, index=True)
    refers_to_id: int | None = Field(default=None, foreign_key="journal_entry.id", index=True)


class GoalOutcome(SQLModel, table=True):
    """The outcome for one goal, recorded by a follow-up entry."""

    __tablename__ = "goal_outcome"
    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="journal_entry.id", index=True)
    goal_id: int = Field(foreign_key="plan_goal.id")
    outcome: str = Field(max_length=1000)


class QuickPhrase(SQLModel, table=True):
    """A unit's ready-made phrase, inserted into the composer with one tap."""

    __tablename__ = "quick_phrase"
    __table_args__ = {"sqlite_autoincrement": True}  # deleted: ids never reused

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    text: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=24)
    topic: str | None = Field(default=None, max_length=24)
    position: int = 0


class ShiftStart(SQLModel, table=True):
    __tablename__ = "shift_start"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    started_at: datetime = Field(default_factory=utcnow)


class ShiftRead(SQLModel, table=True):
    """A read receipt: the user has read the client's entries up to `through_entry_id`."""

    __tablename__ = "shift_read"
    __table_args__ = {"sqlite_autoincrement": True}  # destroyed rows' ids never reused

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    shift_id: int | None = Field(default=None, foreign_key="shift_start.id")
    through_entry_id: int = Field(foreign_key="journal_entry.id")
    read_at: datetime = Field(default_factory=utcnow)


class DestroyedFile(SQLModel, table=True):
    """A client file destroyed by records management (issue 14): only its former id, its
    unit and when. The access log keeps its rows about the file; the log review shows
    them as "destroyed file" (never a name: the name went with the file)."""

    __tablename__ = "destroyed_file"

    client_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    unit_id: int = Field(foreign_key="unit.id", index=True)
    destroyed_at: datetime = Field(default_factory=utcnow)


# --- append-only at the model level ----------------------------------------------------


def _refuse(message):
    def listener(_mapper, _connection, _target) -> None:
        raise DomainError(message)

    return listener


for _model in (JournalEntry, GoalOutcome, Plan, PlanGoal, ShiftRead):
    _message = _l("Journal records cannot be changed or deleted: write a correction instead.")
    event.listen(_model, "before_update", _refuse(_message))
    event.listen(_model, "before_delete", _refuse(_message))


@event.listens_for(Consent, "before_update")
def _consent_changes_only_end_it(_mapper, _connection, target) -> None:
    state = inspect(target)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if changed - {"superseded_at", "revoked_at"}:
        raise DomainError(_l("A recorded consent cannot be edited: record a change instead."))


# --- time ------------------------------------------------------------------------------








WHEN_CHOICES = {
    "now": _l("Now"),
    "hour": _l("1 h ago"),
    "morning": _l("This morning"),
    "yesterday": _l("Yesterday"),
    "other": _l("Other time"),
}


def resolve_occurred_at(choice: str | None, other: str | None = None,
                        now: datetime | None = None) -> datetime:
    """The composer's 'when' chips → an aware UTC time (the entry checks the future)."""
    now = now or utcnow()
    local_now = now.astimezone(LOCAL_TZ)
    choice = choice or "now"
    if choice == "now":
        return now
    if choice == "hour":
        return now - timedelta(hours=1)
    if choice == "morning":
        return local_now.replace(hour=8, minute=0, second=0, microsecond=0)
    if choice == "yesterday":
        return local_now - timedelta(days=1)
    if choice == "other":
        parsed = parse.parse_moment(other, "occurred_at")
        return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed
    raise DomainError(_l("Choose when it happened."), "occurred_at")


# --- personal identity numbers ---------------------------------------------------------

_PNR = re.compile(r"^([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+]?)([0-9]{4})$")


def parse_personal_number(raw: str, today: date | None = None) -> tuple[str, date]:
    """Normalise a personnummer, samordningsnummer or reserve number; return it and the birth
    date. The last digit is a Luhn check digit over YYMMDDNNN; day + 60 is a coordination
    number. A reserve number is given in the same form and checked the same way."""
    today = today or local_today()
    text = re.sub(r"\s", "", raw or "")
    match = _PNR.match(text)
    if not match:
        raise DomainError(_l("Write the number as YYYYMMDD-NNNN."), "personal_number")
    century, yy, mm, dd, sign, serial = match.groups()
    if not luhn_valid(yy + mm + dd + serial):
        raise DomainError(
            _l("The check digit does not match. Check the number."), "personal_number"
        )
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
    if century:
        years = [int(century + yy)]
    else:
        base = 2000 + int(yy)
        years = [base, base - 100] if sign != "+" else [base - 100, base - 200]
    for year in years:
        try:
            born = date(year, int(mm), day)
        except ValueError:
            raise DomainError(
                _l("The date in the number does not exist."), "personal_number"
            ) from None
        if born <= today and (not sign == "+" or today.year - year >= 100):
            return f"{year:04d}{mm}{dd}-{serial}", born
    raise DomainError(_l("The date in the number is in the future."), "personal_number")


def _clean(value: str | None, limit: int, field: str, errors: dict, required=None) -> str:
    # The journal's texts of 500 characters or more are written in text areas and may have
    # lines; its names, titles, phone numbers and phrases are one line.
    try:
        return parse.clean_text(value, field, limit, required, lines=limit >= 500)
    except DomainError as error:
        errors[field] = error.message
        return str(value or "").strip()


# --- low-level helpers shared by the journal modules ------------------------------------


RECORD_LOCALE = "sv"  # the file is a Swedish record, whatever language the writer's UI uses


def record_text(*parts) -> str:
    """Text the system writes into the journal (plan drawn up, consent given…), in Swedish."""
    with force_locale(RECORD_LOCALE):
        return "\n".join(str(p) for p in parts if p)


def _closed_message():
    return _l("The assignment is closed: its journal is read-only.")


def _insert_entry(session: Session, author: User, assignment: Assignment, category: str,
                  text: str, occurred: datetime, now: datetime, topic: str | None = None,
                  goal_id: int | None = None, refers_to_id: int | None = None,
                  client_uuid: str | None = None, once: bool = False) -> JournalEntry | None:
    """Write one entry now (a plain INSERT … RETURNING id, as a flush would, so a duplicate
    client UUID fails here); the entry is known in full, so it is not read back.
    `once`: a client UUID already stored writes nothing and returns None (the composer's
    exactly-once; the caller reads the stored entry)."""
    row = {"uuid": client_uuid or str(uuidlib.uuid4()), "client_id": assignment.client_id,
           "assignment_id": assignment.id, "author_id": author.id, "category": category,
           "topic": topic, "goal_id": goal_id, "text": text, "occurred_at": occurred,
           "written_at": now, "refers_to_id": refers_to_id}
    if once:
        entry_id = insert_once(session, JournalEntry.__table__, row)
        if entry_id is None:
            return None
    else:
        entry_id = session.execute(_INSERT_ENTRY, row).scalar_one()
    entry = detached_row(JournalEntry, dict(row, id=entry_id))
    session.add(entry)
    return entry


_INSERT_ENTRY = insert(JournalEntry.__table__).returning(JournalEntry.__table__.c.id)


def log_client_access(session: Session, user: User | None, client_id: int, action: str,
                      outcome: str = "granted", request_id: str | None = None) -> None:
    """One access-log row for a client (flushed now: a failure stops the request)."""
    access.log_access(session, user, "client", client_id, action, outcome, request_id)
