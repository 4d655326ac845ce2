"""Signing in through the municipality's identity provider (OpenID Connect): who a verified
ID token is in Nära, and whether its assurance level opens the journal and working notes.

The protocol (PKCE, state, nonce, the token's signature and claims) is Authlib's, in
views/auth/oidc.py; what arrives here is claims that have already been verified.

A person is linked to one subject at one issuer (`IdpLink`): by an admin on the person
page ("Koppla till inloggning"), or — when the deployment asks for it — on first sign-in
by an exact match of `preferred_username` on the username. Roles and units are Nära's own;
an account made on first sign-in (`OIDC_CREATE_USERS=1`) is staff with no units, unless
a documented `groups` mapping gives it a role and units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from models.access.people import Membership, Role, Unit, User, unit_named, user_named
from models.core.db import utcnow
from models.core.errors import DomainError
from models.core.parse import clean_text

SUBJECT_MAX = 255  # OpenID Connect: `sub` is at most 255 ASCII characters
ISSUER_MAX = 255


class IdpLink(SQLModel, table=True):
    """One person's identity at one identity provider: unique both ways."""

    __tablename__ = "idp_link"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_idp_link_subject"),)

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    issuer: str = Field(max_length=ISSUER_MAX)
    subject: str = Field(max_length=SUBJECT_MAX)
    linked_at: datetime = Field(default_factory=utcnow)
    linked_by_id: int | None = Field(default=None, foreign_key="app_user.id")


@dataclass(frozen=True)
class Settings:
    """The deployment's choices (from the environment; views/auth/oidc.py reads them)."""

    issuer: str
    user_claim: str = "sub"
    auto_link_by: str = ""  # "preferred_username" or nothing
    create_users: bool = False
    required_acr: tuple[str, ...] = ()
    # "group name" -> (role or "", unit names): OIDC_GROUPS_MAP, for accounts made here
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


class Refused(Exception):
    """The provider vouched for someone Nära does not let in. `reason` picks the message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def link_of(session: Session, user: User) -> IdpLink | None:
    return session.get(IdpLink, user.id)


def link(session: Session, user: User, issuer: str, subject: str, by: User | None) -> IdpLink:
    """Link `user` to `subject` at `issuer` (replacing an earlier link of theirs). A subject
    already linked to someone else is refused: one identity opens one account."""
    subject = clean_text(subject, "subject", SUBJECT_MAX,
                         _l("Enter the person's identity at the identity provider."))
    taken = session.exec(select(IdpLink).where(IdpLink.issuer == issuer,
                                               IdpLink.subject == subject)).first()
    if taken is not None and taken.user_id != user.id:
        raise DomainError(_l("That identity is already linked to another person."), "subject")
    existing = session.get(IdpLink, user.id)
    if existing is None:
        existing = IdpLink(user_id=user.id, issuer=issuer, subject=subject)
    existing.issuer, existing.subject = issuer, subject
    existing.linked_at, existing.linked_by_id = utcnow(), by.id if by is not None else None
    session.add(existing)
    session.flush()
    return existing


def unlink(session: Session, user: User) -> bool:
    existing = session.get(IdpLink, user.id)
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    return True


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > SUBJECT_MAX:
        return ""
    return value.strip()


def person_for(session: Session, settings: Settings, claims: dict) -> User:
    """The active Nära account these verified claims belong to, linking or creating it as
    the settings allow. Raises Refused when there is none (or it is deactivated)."""
    subject = _claim(claims, settings.user_claim)
    if not subject:
        raise Refused("claim")
    found = session.exec(
        select(User).join(IdpLink, IdpLink.user_id == User.id)
        .where(IdpLink.issuer == settings.issuer, IdpLink.subject == subject)
    ).first()
    if found is None and settings.auto_link_by == "preferred_username":
        found = _auto_link(session, settings, claims, subject)
    if found is None and settings.create_users:
        found = _create(session, settings, claims, subject)
    if found is None:
        raise Refused("unlinked")
    if not found.active:
        raise Refused("deactivated")
    found.last_login_at = utcnow()
    session.add(found)
    return found


def _auto_link(session: Session, settings: Settings, claims: dict, subject: str) -> User | None:
    """An exact match of preferred_username on a username that has no link yet."""
    username = _claim(claims, "preferred_username")
    candidate = user_named(session, username) if username else None
    if candidate is None or candidate.username != username.lower():
        return None
    if session.get(IdpLink, candidate.id) is not None:  # linked to another identity
        return None
    link(session, candidate, settings.issuer, subject, by=None)
    return candidate


def _create(session: Session, settings: Settings, claims: dict, subject: str) -> User:
    """A new account with no password: staff with no units, or what the groups map says."""
    base = (_claim(claims, "preferred_username") or subject).lower()[:60]
    username, n = base, 1
    while user_named(session, username) is not None:
        n += 1
        username = f"{base}-{n}"
    display = _claim(claims, "name") or username
    role, units = groups_grant(session, settings, claims.get("groups"))
    user = User(username=username, display_name=display[:120], password_hash="!", role=role)
    session.add(user)
    session.flush()
    for unit in units:
        session.add(Membership(user_id=user.id, unit_id=unit.id))
    link(session, user, settings.issuer, subject, by=None)
    return user


def groups_grant(session: Session, settings: Settings, groups) -> tuple[str, list[Unit]]:
    """Seed a new account's role and units from its `groups` claim: the highest role any
    mapped group names (staff otherwise) and every mapped unit that exists."""
    order = [Role.staff, Role.manager, Role.records, Role.admin]
    role, units = Role.staff, {}
    for group in groups if isinstance(groups, list) else []:
        mapped = settings.groups.get(group) if isinstance(group, str) else None
        if mapped is None:
            continue
        wanted, unit_names = mapped
        if wanted in order and order.index(wanted) > order.index(role):
            role = Role(wanted)
        for name in unit_names:
            unit = unit_named(session, name)
            if unit is not None:
                units[unit.id] = unit
    return str(role), list(units.values())


def parse_groups_map(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """OIDC_GROUPS_MAP: `group=role:Unit A|Unit B; other=:Unit C` (role may be empty)."""
    result = {}
    for part in (text or "").split(";"):
        group, _, target = part.partition("=")
        if not group.strip() or not target:
            continue
        role, _, units = target.partition(":")
        result[group.strip()] = (role.strip(), tuple(u.strip() for u in units.split("|")
                                                     if u.strip()))
    return result


def level_sufficient(required: tuple[str, ...], acr: str | None) -> bool:
    """Does a sign-in at level `acr` open what requires one of `required`? With no
    requirement every sign-in does; a password sign-in (no acr) then does not."""
    return not required or (acr or "") in required


def break_glass(user: User, named: str) -> bool:
    """With local passwords off (LOCAL_LOGIN=0) a password opens only a break-glass
    account: one named in BREAK_GLASS_USERS (comma-separated), or, when none is named,
    an admin."""
    names = {n.strip().lower() for n in named.split(",") if n.strip()}
    return user.username in names if names else user.role == Role.admin


def needs_higher_level(user: User, required: tuple[str, ...], acr: str | None) -> bool:
    """Whether this sign-in's level keeps the person from their own work (the journal and
    working notes are staff's and managers'): then they are told so at once."""
    return not level_sufficient(required, acr) and user.role in (Role.staff, Role.manager)
