"""Who may report and investigate deviations and run self-checks (seed 003: the quality
system is the provider's; only staff concerned see a file). Registered on import.

Reporting: any member of the unit (staff or its managers). Investigating, classifying,
the unit's list of classes, self-checks and the quality report: the unit's managers.
Everyone else is told the pages do not exist (404).
"""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, is_manager_of, rule, unit_ids


@rule("records.deviation_report", hide=True)
def _report(session: Session, user: User, unit) -> bool:
    return unit is not None and unit.id in unit_ids(session, user)


@rule("records.quality_unit", hide=True)
def _quality_unit(session: Session, user: User, unit) -> bool:
    return unit is not None and is_manager_of(session, user, unit.id)


@rule("records.quality", hide=True)
def _quality(session: Session, user: User, _obj) -> bool:
    """The quality pages: managers only (each sees their own units' only)."""
    return user.role == Role.manager


@rule("records.deviation_any", hide=True)
def _report_any(session: Session, user: User, _obj) -> bool:
    """Reporting from the unit: anyone who is a member of a unit."""
    return bool(unit_ids(session, user))
