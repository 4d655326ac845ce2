"""Working notes (arbetsanteckningar): a counsellor's private memory between talks.

Seed 000 and the "Arbetsanteckningar + Aggregerad data" rows of seed 001: the notes are
the worker's own, must not reveal who the person is, are never shared, are not part of
any record, and are shredded when the contact ends. Only anonymous tallies remain.

- ``WorkingContact``: one counselling contact, known only by a pseudonym the worker
  chooses ("Blå 7") and its activity. There is no field for a name, personnummer,
  phone, address or e-mail; ``models.identity`` refuses text that looks like one.
- ``ContactTalk``: one talk = one tally (recorded by ``models.tally.record_tally``, so it
  counts in the statistics exactly like any tally) linked to the contact.
- ``WorkingNote``: the optional note written with a talk.
- ``NotesUnitSetting``: per unit, after how many idle days a contact is proposed for
  shredding, and how many days later it is shredded.
- ``ShredLog``: counts and dates of each shredding, never content.

Shredding deletes the rows (never a flag). SQLite runs with ``secure_delete`` so freed
pages are zeroed, and ``wipe_freed_pages`` checkpoints the WAL so no old page survives
there. The tallies stay, no longer linked to anything.

Public functions
- ``notes_activities(session, user)``, ``may_open_contact(session, user, activity)``
- ``open_contact(session, owner, activity, pseudonym, unit_id=None) -> WorkingContact``
- ``log_talk(session, owner, contact, values, note, client_uuid, now=None)
  -> (ContactTalk, created)``
- ``contact_state(session, contact, now=None) -> ContactState``,
  ``contacts_of(session, owner, now=None) -> list[ContactState]``, ``talks_of(...)``
- ``end_contact(session, owner, contact, now=None) -> ShredLog``
- ``shred_idle(session, now=None) -> list[ShredLog]`` (the daily CLI job)
- ``wipe_freed_pages(session) -> bool`` (call after the shredding is committed)
- ``unit_setting(session, unit_id)``, ``set_unit_setting(session, unit_id, idle, grace)``
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Role, Unit, User, log_access, units_of
from models.access.inbox import Thread, thread_provider
from models.catalogue import (
    Activity,
    ActivityUnit,
    Level,
    activities_of_user,
    current_field_set,
    responsible_units_of,
    spec_of,
)
from models.core import parse
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.notes.guard import ensure_no_identity
from models.tally import (
    Tally,
    TallyView,
    as_uuid,
    by_uuid,
    record_tally,
    summary,
    validate,
    views_of,
)

PSEUDONYM_MAX = 40
NOTE_MAX = 1000
DEFAULT_IDLE_DAYS = 90  # issue 6: "no talk for N days (default 90, set per unit)"
DEFAULT_GRACE_DAYS = 14
TALKS_FIELD = "talks"  # seed 001 "antal samtal": a logged talk of a contact is one talk


# --- tables ---------------------------------------------------------------------------


# Shredded rows are deleted: their ids must never come back for a new row (an old URL, the
# access log), so SQLite keeps the highest id ever used (migration 0008).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class WorkingContact(SQLModel, table=True):
    """A counselling contact: a pseudonym and an activity, nothing that identifies."""

    __tablename__ = "working_contact"
    __table_args__ = (
        UniqueConstraint("owner_id", "pseudonym", name="uq_working_contact_owner_pseudonym"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    activity_id: int = Field(foreign_key="activity.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    pseudonym: str = Field(max_length=PSEUDONYM_MAX)
    created_at: datetime = Field(default_factory=utcnow)
    last_talk_at: datetime | None = None

    @property
    def last_activity_at(self) -> datetime:
        return self.last_talk_at or self.created_at


class ContactTalk(SQLModel, table=True):
    """One talk of a contact: the link to its tally (deleted when the contact is shredded)."""

    __tablename__ = "contact_talk"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="working_contact.id", index=True)
    tally_id: int = Field(foreign_key="tally.id", unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class WorkingNote(SQLModel, table=True):
    """The counsellor's note for one talk. Owner-only; shredded with the contact."""

    __tablename__ = "working_note"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="working_contact.id", index=True)
    talk_id: int = Field(foreign_key="contact_talk.id", unique=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    written_at: datetime = Field(default_factory=utcnow)


class NotesUnitSetting(SQLModel, table=True):
    """A unit's idle limit: proposed for shredding after idle_days, shredded grace_days later."""

    __tablename__ = "notes_unit_setting"
    __table_args__ = (
        CheckConstraint("idle_days >= 1 AND grace_days >= 0", name="ck_notes_unit_setting_days"),
    )

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    idle_days: int = DEFAULT_IDLE_DAYS
    grace_days: int = DEFAULT_GRACE_DAYS
    updated_at: datetime = Field(default_factory=utcnow)


class ShredLog(SQLModel, table=True):
    """That shredding happened: counts and dates only, never a pseudonym or a note."""

    __tablename__ = "shred_log"
    __table_args__ = (
        CheckConstraint("reason IN ('ended', 'idle')", name="ck_shred_log_reason"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    reason: str = Field(max_length=8)  # ended (by the owner) | idle (the daily job)
    contacts: int = 0
    talks: int = 0
    notes: int = 0


# --- who may keep working notes ------------------------------------------------------


def notes_activities(session: Session, user: User) -> list[Activity]:
    """Activities of the user's units whose level is working notes + aggregate data."""
    if user.role != Role.staff:
        return []
    return [a for a in activities_of_user(session, user) if a.level == Level.notes]


def may_open_contact(session: Session, user: User, activity: Activity | None) -> bool:
    """Staff of a responsible unit, for an active activity of the working-notes level."""
    return (
        activity is not None and user.role == Role.staff and activity.active
        and activity.level == Level.notes and bool(responsible_units_of(session, user, activity))
    )


# --- contacts ---------------------------------------------------------------------------


def clean_pseudonym(text: str | None) -> str:
    return " ".join((text or "").split())


def open_contact(
    session: Session, owner: User, activity: Activity | None, pseudonym: str,
    unit_id: int | None = None,
) -> WorkingContact:
    """Start a contact under a pseudonym the worker chooses; refuses anything identifying."""
    pseudonym = clean_pseudonym(pseudonym)
    errors: dict = {}
    if not may_open_contact(session, owner, activity):
        errors["activity"] = _l("Choose an activity that keeps working notes.")
    if not pseudonym:
        errors["pseudonym"] = _l("Choose a pseudonym, for example a colour and a number.")
    elif len(pseudonym) > PSEUDONYM_MAX:
        errors["pseudonym"] = _l("At most %(max)d characters.", max=PSEUDONYM_MAX)
    elif parse.has_control(pseudonym):
        errors["pseudonym"] = parse.CONTROL_MESSAGE
    else:
        try:
            ensure_no_identity(pseudonym, "pseudonym")
        except DomainError as leak:
            errors["pseudonym"] = leak
    if "pseudonym" not in errors and session.exec(
        select(WorkingContact.id).where(
            WorkingContact.owner_id == owner.id, WorkingContact.pseudonym == pseudonym)
    ).first():
        errors["pseudonym"] = _l("You already have a contact with this pseudonym.")
    unit = None
    if "activity" not in errors:
        units = responsible_units_of(session, owner, activity)
        if parse.parse_id(unit_id) in units:
            unit = parse.parse_id(unit_id)
        elif len(units) == 1:
            unit = units[0]
        else:
            errors["unit"] = _l("Choose the unit the contact belongs to.")
    if errors:
        raise ValidationErrors(errors)
    contact = WorkingContact(
        owner_id=owner.id, activity_id=activity.id, unit_id=unit, pseudonym=pseudonym
    )
    session.add(contact)
    session.flush()
    log_access(session, owner, "contact", contact.id, "notes.open_contact")
    return contact


@dataclass
class Talk:
    """One talk as the thread shows it: its number, tally and note."""

    number: int
    link: ContactTalk
    tally: TallyView
    note: WorkingNote | None

    def lines(self, locale: str = "sv") -> list[str]:
        """The tally as short lines, without the talk count (it is always one)."""
        return tally_lines(self.tally.spec, self.tally.values, locale)


def tally_lines(spec, values: dict, locale: str = "sv") -> list[str]:
    return summary(spec, {k: v for k, v in values.items() if k != TALKS_FIELD}, locale)


def talks_of(session: Session, contact: WorkingContact) -> list[Talk]:
    """The contact's talks, oldest first, with their tallies and notes."""
    links = session.exec(
        select(ContactTalk).where(ContactTalk.contact_id == contact.id).order_by(ContactTalk.id)
    ).all()
    if not links:
        return []
    tallies = {t.id: t for t in session.exec(
        select(Tally).where(Tally.id.in_([link.tally_id for link in links])))}
    views = {v.tally.id: v for v in views_of(session, list(tallies.values()))}
    notes = {n.talk_id: n for n in session.exec(
        select(WorkingNote).where(WorkingNote.contact_id == contact.id))}
    return [Talk(number, link, views[link.tally_id], notes.get(link.id))
            for number, link in enumerate(links, start=1)]


def talk_count(session: Session, contact: WorkingContact) -> int:
    """Talks that count towards the cap: every linked talk whose tally was not undone."""
    stmt = (
        select(func.count(ContactTalk.id))
        .join(Tally, Tally.id == ContactTalk.tally_id)
        .where(ContactTalk.contact_id == contact.id,
               (Tally.void_reason == None) | (Tally.void_reason != "undo"))  # noqa: E711
    )
    return int(session.exec(stmt).one())


def log_talk(
    session: Session, owner: User, contact: WorkingContact, values: dict, note: str | None,
    client_uuid, now: datetime | None = None,
) -> tuple[ContactTalk, bool]:
    """Record one talk: its tally through the tally model, and optionally a note.

    Exactly once per client_uuid. Refused when the note looks like identity, when the
    activity's talk cap is reached (seed 001, Råd och stöd: "max fem sammanhållande
    samtal"), or when the tally's fields are invalid; nothing is stored then.
    """
    client_uuid = as_uuid(client_uuid)
    existing = by_uuid(session, client_uuid)
    if existing is not None:
        link = session.exec(select(ContactTalk).where(ContactTalk.tally_id == existing.id)).first()
        if link is None or link.contact_id != contact.id:
            raise DomainError(_l("This submission was already used for something else."))
        return link, False
    now = now or utcnow()
    activity = session.get(Activity, contact.activity_id)
    # Lock the contact first: two talks sent at once must not both pass the cap.
    session.execute(update(WorkingContact).where(WorkingContact.id == contact.id)
                    .values(last_talk_at=now))
    cap = activity.talk_cap
    if cap and talk_count(session, contact) >= cap:
        raise DomainError(_l(
            "This contact has had %(cap)d connected talks, the most this activity allows. "
            "If the person needs more support, the contact should become a needs-assessed "
            "case: end it here and refer the person for an assessment."), "talk", cap=cap)
    values = _with_one_talk(session, activity, contact.unit_id, values)
    note = (note or "").strip()
    note_errors = _note_errors(note)
    if note_errors:
        field_set = current_field_set(session, activity, contact.unit_id)
        try:  # report the tally's own field errors in the same answer
            validate(spec_of(session, field_set.id), values, activity)
        except ValidationErrors as invalid:
            note_errors = {**invalid.errors, **note_errors}
        raise ValidationErrors(note_errors)
    tally, _created = record_tally(session, owner, activity, values, client_uuid,
                                   unit=contact.unit_id, now=now)
    link = ContactTalk(contact_id=contact.id, tally_id=tally.id, created_at=now)
    session.add(link)
    session.flush()
    if note:
        session.add(WorkingNote(contact_id=contact.id, talk_id=link.id, text=note,
                                written_at=now))
    contact.last_talk_at = now
    session.add(contact)
    session.flush()
    log_access(session, owner, "contact", contact.id, "notes.log_talk")
    return link, True


def _with_one_talk(session: Session, activity: Activity, unit_id: int, values: dict) -> dict:
    field_set = current_field_set(session, activity, unit_id)
    spec = spec_of(session, field_set.id)
    talks = spec.field(TALKS_FIELD)
    if talks is not None and talks.kind == "count":
        return {**values, TALKS_FIELD: 1}
    return values


def _note_errors(note: str) -> dict:
    if len(note) > NOTE_MAX:
        return {"note": _l("At most %(max)d characters.", max=NOTE_MAX)}
    if parse.has_control(note, lines=True):
        return {"note": parse.CONTROL_MESSAGE}
    try:
        ensure_no_identity(note, "note")
    except DomainError as leak:
        return {"note": leak}
    return {}


def last_values(session: Session, contact: WorkingContact) -> dict:
    """The latest talk's tally values: the person's gender and age rarely change."""
    link = session.exec(
        select(ContactTalk).join(Tally, Tally.id == ContactTalk.tally_id)
        .where(ContactTalk.contact_id == contact.id, Tally.voided_at == None)  # noqa: E711
        .order_by(ContactTalk.id.desc()).limit(1)
    ).first()
    if link is None:
        return {}
    tally = session.get(Tally, link.tally_id)
    return views_of(session, [tally])[0].values


# --- idle contacts and the unit's setting -------------------------------------------------


def unit_setting(session: Session, unit_id: int) -> NotesUnitSetting:
    """The unit's idle limit, or the defaults (not stored until someone changes them)."""
    return session.get(NotesUnitSetting, unit_id) or NotesUnitSetting(unit_id=unit_id)


def set_unit_setting(session: Session, unit_id: int, idle_days, grace_days) -> NotesUnitSetting:
    """Change a unit's idle limit (1–730 days) and grace period (0–90 days)."""
    errors = {}
    idle = _days(idle_days, 1, 730)
    grace = _days(grace_days, 0, 90)
    if idle is None:
        errors["idle_days"] = _l("Enter a number of days from %(low)d to %(high)d.",
                                 low=1, high=730)
    if grace is None:
        errors["grace_days"] = _l("Enter a number of days from %(low)d to %(high)d.",
                                  low=0, high=90)
    if errors:
        raise ValidationErrors(errors)
    row = session.get(NotesUnitSetting, unit_id) or NotesUnitSetting(unit_id=unit_id)
    row.idle_days, row.grace_days, row.updated_at = idle, grace, utcnow()
    session.add(row)
    session.flush()
    return row


def _days(raw, low: int, high: int) -> int | None:
    return parse.parse_int(raw, low, high)


def settings_of(session: Session, user: User) -> list[tuple[Unit, NotesUnitSetting]]:
    """The units with a working-notes activity whose idle limit the user may set."""
    if user.role not in (Role.admin, Role.manager):
        return []
    stmt = (
        select(Unit).join(ActivityUnit, ActivityUnit.unit_id == Unit.id)
        .join(Activity, Activity.id == ActivityUnit.activity_id)
        .where(Activity.level == Level.notes).distinct().order_by(Unit.name)
    )
    if user.role == Role.manager:
        stmt = stmt.where(Unit.id.in_([u.id for u in units_of(session, user)]))
    return [(u, unit_setting(session, u.id)) for u in session.exec(stmt).all()]


@dataclass
class ContactState:
    """A contact with what its owner needs to see: count, cap, and when it is shredded."""

    contact: WorkingContact
    activity: Activity
    talks: int
    cap: int | None
    proposed_at: datetime  # no talk for idle_days: listed as "shred soon"
    shred_at: datetime  # after the grace period: shredded by `flask notes shred-idle`
    shred_soon: bool

    @property
    def at_cap(self) -> bool:
        """seed 000: the activity's most connected talks are used up."""
        return bool(self.cap) and self.talks >= self.cap

    @property
    def count_label(self) -> str:
        if self.cap:
            return str(_l("%(num)d of %(cap)d", num=self.talks, cap=self.cap))
        return ngettext("%(num)d talk", "%(num)d talks", self.talks)


def contact_state(session: Session, contact: WorkingContact,
                  now: datetime | None = None) -> ContactState:
    now = now or utcnow()
    activity = session.get(Activity, contact.activity_id)
    setting = unit_setting(session, contact.unit_id)
    proposed = contact.last_activity_at + timedelta(days=setting.idle_days)
    return ContactState(
        contact=contact, activity=activity, talks=talk_count(session, contact),
        cap=activity.talk_cap, proposed_at=proposed,
        shred_at=proposed + timedelta(days=setting.grace_days), shred_soon=now >= proposed,
    )


def contacts_of(session: Session, owner: User, now: datetime | None = None) -> list[ContactState]:
    """The owner's contacts, most recent talk first. Only ever the owner's own."""
    contacts = session.exec(
        select(WorkingContact).where(WorkingContact.owner_id == owner.id)
    ).all()
    states = [contact_state(session, c, now) for c in contacts]
    return sorted(states, key=lambda s: s.contact.last_activity_at, reverse=True)


# --- inbox ------------------------------------------------------------------------------


@thread_provider
def contact_threads(session: Session, user: User) -> list[Thread]:
    """A counsellor's open contacts, and the way to start one. Never shown to anyone else.

    Managers and admins get one thread instead: the units' idle limits and shred log.
    """
    if user.role in (Role.manager, Role.admin):
        return [Thread(
            key="notes-settings", title=str(_l("Working notes")), endpoint="notes.settings",
            last_line=str(_l("When idle contacts are shredded")), kind="unit",
        )]
    if user.role != Role.staff:
        return []
    states = contacts_of(session, user)
    if not states and not notes_activities(session, user):
        return []
    threads = [Thread(
        key="notes", title=str(_l("Working notes")), endpoint="notes.index",
        last_line=ngettext("%(num)d open contact", "%(num)d open contacts", len(states)),
        kind="contact", section="tools",
    )]
    unit_names = dict(session.exec(select(Unit.id, Unit.name).where(
        col(Unit.id).in_({s.contact.unit_id for s in states} or {-1}))).all())
    for state in states:
        threads.append(Thread(
            key=f"contact:{state.contact.id}", title=state.contact.pseudonym,
            endpoint="notes.contact", values={"contact_id": state.contact.id},
            last_line=f"{state.count_label} · {state.activity.name}",
            time=state.contact.last_activity_at, kind="contact",
            badge=str(_l("Shred soon")) if state.shred_soon else (
                state.count_label if state.cap else ""),
            section="clients", units=(unit_names[state.contact.unit_id],),
        ))
    return threads


def new_client_uuid() -> str:
    return str(uuid.uuid4())
