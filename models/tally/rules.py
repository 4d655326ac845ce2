"""Who may log and change tallies (seed 001). Registered with the policy on import."""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, rule, unit_ids
from models.catalogue import responsible_units_of

# Pinnstatistik (tally capture, issue 4) ------------------------------------------------
# seed 001: a unit's staff log the tallies of the activities their unit is responsible
# for; a tally is changed (undone, corrected) only by the person who logged it.


def _member_of_activity_unit(session: Session, user: User, activity) -> bool:
    if activity is None or activity.id is None or user.role == Role.admin:
        return False
    return bool(responsible_units_of(session, user, activity))


@rule("tally.activity", hide=True)
def _tally_activity(session: Session, user: User, activity) -> bool:
    """Open an activity thread and log tallies: members of a responsible unit."""
    return _member_of_activity_unit(session, user, activity)


@rule("tally.own", hide=True)
def _tally_own(session: Session, user: User, tally) -> bool:
    """Undo or correct a tally: its author, while still in the tally's unit."""
    return (tally is not None and tally.user_id == user.id
            and tally.unit_id in unit_ids(session, user))


@rule("tally.use")
def _tally_use(session: Session, user: User, _obj) -> bool:
    """Entry to the tally room; the object rules above decide per activity and tally."""
    return True


@rule("tally.import")
def _tally_import(session: Session, user: User, _obj) -> bool:
    """Import historic tallies from a spreadsheet (issue 18 §2): admins, as for the catalogue."""
    return user.role == Role.admin
