"""Implementation plans (genomförandeplan), their follow-ups, and closing an assignment.

seed 003/004: a plan per assignment says what is to be done, how, when and by whom, per
goal and IBIC life area, with the person's own participation and wishes and who took part
in planning. It is followed up at least every six months; a follow-up records the outcome
per goal and sets the next date. Every version is kept; the newest is the current plan.
"""

from __future__ import annotations

import calendar
import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from models.access import User
from models.core.clock import local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_day
from models.journal.tables import (
    CLOSING_REASONS,
    LIFE_AREAS,
    RECORD_LOCALE,
    TEXT_MAX,
    Assignment,
    Client,
    GoalOutcome,
    JournalEntry,
    Plan,
    PlanGoal,
    StaffAssignment,
    _clean,
    _closed_message,
    _insert_entry,
    record_text,
)

FOLLOWUP_MONTHS = 6  # seed 003: "minst var sjätte månad"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_followup(today: date) -> date:
    return add_months(today, FOLLOWUP_MONTHS)


@dataclass
class GoalInput:
    key: str = ""
    life_area: str = ""
    goal: str = ""
    what: str = ""
    how: str = ""
    timing: str = ""
    by_whom: str = ""

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in (self.goal, self.what, self.how, self.timing,
                                            self.by_whom))


# --- reading ---------------------------------------------------------------------------


def plan_versions(session: Session, assignment: Assignment) -> list[Plan]:
    stmt = select(Plan).where(Plan.assignment_id == assignment.id).order_by(
        col(Plan.version).desc())
    return list(session.exec(stmt).all())


def current_plan(session: Session, assignment: Assignment) -> Plan | None:
    stmt = select(Plan).where(Plan.assignment_id == assignment.id).order_by(
        col(Plan.version).desc())
    return session.exec(stmt).first()


def goals_of(session: Session, plan: Plan | None) -> list[PlanGoal]:
    if plan is None:
        return []
    stmt = select(PlanGoal).where(PlanGoal.plan_id == plan.id).order_by(col(PlanGoal.position))
    return list(session.exec(stmt).all())


def current_goals(session: Session, assignment: Assignment) -> list[PlanGoal]:
    return goals_of(session, current_plan(session, assignment))


@dataclass
class PlanSummary:
    assignment: Assignment
    plan: Plan | None
    goals: list

    def due(self, today: date | None = None) -> bool:
        return self.plan is not None and self.plan.followup_on <= (today or local_today())


def plan_summaries(session: Session, assignments: list[Assignment]) -> list[PlanSummary]:
    return [PlanSummary(a, p, goals_of(session, p))
            for a in assignments for p in [current_plan(session, a)]]


# --- writing ---------------------------------------------------------------------------


def _check_followup(raw, field: str, today: date, errors: dict) -> date | None:
    try:
        day = parse_day(raw, field) if not isinstance(raw, date) else raw
    except DomainError as error:
        errors[field] = error.message
        return None
    if day < today:
        errors[field] = _l("The follow-up date has already passed.")
    elif day > latest_followup(today):
        errors[field] = _l(
            "Follow up within six months: %(date)s at the latest.",
            date=latest_followup(today).isoformat())
    return day


def _check_goals(goals: list[GoalInput], known_keys: set[str], errors: dict) -> list[GoalInput]:
    kept = [g for g in goals if not g.blank]
    if not kept:
        errors["goals"] = _l("A plan needs at least one goal.")
    for index, goal in enumerate(goals):
        if goal.blank:
            continue
        prefix = f"goal-{index}-"
        if goal.life_area not in LIFE_AREAS:
            errors[prefix + "life_area"] = _l("Choose the life area.")
        goal.goal = _clean(goal.goal, 500, prefix + "goal", errors, _l("Write the goal."))
        goal.what = _clean(goal.what, 500, prefix + "what", errors)
        goal.how = _clean(goal.how, 500, prefix + "how", errors)
        goal.timing = _clean(goal.timing, 200, prefix + "timing", errors)
        goal.by_whom = _clean(goal.by_whom, 200, prefix + "by_whom", errors)
        if goal.key not in known_keys:
            goal.key = uuidlib.uuid4().hex[:12]
    return kept


def _new_version(session: Session, author: User, assignment: Assignment, goals, followup_on,
                 participants: str, participation: str, now: datetime) -> Plan:
    previous = current_plan(session, assignment)
    plan = Plan(assignment_id=assignment.id, version=(previous.version + 1) if previous else 1,
                followup_on=followup_on, participants=participants,
                participation=participation, created_by=author.id, created_at=now)
    session.add(plan)
    session.flush()
    for position, g in enumerate(goals):
        session.add(PlanGoal(plan_id=plan.id, key=g.key, position=position,
                             life_area=g.life_area, goal=g.goal, what=g.what, how=g.how,
                             timing=g.timing, by_whom=g.by_whom))
    session.flush()
    return plan


