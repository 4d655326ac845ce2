"""The home inbox: every domain contributes threads through a provider.

A provider is `fn(session, user) -> list[Thread]`; domains register theirs with
`@thread_provider` in their own models module. Read markers are shared here so each
domain counts unread entries the same way.

The inbox is shown in sections (activities and units · clients · tools), only those the
user has; rows that are rarely opened (activities not logged in Nära) are folded into one
row at the end of their section. Where the user belongs to several units, each row names
its unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlmodel import Field, Session, SQLModel

from models.access import User
from models.access.people import units_of
from models.core.db import upsert_insert, utcnow

SECTIONS = {
    "units": _l("Activities and units"),
    "clients": _l("Clients"),
    "tools": _l("Tools"),
}


@dataclass(frozen=True)
class Thread:
    key: str  # stable id, e.g. "activity:3" — never personal data
    title: str
    endpoint: str  # Flask endpoint; the view resolves it with url_for(endpoint, **values)
    values: dict = field(default_factory=dict)
    last_line: str = ""
    time: datetime | None = None
    unread: int = 0
    kind: str = "generic"  # drives the avatar colour/icon: activity, client, contact, unit
    badge: str = ""  # short status text, e.g. "Undantas" or "3 av 5"
    section: str = "tools"  # a key of SECTIONS
    folded: bool = False  # shown inside the section's one collapsed row at its end
    units: tuple[str, ...] = ()  # the unit names the row belongs to (shown when several)
    count_text: str = ""  # a count shown as words ("3 new"), not as an unread badge


@dataclass
class Section:
    key: str
    title: str
    threads: list[Thread]
    folded: list[Thread]


Provider = Callable[[Session, User], list[Thread]]
_PROVIDERS: list[Provider] = []


def thread_provider(fn: Provider) -> Provider:
    _PROVIDERS.append(fn)
    return fn


def inbox(session: Session, user: User) -> list[Thread]:
    """All threads for the user, newest activity first, then by title."""
    threads = [t for provider in _PROVIDERS for t in provider(session, user)]
    return sorted(threads, key=lambda t: (-(t.time.timestamp() if t.time else 0), t.title))


def sections(session: Session, user: User) -> list[Section]:
    """The inbox in its sections, only those with threads, in the order of SECTIONS.

    A unit name is kept on a row only when the user belongs to several units (with one,
    it would repeat the same word on every row)."""
    threads = inbox(session, user)
    if len(units_of(session, user)) < 2:
        threads = [replace(t, units=()) if t.units else t for t in threads]
    out = []
    for key, title in SECTIONS.items():
        mine = [t for t in threads if t.section == key]
        if mine:
            out.append(Section(key, str(title), [t for t in mine if not t.folded],
                               [t for t in mine if t.folded]))
    return out


class ThreadRead(SQLModel, table=True):
    """When the user last looked at a thread."""

    __tablename__ = "thread_read"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    thread_key: str = Field(primary_key=True, max_length=64)
    read_at: datetime = Field(default_factory=utcnow)


def last_read(session: Session, user: User, key: str) -> datetime | None:
    row = session.get(ThreadRead, (user.id, key))
    return row.read_at if row else None


def mark_read(session: Session, user: User, key: str) -> None:
    """One statement (INSERT … ON CONFLICT DO UPDATE, on SQLite and PostgreSQL): two first
    opens of the same thread at once — two phones, two tabs, two app servers — both store
    the marker; a read-then-insert let the second fail on the primary key (a 500)."""
    stmt = upsert_insert(session, ThreadRead.__table__).values(
        user_id=user.id, thread_key=key, read_at=utcnow())
    session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "thread_key"], set_={"read_at": stmt.excluded.read_at}))
    loaded = session.identity_map.get(
        inspect(ThreadRead).identity_key_from_primary_key((user.id, key)))
    if loaded is not None:  # read earlier in this session: reload the new time when asked
        session.expire(loaded)
