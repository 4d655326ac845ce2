"""Administration: people and units. Admins see no journal content by default."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

from models.access import Membership, Role, Unit, User, units_of
from models.errors import DomainError
from models.inbox import Thread, thread_provider


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


def set_units(session: Session, user: User, unit_ids: list[int]) -> None:
    """Replace the user's unit memberships."""
    known = {u.id for u in all_units(session)}
    wanted = {i for i in unit_ids if i in known}
    for row in session.exec(select(Membership).where(Membership.user_id == user.id)).all():
        if row.unit_id not in wanted:
            session.delete(row)
        wanted.discard(row.unit_id)
    for unit_id in wanted:
        session.add(Membership(user_id=user.id, unit_id=unit_id))
    session.flush()


def set_active(session: Session, admin: User, user: User, active: bool) -> None:
    """Deactivate or reactivate an account; deactivation ends its sessions at once."""
    if user.id == admin.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."), "active")
    user.active = active
    if not active:
        user.session_token = uuid.uuid4().hex
    session.add(user)
    session.flush()