def save_plan(session: Session, author: User, assignment: Assignment, goals: list[GoalInput],
              participants: str, participation: str, followup_on,
              now: datetime | None = None) -> Plan:
    """Draw up the plan, or revise it: a new version; the old one is kept."""
    now = now or utcnow()
    errors: dict = {}
    if assignment.closed:
        errors["assignment"] = _closed_message()
    known = {g.key for g in current_goals(session, assignment)}
    kept = _check_goals(goals, known, errors)
    # seed 003: who took part, and how the person took part and what they wish
    participants = _clean(participants, 500, "participants", errors,
                          _l("Write who took part in planning."))
    participation = _clean(participation, 1000, "participation", errors,
                           _l("Write how the person took part and what they wish."))
    day = _check_followup(followup_on, "followup_on", local_today(now), errors)
    if errors:
        raise ValidationErrors(errors)
    plan = _new_version(session, author, assignment, kept, day, participants, participation,
                        now)
    if plan.version == 1:
        text = _l("Implementation plan drawn up (version %(v)d). Follow-up by %(date)s.",
                  v=plan.version, date=day.isoformat())
    else:
        text = _l("Implementation plan revised (version %(v)d). Follow-up by %(date)s.",
                  v=plan.version, date=day.isoformat())
    _insert_entry(session, author, assignment, "plan", record_text(text), occurred=now, now=now)
    return plan


def follow_up_plan(session: Session, author: User, assignment: Assignment,
                   outcomes: dict[str, str], next_followup_on, note: str = "",
                   now: datetime | None = None) -> JournalEntry:
    """Record the outcome per goal (an entry), and set the next follow-up date (a new
    plan version with the same goals)."""
    now = now or utcnow()
    errors: dict = {}
    plan = current_plan(session, assignment)
    goals = goals_of(session, plan)
    if assignment.closed:
        errors["assignment"] = _closed_message()
    elif plan is None:
        errors["assignment"] = _l("There is no plan to follow up yet.")
    cleaned = {}
    for goal in goals:
        field = f"outcome-{goal.key}"
        cleaned[goal.key] = _clean(outcomes.get(goal.key), 1000, field, errors,
                                   _l("Write the outcome for this goal."))
    note = _clean(note, TEXT_MAX - 200, "note", errors)
    day = _check_followup(next_followup_on, "followup_on", local_today(now), errors)
    if errors:
        raise ValidationErrors(errors)
    text = record_text(_l("Plan followed up. Next follow-up by %(date)s.",
                          date=day.isoformat()), note)
    entry = _insert_entry(session, author, assignment, "follow_up", text, occurred=now, now=now)
    for goal in goals:
        session.add(GoalOutcome(entry_id=entry.id, goal_id=goal.id, outcome=cleaned[goal.key]))
    inputs = [GoalInput(g.key, g.life_area, g.goal, g.what, g.how, g.timing, g.by_whom)
              for g in goals]
    _new_version(session, author, assignment, inputs, day, plan.participants,
                 plan.participation, now)
    return entry


def close_assignment(session: Session, author: User, assignment: Assignment, ended_on,
                     reason: str, text: str = "",
                     now: datetime | None = None) -> JournalEntry | None:
    """seed 003: the closing note (slutanteckning) says when and why; then read-only.
    Closing a closed assignment again changes nothing."""
    if assignment.closed:
        return None
    now = now or utcnow()
    today = local_today(now)
    errors: dict = {}
    day = None
    try:
        day = parse_day(ended_on, "ended_on")
        if day > today:
            errors["ended_on"] = _l("The end date cannot be in the future.")
        elif day < assignment.started_on:
            errors["ended_on"] = _l("The end date comes before the start.")
    except DomainError as error:
        errors["ended_on"] = error.message
    if reason not in CLOSING_REASONS:
        errors["reason"] = _l("Choose why the assignment ends.")
    text = _clean(text, TEXT_MAX - 200, "text", errors)
    if errors:
        raise ValidationErrors(errors)
    assignment.ended_on, assignment.end_reason = day, reason
    session.add(assignment)
    with force_locale(RECORD_LOCALE):
        reason_text = str(CLOSING_REASONS[reason])
    body = record_text(_l("Assignment ended on %(date)s. Reason: %(reason)s.",
                          date=day.isoformat(), reason=reason_text), text)
    entry = _insert_entry(session, author, assignment, "closing", body, occurred=now, now=now)
    client = session.get(Client, assignment.client_id)
    still_open = session.exec(select(Assignment.id).where(
        Assignment.client_id == client.id, col(Assignment.ended_on).is_(None))).first()
    if still_open is None:
        # The file is closed: nobody is staff concerned after the end date.
        for row in session.exec(select(StaffAssignment).where(
                StaffAssignment.client_id == client.id,
                col(StaffAssignment.to_on).is_(None) | (col(StaffAssignment.to_on) > day))):
            row.to_on = max(day, row.from_on)
            if row.ended_by_id is None:
                row.ended_by_id, row.end_reason = author.id, "closed"
            session.add(row)
    session.flush()
    return entry
