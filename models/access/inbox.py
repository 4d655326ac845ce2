"""The home inbox: every domain contributes threads through a provider.

A provider is `fn(session, user) -> list[Thread]`; domains register theirs with
`@thread_provider` in their own models module. Read markers are shared here so each
domain counts unread entries the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Field, Session, SQLModel

from models.access import User
from models.core.db import utcnow


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


Provider = Callable[[Session, User], list[Thread]]
_PROVIDERS: list[Provider] = []


def thread_provider(fn: Provider) -> Provider:
    _PROVIDERS.append(fn)
    return fn


def inbox(session: Session, user: User) -> list[Thread]:
    """All threads for the user, newest activity first, then by title."""
    threads = [t for provider in _PROVIDERS for t in provider(session, user)]
    return sorted(threads, key=lambda t: (-(t.time.timestamp() if t.time else 0), t.title))


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
    row = session.get(ThreadRead, (user.id, key)) or ThreadRead(user_id=user.id, thread_key=key)
    row.read_at = utcnow()
    session.add(row)
