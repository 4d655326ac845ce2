"""The follow-up overview: plans due, assignments without a plan, consents running out.

Seeds 003 and 004: plan → carry out → follow up, and a plan is followed up at least every
six months. For the units a manager leads:
- plans whose follow-up date has passed or falls within 14 days, and open assignments
  with no plan at all, grouped per staff member concerned (a client with two staff shows
  under both; a client with none under "no staff concerned");
- consents that have run out or run out within 30 days while an assignment is open.

The page names clients, so every client on it gets an access-log row (seed 003).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import access
from models.access import User
from models.core.clock import local_today
from models.journal.shift import PlanDue, plans_due
from models.journal.tables import (
    Assignment,
    Client,
    Consent,
    Plan,
    StaffAssignment,
    log_client_access,
)

DUE_WITHIN_DAYS = 14  # issue 7: "falls within 14 days"
CONSENT_WITHIN_DAYS = 30
ACTION = "followups.read"


@dataclass
class DueRow:
    client: Client
    assignment: Assignment
    plan: Plan | None
    state: str  # overdue | soon | no_plan
    days: int | None = None  # days left (negative: days overdue)


@dataclass
class StaffGroup:
    user: User | None  # None: no staff concerned
    rows: list[DueRow] = field(default_factory=list)


@dataclass
class ConsentRow:
    client: Client
    consent: Consent
    days: int  # days left (negative: expired that many days ago)

    @property
    def expired(self) -> bool:
        return self.days < 0


@dataclass
class FollowUps:
    groups: list[StaffGroup]
    consents: list[ConsentRow]
    today: date

    @property
    def rows(self) -> list[DueRow]:
        seen, out = set(), []
        for group in self.groups:
            for row in group.rows:
                if row.assignment.id not in seen:
                    seen.add(row.assignment.id)
                    out.append(row)
        return out

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)


def _row(due: PlanDue, today: date) -> DueRow:
    if due.plan is None:
        return DueRow(due.client, due.assignment, None, "no_plan")
    days = (due.plan.followup_on - today).days
    return DueRow(due.client, due.assignment, due.plan, "overdue" if days < 0 else "soon", days)


def _staff_by_client(session: Session, client_ids: list[int], today: date):
    stmt = (select(StaffAssignment.client_id, User)
            .join(User, col(User.id) == StaffAssignment.user_id)
            .where(col(StaffAssignment.client_id).in_(client_ids or [-1]),
                   col(StaffAssignment.from_on) <= today,
                   col(StaffAssignment.to_on).is_(None) | (col(StaffAssignment.to_on) >= today)))
    out: dict[int, list[User]] = {}
    for client_id, user in session.exec(stmt):
        out.setdefault(client_id, []).append(user)
    return out


def expiring_consents(session: Session, unit_ids, today: date,
                      within: int = CONSENT_WITHIN_DAYS) -> list[ConsentRow]:
    """Current (not replaced, not revoked) consents of clients with an open assignment
    that end within `within` days or have ended."""
    open_clients = select(Assignment.client_id).where(col(Assignment.ended_on).is_(None))
    stmt = (select(Consent, Client).join(Client, col(Client.id) == Consent.client_id)
            .where(col(Client.unit_id).in_(list(unit_ids) or [-1]),
                   col(Consent.superseded_at).is_(None), col(Consent.revoked_at).is_(None),
                   col(Consent.valid_until) <= today + timedelta(days=within),
                   col(Consent.client_id).in_(open_clients))
            .order_by(col(Consent.valid_until), col(Client.name)))
    return [ConsentRow(client, consent, (consent.valid_until - today).days)
            for consent, client in session.exec(stmt)]


def follow_ups(session: Session, manager: User, unit_ids, today: date | None = None,
               request_id: str | None = None) -> FollowUps:
    """The overview for these units (each must be one the manager leads); logs the
    clients it names."""
    today = today or local_today()
    own = access.unit_ids(session, manager) if manager.role == access.Role.manager else set()
    unit_ids = [u for u in unit_ids if u in own]
    rows = [_row(d, today) for d in plans_due(session, unit_ids, DUE_WITHIN_DAYS, today)]
    staff = _staff_by_client(session, [r.client.id for r in rows], today)
    groups: dict[int | None, StaffGroup] = {}
    for row in rows:
        for user in staff.get(row.client.id) or [None]:
            key = user.id if user else None
            groups.setdefault(key, StaffGroup(user)).rows.append(row)
    ordered = sorted(groups.values(),
                     key=lambda g: (g.user is None, g.user.display_name if g.user else ""))
    consents = expiring_consents(session, unit_ids, today)
    for client_id in sorted({r.client.id for r in rows} | {c.client.id for c in consents}):
        log_client_access(session, manager, client_id, ACTION, "granted", request_id)
    return FollowUps(ordered, consents, today)


def overdue_count(session: Session, unit_ids, today: date | None = None) -> int:
    """Open assignments whose plan's follow-up date has passed (for the inbox badge; no
    names, so nothing to log)."""
    today = today or local_today()
    latest = select(Plan.assignment_id, func.max(Plan.version).label("v")).group_by(
        Plan.assignment_id).subquery()
    stmt = (select(func.count()).select_from(Plan)
            .join(latest, (latest.c.assignment_id == Plan.assignment_id)
                  & (latest.c.v == Plan.version))
            .join(Assignment, col(Assignment.id) == Plan.assignment_id)
            .join(Client, col(Client.id) == Assignment.client_id)
            .where(col(Client.unit_id).in_(list(unit_ids) or [-1]),
                   col(Assignment.ended_on).is_(None), col(Plan.followup_on) < today))
    return int(session.exec(stmt).one())
