"""Who may review and release a client's copy of the file (seed 002: the person's right to
read; seed 003: only the unit's managers see the whole file)."""

from __future__ import annotations

from sqlmodel import Session

from models.access import User, is_manager_of, rule


@rule("records.right_to_read", hide=True)
def _right_to_read(session: Session, user: User, client) -> bool:
    """The secrecy review and the release: the managers of the client's unit, nobody else
    (not the staff concerned, not admins, not the records role). Others get "not found"."""
    return client is not None and client.id is not None and is_manager_of(
        session, user, client.unit_id)
