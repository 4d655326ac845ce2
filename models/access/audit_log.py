"""The access log: who did what to which subject, and whether it was allowed."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, insert
from sqlmodel import Field, Session, SQLModel

from models.access.people import User
from models.core.db import utcnow
from models.core.errors import DomainError


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
