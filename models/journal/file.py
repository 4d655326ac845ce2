"""The whole file of one client, assembled once (seed 002: the person's right to read).

The right-to-read export and the archive package of records management read the same
file: assignments, every plan version with its goals, every consent, who has been staff
concerned, and every entry in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models.journal import entries
from models.journal.people import (
    StaffHistoryRow,
    assignments_of,
    consents_of,
    current_staff,
    staff_history,
)
from models.journal.plans import goals_of, plan_versions
from models.journal.tables import Assignment, Client, Consent, Plan, PlanGoal, StaffAssignment


@dataclass
class ClientFile:
    client: Client
    assignments: list[Assignment]
    plans: dict[int, list[tuple[Plan, list[PlanGoal]]]]  # assignment id → versions
    consents: list[Consent]
    staff: list[StaffAssignment]  # concerned now
    earlier_staff: list[StaffHistoryRow]
    entries: list


def whole_file(session: Session, client: Client) -> ClientFile:
    """Everything the file holds about `client`, in reading order."""
    assignments = assignments_of(session, client)
    plans = {a.id: [(p, goals_of(session, p)) for p in plan_versions(session, a)]
             for a in assignments}
    return ClientFile(client, assignments, plans, consents_of(session, client),
                      current_staff(session, client), staff_history(session, client),
                      entries.thread(session, client))
