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
_RULES: dict[str, tuple[Rule, bool, bool]] = {}


class LevelTooLow(AccessDenied):
    """The rule would not even be asked: the action needs a stronger sign-in (the
    deployment's required `acr`, issue 17) than this session's. Never hidden: the person
    is told to sign in again at a higher level, and learns nothing about the object."""

    def __init__(self, action: str):
        super().__init__(action, hide=False)


def rule(action: str, hide: bool = False, strong: bool = False) -> Callable[[Rule], Rule]:
    """Register the rule for `action`. `strong`: the action needs the sign-in level the
    deployment requires (OIDC_REQUIRED_ACR) — the journal and the working notes."""

    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"duplicate access rule {action}")
        _RULES[action] = (fn, hide, strong)
        return fn

    return register


def level_sufficient(user: User) -> bool:
    """Is this request's sign-in strong enough for `strong` actions? The auth room sets
    `_level_ok` on the user it loads from the session; a user not loaded from a session
    (the CLI, the demo) has no sign-in to be weak."""
    return getattr(user, "_level_ok", True)


def authorize(session: Session, user: User | None, action: str, obj: Any = None) -> bool:
    """May `user` do `action` to `obj`? Unknown actions are refused."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    entry = _RULES.get(action)
    if entry is None:
        return False
    if entry[2] and not level_sufficient(user):
        return False
    return bool(entry[0](session, user, obj))


def ensure(session: Session, user: User | None, action: str, obj: Any = None) -> None:
    """Raise AccessDenied unless authorised (hidden actions become 404 in the views);
    LevelTooLow when only the sign-in's level stands in the way."""
    entry = _RULES.get(action)
    if (entry is not None and entry[2] and user is not None
            and getattr(user, "is_authenticated", False) and not level_sufficient(user)):
        raise LevelTooLow(action)
    if not authorize(session, user, action, obj):
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
