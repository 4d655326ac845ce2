"""Server-side sign-in sessions: the one record that says whether a cookie still works.

The signed cookie carries only a random session key (256 bits). The server stores its
SHA-256, never the key itself, so a copy of the database cannot sign anyone in. A session
ends — and every later request with its cookie is treated as signed out — on sign-out,
idle timeout, the absolute lifetime, deactivation, a password change, a change of role or
units, or an admin's "end all sessions". Nothing lives in a process: several app servers
on one PostgreSQL agree on every session.

Per request: one SELECT of the session with its user (a statement built once), and an
UPDATE of `last_seen_at` at most once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, and_, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, select

from models.access import User
from models.core.db import loaded_row, utcnow
from models.core.errors import ValidationErrors

SEEN_GRANULARITY = timedelta(seconds=60)


class EndReason:
    """Why a session ended: stored on the row, shown to the person at the login page."""

    logout = "logout"
    idle = "idle"
    max_age = "max_age"
    deactivated = "deactivated"
    password = "password"
    role = "role"
    units = "units"
    admin = "admin"
    new_login = "new_login"


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_live", "user_id", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=16)
    ended_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    device: str = Field(default="", max_length=80)
    # A sign-in through the identity provider (models/access/idp.py): the level it vouched
    # for (acr) and how (amr, space-separated), and its ID token while the session lives —
    # the `id_token_hint` of the provider's sign-out. Password sign-ins leave them empty.
    acr: str | None = Field(default=None, max_length=255)
    amr: str | None = Field(default=None, max_length=255)
    idp_id_token: str | None = Field(default=None, max_length=8000)


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    max_age: timedelta


@dataclass
class Found:
    """The outcome of reading a cookie's session: a live one with its user, or why not."""

    user: User | None = None
    row: SessionRecord | None = None
    ended_reason: str | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user: User, user_agent: str = "", acr: str | None = None,
          amr: str | None = None, id_token: str | None = None) -> tuple[UserSession, str]:
    """A new session for `user`: returns the row and the key for the cookie (a new key at
    every sign-in, so no one can plant a session id before it). `acr`, `amr` and `id_token`
    come from a sign-in through the identity provider."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(token_hash=_hash(key), user_id=user.id, created_at=now,
                      last_seen_at=now, device=device_label(user_agent),
                      acr=(acr or None) and acr[:255], amr=(amr or None) and amr[:255],
                      idp_id_token=id_token if id_token and len(id_token) <= 8000 else None)
    session.add(row)
    session.flush()
    return row, key


# One statement per request: the session's columns and its user's, read as plain values
# (Core, not the ORM's loading). The session becomes a `SessionRecord` (nothing writes
# through it: changes go by UPDATE); the user the session's own `User`, as if loaded.
_SESSION_COLUMNS = tuple(UserSession.__table__.columns)
_USER_COLUMNS = tuple(User.__table__.columns)
_BY_KEY = (
    sa_select(*_SESSION_COLUMNS, *_USER_COLUMNS)
    .join_from(UserSession.__table__, User.__table__,
               User.__table__.c.id == UserSession.__table__.c.user_id)
    .where(UserSession.__table__.c.token_hash == bindparam("h"))
)
_SPLIT = len(_SESSION_COLUMNS)


@dataclass(slots=True)
class SessionRecord:
    """A session row as read for a request: `UserSession`'s columns, without the ORM."""

    id: int
    token_hash: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    ended_by_id: int | None
    device: str
    acr: str | None
    amr: str | None
    idp_id_token: str | None


assert [c.key for c in _SESSION_COLUMNS] == list(SessionRecord.__slots__), "keep them alike"


def _user_of(session: Session, values) -> User:
    """The session's `User` for the row's values, as if an ORM query had loaded it."""
    return loaded_row(session, User, values)


def expiry_reason(row: UserSession | SessionRecord, user: User, limits: Limits,
                  now: datetime) -> str | None:
    """Why a not-yet-ended session should end now, or None while it is live.

    Idle: no activity for `limits.idle` (activity is recorded with a minute's
    granularity). Absolute: `limits.max_age` after sign-in, however active — a shift plus
    margin, so a phone left signed in is not signed in tomorrow."""
    if not user.active:
        return EndReason.deactivated
    if now - row.created_at >= limits.max_age:
        return EndReason.max_age
    if now - row.last_seen_at >= limits.idle:
        return EndReason.idle
    return None


def resolve(session: Session, key: str, limits: Limits, active: bool = True) -> Found:
    """The live session for a cookie's key, ending it here if it has just expired.

    `active` is False for background polls: they do not count as the person being there.
    `last_seen_at` moves at most once a minute (and commits at once, on its own)."""
    if not key:
        return Found()
    hit = session.connection().execute(_BY_KEY, {"h": _hash(key)}).first()
    if hit is None:
        return Found()
    row = SessionRecord(*hit[:_SPLIT])
    if row.ended_at is not None:
        return Found(ended_reason=row.end_reason)
    user = _user_of(session, hit[_SPLIT:])
    now = utcnow()
    reason = expiry_reason(row, user, limits, now)
    if reason is not None:
        _end_where(session, UserSession.id == row.id, reason, None, now)
        session.commit()
        return Found(ended_reason=reason)
    if active and now - row.last_seen_at >= SEEN_GRANULARITY:
        session.execute(
            update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
        )
        session.commit()
        row.last_seen_at = now
    return Found(user=user, row=row)


