"""Who may open a client's file (seed 003: only staff concerned and the unit's managers).

Registered with the policy when the journal package is imported.
"""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, is_manager_of, rule
from models.journal.people import is_assigned
from models.journal.tables import Client

# Social journal (issue 5) -------------------------------------------------------------
# seed 003: only staff concerned (assigned to the client now) and the managers of the
# client's unit see a client, the thread, the plan or any entry. Admins do not, unless
# also assigned. Hidden: everyone else gets "not found".


def _journal_client(session: Session, user: User, client) -> bool:
    # The records officer (issue 14) sees no journal content, even if given a unit and
    # assigned to a client by mistake: their work is plans, holds and runs, by counts.
    if client is None or client.id is None or user.role == Role.records:
        return False
    return is_manager_of(session, user, client.unit_id) or is_assigned(session, user, client.id)


@rule("journal.read", hide=True, strong=True)
def _journal_read(session: Session, user: User, client) -> bool:
    return _journal_client(session, user, client)


@rule("journal.write", hide=True, strong=True)
def _journal_write(session: Session, user: User, client) -> bool:
    return _journal_client(session, user, client)


@rule("journal.manage", hide=True, strong=True)
def _journal_manage(session: Session, user: User, client) -> bool:
    """Staff assignments and read receipts: the managers of the client's unit."""
    return client is not None and is_manager_of(session, user, client.unit_id)


@rule("journal.correct", strong=True)
def _journal_correct(session: Session, user: User, entry) -> bool:
    """A note is corrected by its author (still concerned) or a manager of the unit."""
    client = session.get(Client, entry.client_id) if entry is not None else None
    if not _journal_client(session, user, client):
        return False
    return entry.author_id == user.id or is_manager_of(session, user, client.unit_id)


@rule("journal.create_client", strong=True)
def _journal_create_client(session: Session, user: User, _obj) -> bool:
    return user.role == Role.manager


@rule("journal.log")
def _journal_log(session: Session, user: User, _obj) -> bool:
    """Log review (loggkontroll): managers, for their own units' clients."""
    return user.role == Role.manager
