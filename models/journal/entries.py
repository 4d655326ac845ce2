"""Journal entries: writing from the composer, corrections, the person's disagreement,
and reading a client's thread.

seed 004: close to the event, so occurred_at (the event) and written_at (the server's
clock, never editable) are both kept. Entries are append-only (models/journal.py).
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from models.access import User
from models.core.clock import LOCAL_TZ
from models.core.db import get_by_id, utcnow
from models.core.errors import DomainError, SubmissionReused, ValidationErrors
from models.core.parse import CONTROL_MESSAGE, has_control, parse_id
from models.journal.people import assignments_of, client_assignment, needs_consent
from models.journal.tables import (
    CATEGORIES,
    COMPOSER_CATEGORIES,
    FUTURE_SLACK,
    TEXT_MAX,
    TOPICS,
    WITHOUT_CONSENT,
    Assignment,
    Client,
    GoalOutcome,
    JournalEntry,
    PlanGoal,
    _closed_message,
    _insert_entry,
    resolve_occurred_at,
)


def normalise_uuid(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return str(uuidlib.UUID(str(raw)))
    except ValueError:
        raise DomainError(_l("The note's identifier is damaged; reload the page."),
                          "text") from None


_BY_UUID = select(JournalEntry).where(JournalEntry.uuid == bindparam("uuid"))


def entry_by_uuid(session: Session, value: str | None) -> JournalEntry | None:
    if not value:
        return None
    return session.exec(_BY_UUID, params={"uuid": value}).first()


def check_entry(session: Session, assignment: Assignment, category: str, text: str,
                occurred_at: datetime | None, now: datetime, goal_id=None,
                composer: bool = True) -> dict:
    """Every rule an entry must meet; returns {field: message} (empty when fine)."""
    errors: dict = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = _l("Write what happened.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _l("Too long: at most %(max)d characters.", max=TEXT_MAX)
    elif has_control(text, lines=True):
        errors["text"] = CONTROL_MESSAGE
    allowed = COMPOSER_CATEGORIES if composer else CATEGORIES
    if category not in allowed:
        errors["category"] = _l("Choose what kind of note this is.")
    if occurred_at is None:
        errors["occurred_at"] = _l("Choose when it happened.")
    elif occurred_at > now + FUTURE_SLACK:
        errors["occurred_at"] = _l("The time is in the future. Write when it actually happened.")
    elif occurred_at.astimezone(LOCAL_TZ).date() < assignment.started_on:
        errors["occurred_at"] = _l("That is before the assignment started.")
    if goal_id is not None:
        from models.journal.plans import current_goals  # plans refer to entries too

        if goal_id not in {g.id for g in current_goals(session, assignment)}:
            errors["goal"] = _l("Choose a goal of the current plan.")
    if assignment.closed:
        errors["assignment"] = _closed_message()
    elif category not in WITHOUT_CONSENT and needs_consent(session, assignment):
        errors["consent"] = _l(
            "This service intervention may only be documented with the person's consent. "
            "Record the consent first.")
    return errors


def add_entry(session: Session, author: User, client: Client, assignment_id, category: str,
              text: str, occurred_at: datetime | None = None, topic: str | None = None,
              goal_id: int | None = None, client_uuid: str | None = None,
              when: str | None = None, when_other: str | None = None,
              now: datetime | None = None) -> tuple[JournalEntry, bool]:
    """Write a note from the composer. Returns (entry, created); the same client UUID twice
    returns the first entry (an offline retry never duplicates), and SubmissionReused when
    that entry says something else. The time is `occurred_at`, or the composer's `when`
    chip (and `when_other` for "other"), else now."""
    now = now or utcnow()
    client_uuid = normalise_uuid(client_uuid)

    def stored() -> JournalEntry | None:
        """The entry this client UUID already wrote, if it is this one (else refused)."""
        existing = entry_by_uuid(session, client_uuid)
        if existing is not None and not _same_entry(existing, author, client, assignment_id,
                                                    category, text, topic, goal_id):
            raise SubmissionReused("form")
        return existing

    errors: dict = {}
    assignment = None
    try:
        assignment = client_assignment(session, client, assignment_id)
    except DomainError as error:
        errors["assignment"] = error.message
    if occurred_at is None:
        try:
            occurred_at = resolve_occurred_at(when, when_other, now)
        except DomainError as error:
            errors["occurred_at"] = error.message
    if assignment is not None:
        errors = check_entry(session, assignment, category, text, occurred_at, now,
                             goal_id) | errors
    if errors:
        # A retry of something already stored is answered with it, even if the rules
        # would refuse it today (the assignment closed since): only then is the check
        # worth a query.
        existing = stored()
        if existing is not None:
            return existing, False
        if assignment is None:
            raise ValidationErrors({"assignment": errors["assignment"]})
        raise ValidationErrors(errors)
    if topic not in TOPICS.get(category, {}):
        topic = None  # a topic chip left over from another category says nothing
    entry = _insert_entry(session, author, assignment, category, text.strip(), occurred_at, now,
                          topic=topic, goal_id=goal_id, client_uuid=client_uuid, once=True)
    if entry is None:  # stored before: an offline retry, or its twin a moment ago
        existing = stored()
        if existing is None:  # the UUID is taken by nothing this person can be answered with
            raise SubmissionReused("form")
        return existing, False
    return entry, True


def _same_entry(entry: JournalEntry, author: User, client: Client, assignment_id,
                category: str, text: str, topic: str | None, goal_id: int | None) -> bool:
    """Is a retry the stored entry? Its author, client, assignment, kind, text, topic and
    goal. The time is not compared: "now" on the composer is a minute later on a retry."""
    if topic not in TOPICS.get(category, {}):
        topic = None  # as add_entry stores it
    return (entry.author_id == author.id and entry.client_id == client.id
            and entry.assignment_id == parse_id(assignment_id) and entry.category == category
            and entry.text == (text or "").strip() and entry.topic == topic
            and entry.goal_id == goal_id)


def _refer(session: Session, author: User, original: JournalEntry, category: str, text: str,
           now: datetime | None) -> JournalEntry:
    now = now or utcnow()
    assignment = session.get(Assignment, original.assignment_id)
    errors = check_entry(session, assignment, category, text, now, now, composer=False)
    # Fixing the record, or noting the person's objection to it, never waits for consent.
    errors.pop("consent", None)
    if errors:
        raise ValidationErrors(errors)
    return _insert_entry(session, author, assignment, category, text.strip(), now, now,
                         refers_to_id=original.id)


def correct_entry(session: Session, author: User, original: JournalEntry, text: str,
                  now: datetime | None = None) -> JournalEntry:
    """A correction is a new entry; the original stays, shown as corrected."""
    return _refer(session, author, original, "correction", text, now)


def record_disagreement(session: Session, author: User, original: JournalEntry, text: str,
                        now: datetime | None = None) -> JournalEntry:
    """seed 003: when the person thinks something in the file is wrong, that is noted."""
    return _refer(session, author, original, "disagreement", text, now)


# --- reading ---------------------------------------------------------------------------


@dataclass
class EntryView:
    entry: JournalEntry
    author: User
    assignment: Assignment
    goal: PlanGoal | None = None
    refers_to: JournalEntry | None = None
    corrected_by: list | None = None  # correction entries pointing here
    disputed_by: list | None = None  # disagreement entries pointing here
    outcomes: list | None = None  # (goal, outcome) for a follow-up
    read_by: list | None = None  # users with a receipt covering this entry


def thread(session: Session, client: Client, entry_ids: list[int] | None = None,
           with_outcomes: bool = True) -> list[EntryView]:
    """The client's entries, oldest first, with what each bubble shows."""
    stmt = (select(JournalEntry, User).join(User, col(User.id) == JournalEntry.author_id)
            .where(JournalEntry.client_id == client.id).order_by(col(JournalEntry.id)))
    if entry_ids is not None:
        stmt = stmt.where(col(JournalEntry.id).in_(entry_ids))
    rows = session.exec(stmt).all()
    assignments = {a.id: a for a in assignments_of(session, client)}
    goal_ids = {e.goal_id for e, _u in rows if e.goal_id}
    goals = {}
    if goal_ids:
        goals = {g.id: g for g in session.exec(select(PlanGoal).where(
            col(PlanGoal.id).in_(goal_ids)))}
    views = [EntryView(e, u, assignments[e.assignment_id], goals.get(e.goal_id),
                       corrected_by=[], disputed_by=[]) for e, u in rows]
    by_id = {v.entry.id: v for v in views}
    referred = [v for v in views if v.entry.refers_to_id]
    missing = {v.entry.refers_to_id for v in referred} - set(by_id)
    extra = {}
    if missing:
        extra = {e.id: e for e in session.exec(select(JournalEntry).where(
            col(JournalEntry.id).in_(missing)))}
    for v in referred:
        target = by_id.get(v.entry.refers_to_id)
        v.refers_to = target.entry if target else extra.get(v.entry.refers_to_id)
        if target is not None:
            (target.corrected_by if v.entry.category == "correction"
             else target.disputed_by).append(v.entry)
    if with_outcomes:
        followups = [v.entry.id for v in views if v.entry.category == "follow_up"]
        if followups:
            stmt = (select(GoalOutcome, PlanGoal).join(PlanGoal, col(PlanGoal.id) ==
                    GoalOutcome.goal_id).where(col(GoalOutcome.entry_id).in_(followups))
                    .order_by(col(PlanGoal.position)))
            for outcome, goal in session.exec(stmt):
                view = by_id[outcome.entry_id]
                view.outcomes = (view.outcomes or []) + [(goal, outcome)]
    return views


def view_of(session: Session, entry: JournalEntry, author: User | None = None) -> EntryView:
    """One bubble's view of a note just written (no corrections can point at it yet)."""
    if author is None or author.id != entry.author_id:
        author = get_by_id(session, User, entry.author_id)
    return EntryView(entry, author,
                     get_by_id(session, Assignment, entry.assignment_id),
                     session.get(PlanGoal, entry.goal_id) if entry.goal_id else None,
                     corrected_by=[], disputed_by=[])


def entry_of(session: Session, client: Client, entry_id) -> JournalEntry | None:
    ident = parse_id(entry_id)
    entry = session.get(JournalEntry, ident) if ident is not None else None
    return entry if entry is not None and entry.client_id == client.id else None