def _end_where(session: Session, condition, reason: str, by: User | None,
               now: datetime | None = None) -> int:
    result = session.execute(
        update(UserSession)
        .where(and_(condition, UserSession.ended_at.is_(None)))
        # the ID token is kept only while the session lives (for the provider's sign-out)
        .values(ended_at=now or utcnow(), end_reason=reason, idp_id_token=None,
                ended_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def end_expired(session: Session, limits: Limits, now: datetime | None = None) -> dict[str, int]:
    """End every session past its limits that no request has looked at since (a phone
    left in a drawer): the same reasons, in the same order, as `expiry_reason` would give
    it, and its provider ID token goes with it. The daily job (`flask sessions
    end-expired`); a cookie that comes back later finds its session ended for that reason.
    Returns {reason: how many ended}."""
    now = now or utcnow()
    inactive = select(User.id).where(User.active.is_(False))
    return {
        EndReason.deactivated: _end_where(session, UserSession.user_id.in_(inactive),
                                          EndReason.deactivated, None, now),
        EndReason.max_age: _end_where(session, UserSession.created_at <= now - limits.max_age,
                                      EndReason.max_age, None, now),
        EndReason.idle: _end_where(session, UserSession.last_seen_at <= now - limits.idle,
                                   EndReason.idle, None, now),
    }


def end(session: Session, row_id: int, reason: str, by: User | None = None) -> int:
    """End one session (no-op if it has ended already). Returns how many ended."""
    return _end_where(session, UserSession.id == row_id, reason, by)


def end_all(session: Session, user_id: int, reason: str, by: User | None = None,
            keep: int | None = None) -> int:
    """End every live session of a person (all but `keep`). Returns how many ended."""
    condition = UserSession.user_id == user_id
    if keep is not None:
        condition = and_(condition, UserSession.id != keep)
    return _end_where(session, condition, reason, by)


def live_sessions(session: Session, user: User, limits: Limits) -> list[UserSession]:
    """A person's sessions that still work, newest first (for the admin's person page)."""
    rows = session.exec(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    now = utcnow()
    return [r for r in rows if expiry_reason(r, user, limits, now) is None]


def change_own_password(session: Session, user: User, current: str, new: str,
                        confirm: str) -> None:
    """A person changes their own password: every session of theirs ends, this one too
    (the caller signs this device in again with a new session key)."""
    errors = {}
    if not user.check_password(current):
        errors["current"] = _l("That is not your current password.")
    if new != confirm:
        errors["confirm"] = _l("The two new passwords are not the same.")
    if errors:
        raise ValidationErrors(errors)
    user.set_password(new)  # DomainError(field="password") when too short
    session.add(user)
    end_all(session, user.id, EndReason.password, by=user)
    session.flush()


# --- the sign-out capability ------------------------------------------------------------
# A device that signs out without a network must be able to end its session later, from a
# service worker, with no page, no cookie it can read and no CSRF token. It keeps this
# capability from sign-in: "<session id>.<HMAC of the session>". It can end that one
# session and do nothing else; it is useless once the session has ended.


def capability(secret: str, row: UserSession) -> str:
    return f"{row.id}.{_mac(secret, row)}"


def _mac(secret: str, row: UserSession) -> str:
    message = f"nara-signout|{row.id}|{row.token_hash}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def by_capability(session: Session, secret: str, value: str) -> UserSession | None:
    """The session a genuine capability names (ended or not), else None."""
    ident, _, mac = (value or "").partition(".")
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 18 and mac):
        return None
    row = session.get(UserSession, int(ident))
    if row is None or not hmac.compare_digest(mac, _mac(secret, row)):
        return None
    return row


def end_by_capability(session: Session, secret: str, value: str) -> bool:
    """End the session the capability names, if it is genuine. True if it matched."""
    row = by_capability(session, secret, value)
    if row is None:
        return False
    end(session, row.id, EndReason.logout)
    return True


# --- device labels ----------------------------------------------------------------------

_BROWSERS = (
    ("Edge", r"Edg(e|A|iOS)?/"), ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"(Firefox|FxiOS)/"), ("Opera", r"OPR/"), ("Chrome", r"(Chrome|CriOS)/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"), ("iOS", r"iPhone|iPad|iPod"), ("Windows", r"Windows"),
    ("ChromeOS", r"CrOS"), ("macOS", r"Mac OS X|Macintosh"), ("Linux", r"Linux"),
)


def device_label(user_agent: str) -> str:
    """A coarse label for the person's own recognition ("Chrome · Android"): browser and
    system families only, no versions or models, so it identifies no one."""
    ua = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, ua)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, ua)), "")
    return " · ".join(p for p in (browser, system) if p)
