"""Working notes are their author's alone (seed 000). Registered with the policy on import."""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, is_manager_of, rule
from models.notes.contacts import may_open_contact

# Working notes (issue 6) ---------------------------------------------------------------
# seed 000: the notes are the counsellor's own memory, "ej delas med annan". Owner-only:
# no colleague, no manager, no admin — and a refusal never reveals that a contact exists.


@rule("notes.use", hide=True, strong=True)
def _notes_use(session: Session, user: User, _obj) -> bool:
    """List one's own contacts: staff only (managers and admins keep no working notes)."""
    return user.role == Role.staff


@rule("notes.open", hide=True, strong=True)
def _notes_open(session: Session, user: User, activity) -> bool:
    """Start a contact: staff of a unit responsible for a working-notes activity."""
    return may_open_contact(session, user, activity)


@rule("notes.contact", hide=True, strong=True)
def _notes_contact(session: Session, user: User, contact) -> bool:
    """Read, write to or end a contact: its owner, and no one else."""
    return contact is not None and user.role == Role.staff and contact.owner_id == user.id


@rule("notes.settings")
def _notes_settings(session: Session, user: User, unit) -> bool:
    """A unit's idle limit for contacts (no content): its managers, and admins."""
    if user.role == Role.admin:
        return True
    return user.role == Role.manager if unit is None else is_manager_of(session, user, unit.id)
