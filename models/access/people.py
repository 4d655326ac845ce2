"""People: users, units, memberships, roles, passwords, and leaving a unit."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlmodel import Field, Session, SQLModel, select

from models.core.db import utcnow
from models.core.errors import DomainError
from models.core.parse import clean_text

_hasher = PasswordHasher()


def use_fast_password_hashing() -> None:
    """Cheap Argon2 parameters, for the test suite only (set by the TESTING config)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Role(StrEnum):
    staff = "staff"
    manager = "manager"
    admin = "admin"
    # arkivansvarig (issue 14): retention plans, destruction, archiving and legal holds;
    # sees no journal content
    records = "records"


ROLE_LABELS = {Role.staff: _l("Staff"), Role.manager: _l("Manager"), Role.admin: _l("Admin"),
               Role.records: _l("Records officer")}


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=80)
    display_name: str = Field(max_length=120)
    password_hash: str
    role: str = Field(default=Role.staff, max_length=16)
    locale: str | None = Field(default=None, max_length=8)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    # flask-login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        # Flask-Login keeps this in the cookie: the key of the server-side session this
        # request runs in (models/sessions.py), never anything about the person.
        return getattr(self, "_session_key", None)

    def set_password(self, password: str) -> None:
        """Set a new password. Callers end the person's sessions (models/sessions)."""
        if len(password) < 10:
            raise DomainError(_l("The password must be at least 10 characters."), "password")
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @property
    def initials(self) -> str:
        parts = self.display_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or self.username[:2].upper()


class Membership(SQLModel, table=True):
    """A person belongs to one or more units."""

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


# --- users and units -----------------------------------------------------------------


def create_user(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    role: str = Role.staff,
    units: list[Unit] | None = None,
) -> User:
    # the columns' sizes: PostgreSQL refuses a longer VARCHAR with an error (a 500)
    username = clean_text(username, "username", 80, _l("A username is required.")).lower()
    display_name = clean_text(display_name, "display_name", 120)
    if role not in Role.__members__:
        raise DomainError(_l("Unknown role."), "role")
    if session.exec(select(User).where(User.username == username)).first():
        raise DomainError(_l("That username is taken."), "username")
    user = User(username=username, display_name=display_name, password_hash="", role=role)
    user.set_password(password)
    session.add(user)
    session.flush()
    for unit in units or []:
        session.add(Membership(user_id=user.id, unit_id=unit.id))
    session.flush()
    return user


def unit_named(session: Session, name: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.name == name)).first()


def user_named(session: Session, username: str) -> User | None:
    """The account with this username (usernames are stored in lower case)."""
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def create_unit(session: Session, name: str) -> Unit:
    name = clean_text(name, "name", 120, _l("A unit name is required."))
    existing = session.exec(select(Unit).where(Unit.name == name)).first()
    if existing:
        raise DomainError(_l("That unit already exists."), "name")
    unit = Unit(name=name)
    session.add(unit)
    session.flush()
    return unit


def verify_password(stored: str | None, password: str) -> bool:
    """One Argon2 verification, whatever `stored` is: a hash that cannot be read (or none,
    for an unknown user) is checked against a stand-in, so the answer takes as long."""
    if not stored or not stored.startswith("$argon2"):
        stored, real = _stand_in_hash(), False
    else:
        real = True
    try:
        return _hasher.verify(stored, password) and real
    except (VerificationError, InvalidHashError):
        return False


_stand_in: tuple[PasswordHasher, str] | None = None


def _stand_in_hash() -> str:
    # made with the current hasher's parameters, so verifying it costs what a real one does
    global _stand_in
    if _stand_in is None or _stand_in[0] is not _hasher:
        _stand_in = (_hasher, _hasher.hash(secrets.token_hex(16)))
    return _stand_in[1]


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user, if the name and password match an active account. Every failure — unknown
    name, wrong password, deactivated account, unusable hash — does the same single
    password check, so how long the answer takes says nothing about the account."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    matches = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not user.active or not matches:
        return None
    user.last_login_at = utcnow()
    session.add(user)
    return user


def unit_ids(session: Session, user: User) -> set[int]:
    rows = session.exec(select(Membership.unit_id).where(Membership.user_id == user.id))
    return set(rows.all())


def units_of(session: Session, user: User) -> list[Unit]:
    stmt = (
        select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id)
        .order_by(Unit.name)
    )
    return list(session.exec(stmt).all())


def is_manager_of(session: Session, user: User, unit_id: int | None) -> bool:
    return user.role == Role.manager and unit_id in unit_ids(session, user)


# --- leaving a unit ---------------------------------------------------------------------
# A room that grants a person access of its own (the journal's staff assignments) ends it
# when the person leaves a unit or is deactivated. Rooms register here; whoever changes the
# memberships (admin) calls `person_left` and needs to know no room.

LeaveHook = Callable[[Session, User, "set[int] | None", User, str], Any]
_LEAVE_HOOKS: list[LeaveHook] = []


def on_leaving(hook: LeaveHook) -> LeaveHook:
    _LEAVE_HOOKS.append(hook)
    return hook


def person_left(session: Session, user: User, unit_ids: set[int] | None, by: User,
                reason: str) -> None:
    """`user` left `unit_ids` (None: every unit, i.e. deactivated), changed by `by`."""
    for hook in _LEAVE_HOOKS:
        hook(session, user, unit_ids, by, reason)
