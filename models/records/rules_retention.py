"""Who may see retention plans, run destruction and archiving, and hold files (issue 14).

The records officer (arkivansvarig, Role.records) does all of it for every unit and sees
no journal content otherwise; an admin edits the retention periods (data, not code).
"""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, rule


@rule("records.retention", hide=False)
def _records_retention(session: Session, user: User, _obj) -> bool:
    """Retention plans, runs, the destruction log and legal holds: the records officer."""
    return user.role == Role.records


@rule("records.periods")
def _records_periods(session: Session, user: User, _obj) -> bool:
    """The retention periods (data): an admin edits them, the records officer reads them."""
    return user.role in (Role.admin, Role.records)


@rule("records.periods.edit")
def _records_periods_edit(session: Session, user: User, _obj) -> bool:
    return user.role == Role.admin
