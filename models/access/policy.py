"""The one place that decides who may do what: a registry of rules.

Every view asks `ensure(session, user, action, obj)`. Each room registers its own rules
with `@rule(action)` in its own package (models/<room>/rules.py), as it registers its inbox
threads, so the policy knows no room. A rule registered with hide=True answers "not found"
when it refuses, so a refused user cannot learn that the object exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from models.access.people import Role, User, is_manager_of
from models.core.errors import AccessDenied

# --- the policy ----------------------------------------------------------------------

Rule = Callable[[Session, User, Any], bool]
_RULES: dict[str, tuple[Rule, bool]] = {}


def rule(action: str, hide: bool = False) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"duplicate access rule {action}")
        _RULES[action] = (fn, hide)
        return fn

    return register


def authorize(session: Session, user: User | None, action: str, obj: Any = None) -> bool:
    """May `user` do `action` to `obj`? Unknown actions are refused."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    entry = _RULES.get(action)
    if entry is None:
        return False
    return bool(entry[0](session, user, obj))


def ensure(session: Session, user: User | None, action: str, obj: Any = None) -> None:
    """Raise AccessDenied unless authorised (hidden actions become 404 in the views)."""
    if not authorize(session, user, action, obj):
        entry = _RULES.get(action)
        raise AccessDenied(action, hide=entry[1] if entry else True)




# Foundation rules --------------------------------------------------------------------


@rule("inbox.view")
def _any_signed_in(session: Session, user: User, _obj) -> bool:
    return True


@rule("account.update")
def _own_account(session: Session, user: User, obj) -> bool:
    return obj is None or obj.id == user.id


@rule("admin.manage")
def _admin_only(session: Session, user: User, _obj) -> bool:
    return user.role == Role.admin


@rule("unit.manage")
def _manager_of_unit(session: Session, user: User, unit) -> bool:
    return unit is not None and is_manager_of(session, user, unit.id)
