"""Users, units, roles and the one place that decides who may do what.

Every view asks `ensure(session, user, action, obj)`; the rules below are the whole
authorisation policy. A rule registered with hide=True answers "not found" when it
refuses, so a refused user cannot learn that the object exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, insert
from sqlmodel import Field, Session, SQLModel, select

from models.db import utcnow
from models.errors import AccessDenied, DomainError
from models.parse import clean_text

_hasher = PasswordHasher()


def use_fast_password_hashing() -> None:
    """Cheap Argon2 parameters, for the test suite only (set by the TESTING config)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Role(StrEnum):
    staff = "staff"
    manager = "manager"
    admin = "admin"


ROLE_LABELS = {Role.staff: _l("Staff"), Role.manager: _l("Manager"), Role.admin: _l("Admin")}


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


class AccessLog(SQLModel, table=True):
    """Who did what to which subject, and whether it was allowed. Append-only."""

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    subject_type: str = Field(max_length=32)
    subject_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=48)
    outcome: str = Field(max_length=16)  # granted | denied
    request_id: str | None = Field(default=None, max_length=36)


@event.listens_for(AccessLog, "before_update")
@event.listens_for(AccessLog, "before_delete")
def _access_log_is_append_only(*_args) -> None:
    raise DomainError(_l("The access log cannot be changed."))


_INSERT_LOG = insert(AccessLog.__table__)


def log_access(
    session: Session,
    user: User | None,
    subject_type: str,
    subject_id: int | None,
    action: str,
    outcome: str = "granted",
    request_id: str | None = None,
) -> None:
    """Append one access-log row. It is written at once (a plain INSERT through the
    session's transaction, no ORM object), so a failure stops the request before any data
    is sent, and the row commits or rolls back with the request's own change."""
    session.execute(_INSERT_LOG, {
        "at": utcnow(), "user_id": user.id if user else None, "subject_type": subject_type,
        "subject_id": subject_id, "action": action, "outcome": outcome,
        "request_id": request_id,
    })


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


# --- the policy ----------------------------------------------------------------------

Rule = Callable[[Session, User, Any], bool]
_RULES: dict[str, tuple[Rule, bool]] = {}


def rule(action: str, hide: bool = False) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"duplicate access rule {action}")
        _RULES[action] = (fn, hide)
        return fn

    return register


def authorize(session: Session, user: User | None, action: str, obj: Any = None) -> bool:
    """May `user` do `action` to `obj`? Unknown actions are refused."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    entry = _RULES.get(action)
    if entry is None:
        return False
    return bool(entry[0](session, user, obj))


def ensure(session: Session, user: User | None, action: str, obj: Any = None) -> None:
    """Raise AccessDenied unless authorised (hidden actions become 404 in the views)."""
    if not authorize(session, user, action, obj):
        entry = _RULES.get(action)
        raise AccessDenied(action, hide=entry[1] if entry else True)


def known_actions() -> set[str]:
    return set(_RULES)


# Foundation rules --------------------------------------------------------------------


@rule("inbox.view")
def _any_signed_in(session: Session, user: User, _obj) -> bool:
    return True


@rule("account.update")
def _own_account(session: Session, user: User, obj) -> bool:
    return obj is None or obj.id == user.id


@rule("admin.manage")
def _admin_only(session: Session, user: User, _obj) -> bool:
    return user.role == Role.admin


@rule("unit.manage")
def _manager_of_unit(session: Session, user: User, unit) -> bool:
    return unit is not None and is_manager_of(session, user, unit.id)


@rule("manage.any")
def _is_manager(session: Session, user: User, _obj) -> bool:
    return user.role == Role.manager


# Social journal (issue 5) -------------------------------------------------------------
# seed 003: only staff concerned (assigned to the client now) and the managers of the
# client's unit see a client, the thread, the plan or any entry. Admins do not, unless
# also assigned. Hidden: everyone else gets "not found".


def _journal_client(session: Session, user: User, client) -> bool:
    from models.journal_people import is_assigned

    if client is None or client.id is None:
        return False
    return is_manager_of(session, user, client.unit_id) or is_assigned(session, user, client.id)


@rule("journal.read", hide=True)
def _journal_read(session: Session, user: User, client) -> bool:
    return _journal_client(session, user, client)


@rule("journal.write", hide=True)
def _journal_write(session: Session, user: User, client) -> bool:
    return _journal_client(session, user, client)


@rule("journal.manage", hide=True)
def _journal_manage(session: Session, user: User, client) -> bool:
    """Staff assignments and read receipts: the managers of the client's unit."""
    return client is not None and is_manager_of(session, user, client.unit_id)


@rule("journal.correct")
def _journal_correct(session: Session, user: User, entry) -> bool:
    """A note is corrected by its author (still concerned) or a manager of the unit."""
    from models.journal import Client

    client = session.get(Client, entry.client_id) if entry is not None else None
    if not _journal_client(session, user, client):
        return False
    return entry.author_id == user.id or is_manager_of(session, user, client.unit_id)


@rule("journal.create_client")
def _journal_create_client(session: Session, user: User, _obj) -> bool:
    return user.role == Role.manager


@rule("journal.log")
def _journal_log(session: Session, user: User, _obj) -> bool:
    """Log review (loggkontroll): managers, for their own units' clients."""
    return user.role == Role.manager


# Pinnstatistik (tally capture, issue 4) ------------------------------------------------
# seed 001: a unit's staff log the tallies of the activities their unit is responsible
# for; a tally is changed (undone, corrected) only by the person who logged it.


def _member_of_activity_unit(session: Session, user: User, activity) -> bool:
    from models.catalogue import responsible_units_of

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


# Working notes (issue 6) ---------------------------------------------------------------
# seed 000: the notes are the counsellor's own memory, "ej delas med annan". Owner-only:
# no colleague, no manager, no admin — and a refusal never reveals that a contact exists.


@rule("notes.use", hide=True)
def _notes_use(session: Session, user: User, _obj) -> bool:
    """List one's own contacts: staff only (managers and admins keep no working notes)."""
    return user.role == Role.staff


@rule("notes.open", hide=True)
def _notes_open(session: Session, user: User, activity) -> bool:
    """Start a contact: staff of a unit responsible for a working-notes activity."""
    from models.notes import may_open_contact

    return may_open_contact(session, user, activity)


@rule("notes.contact", hide=True)
def _notes_contact(session: Session, user: User, contact) -> bool:
    """Read, write to or end a contact: its owner, and no one else."""
    return contact is not None and user.role == Role.staff and contact.owner_id == user.id


@rule("notes.settings")
def _notes_settings(session: Session, user: User, unit) -> bool:
    """A unit's idle limit for contacts (no content): its managers, and admins."""
    if user.role == Role.admin:
        return True
    return user.role == Role.manager if unit is None else is_manager_of(session, user, unit.id)


# Manager view and statistics (issue 7) ---------------------------------------------------
# A manager reads the day feed, statistics and follow-ups of their own units only; any
# other unit is "not found". Entry to the room itself is "manage.view" (managers only,
# hidden from everyone else).


@rule("manage.unit", hide=True)
def _manage_unit(session: Session, user: User, unit) -> bool:
    return unit is not None and is_manager_of(session, user, unit.id)


@rule("manage.view", hide=True)
def _manage_view(session: Session, user: User, _obj) -> bool:
    """The manager pages: managers only; to anyone else they do not exist."""
    return user.role == Role.manager
