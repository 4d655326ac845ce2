"""The admin log: every change an admin makes (who, when, what, before and after).

Settings are logged with their values before and after; a password change is logged as
the fact that it changed, never the password. The log only grows: no route edits it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import User
from models.core.db import utcnow

# what → the words an admin reads in the log
ACTIONS = {
    "user.create": _l("Person created"),
    "user.units": _l("Units changed"),
    "user.role": _l("Role changed"),
    "user.password": _l("Password set"),
    "user.active": _l("Account state changed"),
    "user.sessions": _l("Sessions ended"),
    "user.idp_link": _l("Sign-in link changed"),
    "unit.create": _l("Unit created"),
    "catalogue.activity": _l("Activity changed"),
    "catalogue.import": _l("Catalogue imported"),
    "setting.notes_idle": _l("Idle limit for working contacts"),
    "setting.retention": _l("Retention period"),
    "setting.phrase_add": _l("Quick phrase added"),
    "setting.phrase_remove": _l("Quick phrase removed"),
}
# a logged value's key → the words on the page (the CSV keeps the keys, for machines)
KEY_LABELS = {
    "idle_days": _l("Days without a talk"), "grace_days": _l("Grace days"),
    "units": _l("Units"), "role": _l("Role"), "active": _l("Active"), "name": _l("Name"),
    "level": _l("Documentation level"), "talk_cap": _l("Most connected talks"),
    "ages": _l("Ages"), "fields": _l("Fields"), "versions": _l("New field versions"),
    "text": _l("Phrase"), "years": _l("Years"), "source": _l("Source"),
    "sessions": _l("Sessions ended"), "created": _l("New"), "updated": _l("Changed"),
    "subject": _l("Identity at the identity provider"),
}
SECRET_KEYS = frozenset({"password", "password_hash", "secret"})


class AdminLog(SQLModel, table=True):
    """One admin change. `before`/`after` hold the changed values (never a secret)."""

    __tablename__ = "admin_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int = Field(foreign_key="app_user.id", index=True)
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=200)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


def _clean(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: ("***" if k in SECRET_KEYS else v) for k, v in values.items()}


def write(session: Session, actor: User, action: str, target: str = "",
          before: dict | None = None, after: dict | None = None) -> AdminLog | None:
    """Log one change; only the keys whose values differ are kept. Nothing if nothing did."""
    if before is not None and after is not None:
        changed = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        if not changed:
            return None
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    row = AdminLog(actor_id=actor.id, action=action, target=target[:200],
                   before=_clean(before), after=_clean(after))
    session.add(row)
    session.flush()
    return row


def entries(session: Session, query: str = "", limit: int = 200) -> list[tuple[AdminLog, str]]:
    """The newest entries first, with the actor's name; `query` narrows by target, action
    (its code or its words) or who. Matched in Python with casefold, as the people search
    is: SQLite's LIKE folds only ASCII, so "öppen" would miss "Öppenvården" there."""
    stmt = (select(AdminLog, User.display_name).join(User, User.id == AdminLog.actor_id)
            .order_by(col(AdminLog.at).desc(), col(AdminLog.id).desc()))
    query = " ".join(query.split())[:80].casefold()
    if not query:
        return list(session.exec(stmt.limit(limit)).all())
    found = []
    for row, name in session.exec(stmt):  # an admin log is small: admins' changes only
        words = (row.target, row.action, str(ACTIONS.get(row.action, "")), name or "")
        if any(query in w.casefold() for w in words):
            found.append((row, name))
            if len(found) >= limit:
                break
    return found


def describe(values: dict | None, labels: bool = False) -> str:
    """`key: value; …` for the CSV; with `labels`, in words for the page."""
    if not values:
        return ""
    return "; ".join(f"{KEY_LABELS.get(k, k) if labels else k}: {_text(v, labels)}"
                     for k, v in values.items())


def _text(value, labels: bool = False) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    if value is None:
        return "–"
    if isinstance(value, bool) and labels:
        return str(_l("yes") if value else _l("no"))
    return str(value)


def as_csv(session: Session) -> str:
    """Every entry as CSV (UTF-8 with BOM, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at_utc", "who", "action", "target", "before", "after"])
    for row, name in entries(session, limit=100_000):
        writer.writerow([row.at.strftime("%Y-%m-%d %H:%M:%S"), _safe(name), row.action,
                         _safe(row.target), _safe(describe(row.before)),
                         _safe(describe(row.after))])
    return "\ufeff" + out.getvalue()


def _safe(text: str) -> str:
    """No cell starts a spreadsheet formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
