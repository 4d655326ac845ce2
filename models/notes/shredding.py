"""Shredding working notes (seed 000): at the end of a contact, and when it idles."""

from __future__ import annotations

import time
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlmodel import Session, select

from models.access import User, log_access
from models.core.db import utcnow
from models.core.errors import DomainError
from models.notes.contacts import ContactTalk, ShredLog, WorkingContact, WorkingNote, contact_state

# --- shredding ----------------------------------------------------------------------------


def _shred(session: Session, contacts: list[WorkingContact], reason: str,
           now: datetime) -> list[ShredLog]:
    """Delete the contacts, their talk links and notes; one log row of counts per unit."""
    by_unit: dict[int, ShredLog] = {}
    for contact in contacts:
        log = by_unit.setdefault(contact.unit_id, ShredLog(
            at=now, unit_id=contact.unit_id, reason=reason))
        log.contacts += 1
        log.notes += session.execute(
            delete(WorkingNote).where(WorkingNote.contact_id == contact.id)).rowcount
        log.talks += session.execute(
            delete(ContactTalk).where(ContactTalk.contact_id == contact.id)).rowcount
        session.delete(contact)
    for log in by_unit.values():
        session.add(log)
    session.flush()
    return list(by_unit.values())


def end_contact(session: Session, owner: User, contact: WorkingContact,
                now: datetime | None = None) -> ShredLog:
    """The owner ends the contact: its notes and pseudonym are destroyed, tallies stay."""
    if contact.owner_id != owner.id:
        raise DomainError(_l("Only the contact's owner can end it."))
    log_access(session, owner, "contact", contact.id, "notes.end")
    return _shred(session, [contact], "ended", now or utcnow())[0]


def shred_idle(session: Session, now: datetime | None = None) -> list[ShredLog]:
    """Shred every contact whose grace period after the idle limit has passed."""
    now = now or utcnow()
    due = [c for c in session.exec(select(WorkingContact)).all()
           if contact_state(session, c, now).shred_at <= now]
    return _shred(session, due, "idle", now) if due else []


def wipe_freed_pages(session: Session, attempts: int = 5) -> bool:
    """After a committed shredding: make sure no old copy of the rows is left on disk.

    SQLite: secure_delete (models.db) has zeroed the freed space in the pages; the WAL
    still holds the pages as they were before, so checkpoint it into the database and
    truncate it. Returns False if readers kept the checkpoint from finishing (retried a
    few times; the next shredding or the daily job tries again).
    PostgreSQL: deleted rows are reclaimed by (auto)vacuum; nothing to do here.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return True
    for attempt in range(attempts):
        with bind.connect() as connection:
            busy, _log, _done = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy == 0:
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def recent_shreds(session: Session, unit_ids: list[int], limit: int = 20) -> list[ShredLog]:
    """The latest shred-log rows of these units (counts and dates only)."""
    if not unit_ids:
        return []
    return list(session.exec(
        select(ShredLog).where(ShredLog.unit_id.in_(unit_ids))
        .order_by(ShredLog.at.desc(), ShredLog.id.desc()).limit(limit)
    ).all())
