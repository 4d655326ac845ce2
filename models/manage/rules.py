"""The manager's room: managers only, their own units only. Registered on import."""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, is_manager_of, rule

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


@rule("api.tokens")
def _api_tokens(session: Session, user: User, _obj) -> bool:
    """Issue and revoke the statistics API's integration tokens (issue 18 §3): admins."""
    return user.role == Role.admin
