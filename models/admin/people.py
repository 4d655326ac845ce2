"""Administration: people and units. Admins see no journal content by default."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

import models.admin.log as log
from models.access import (
    Membership,
    Role,
    Unit,
    User,
    create_unit,
    create_user,
    person_left,
    units_of,
)
from models.access.inbox import Thread, thread_provider
from models.access.sessions import EndReason, end_all
from models.core.errors import DomainError


@thread_provider
def admin_threads(session: Session, user: User) -> list[Thread]:
    if user.role != Role.admin:
        return []
    people = session.exec(select(func.count()).select_from(User)).one()
    units = session.exec(select(func.count()).select_from(Unit)).one()
    return [
        Thread(key="admin:people", title=str(_l("People and units")), endpoint="admin.index",
               last_line=str(_l("%(people)d people · %(units)d units", people=people,
                                units=units)), kind="unit"),
    ]


def all_users(session: Session) -> list[tuple[User, list[Unit]]]:
    users = session.exec(select(User).order_by(User.display_name)).all()
    return [(u, units_of(session, u)) for u in users]


def all_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.name)).all())


def set_units(session: Session, admin: User, user: User, unit_ids: list[int]) -> bool:
    """Replace the user's unit memberships. A change ends the person's sessions: what they
    may see changes with it, and no open page should outlive that. True if changed."""
    before = sorted(u.name for u in units_of(session, user))
    known = {u.id for u in all_units(session)}
    wanted = {i for i in unit_ids if i in known}
    changed, left = False, set()
    for row in session.exec(select(Membership).where(Membership.user_id == user.id)).all():
        if row.unit_id not in wanted:
            session.delete(row)
            changed = True
            left.add(row.unit_id)
        wanted.discard(row.unit_id)
    if left:
        # seed 003: only staff concerned have access; whoever leaves a unit is no longer
        # concerned for its clients. The file records the end, and who made the change.
        person_left(session, user, left, admin, "left_unit")
    for unit_id in wanted:
        session.add(Membership(user_id=user.id, unit_id=unit_id))
        changed = True
    if changed:
        end_all(session, user.id, EndReason.units, by=admin)
    session.flush()
    if changed:
        log.write(session, admin, "user.units", user.username, {"units": before},
                  {"units": sorted(u.name for u in units_of(session, user))})
    return changed


def set_active(session: Session, admin: User, user: User, active: bool) -> None:
    """Deactivate or reactivate an account; deactivation ends its sessions at once."""
    if user.id == admin.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."), "active")
    if user.active != active:
        log.write(session, admin, "user.active", user.username, {"active": user.active},
                  {"active": active})
    user.active = active
    if not active:
        end_all(session, user.id, EndReason.deactivated, by=admin)
        person_left(session, user, None, admin, "deactivated")
    session.add(user)
    session.flush()


def set_role(session: Session, admin: User, user: User, role: str) -> bool:
    """Change a person's role; their sessions end (True if it changed)."""
    if role not in Role.__members__:
        raise DomainError(_l("Unknown role."), "role")
    if user.id == admin.id and role != Role.admin:
        raise DomainError(_l("You cannot take away your own admin role."), "role")
    if user.role == role:
        return False
    log.write(session, admin, "user.role", user.username, {"role": user.role}, {"role": role})
    user.role = role
    session.add(user)
    end_all(session, user.id, EndReason.role, by=admin)
    session.flush()
    return True


def reset_password(session: Session, admin: User, user: User, password: str) -> None:
    """An admin sets a new password (a forgotten one); every session of the person ends."""
    user.set_password(password)
    session.add(user)
    end_all(session, user.id, EndReason.password, by=admin)
    log.write(session, admin, "user.password", user.username)  # the fact, never the value
    session.flush()


def end_sessions(session: Session, admin: User, user: User) -> int:
    """"End all sessions of this person" (a lost phone): how many ended."""
    count = end_all(session, user.id, EndReason.admin, by=admin)
    log.write(session, admin, "user.sessions", user.username, None, {"sessions": count})
    session.flush()
    return count


def new_person(session: Session, admin: User, username: str, display_name: str,
               password: str, role: str, unit_ids: list[str]) -> User:
    """Create an account (the admin log keeps who made it, with which role and units)."""
    units = [u for u in all_units(session) if str(u.id) in unit_ids]
    person = create_user(session, username, display_name, password, role, units)
    log.write(session, admin, "user.create", person.username, None,
              {"name": person.display_name, "role": person.role,
               "units": sorted(u.name for u in units)})
    return person


def new_unit(session: Session, admin: User, name: str) -> Unit:
    unit = create_unit(session, name)
    log.write(session, admin, "unit.create", unit.name, None, {"name": unit.name})
    return unit


def find_people(session: Session, query: str) -> list[tuple[User, list[Unit]]]:
    """People whose name or username contains `query` (all when it is empty)."""
    query = " ".join(query.split())[:80].casefold()
    people = all_users(session)
    if not query:
        return people
    return [(u, units) for u, units in people
            if query in u.display_name.casefold() or query in u.username.casefold()]


def units_with_counts(session: Session) -> list[tuple[Unit, int]]:
    counts = dict(session.exec(
        select(Membership.unit_id, func.count()).group_by(Membership.unit_id)).all())
    return [(u, counts.get(u.id, 0)) for u in all_units(session)]
