"""Demo data for local use: units, one user per role, and each domain's examples.

Domains add their own examples with `@demo_seeder`; seeders run in registration order
and must be idempotent (running demo-seed twice changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from models.access import Role, Unit, User, create_unit, create_user

UNITS = ("Fältgruppen", "Familjecentralen", "Hemtjänst Norr", "Mötesplatsen")

# (username, display name, role, units). Local demo only; printed by `flask demo-seed`.
DEMO_PASSWORD = "nara-demo-2026"
USERS = (
    ("fia", "Fia Fältare", Role.staff, ("Fältgruppen",)),
    ("kim", "Kim Kurator", Role.staff, ("Familjecentralen", "Mötesplatsen")),
    ("hanna", "Hanna Hemtjänst", Role.staff, ("Hemtjänst Norr",)),
    ("hugo", "Hugo Hemtjänst", Role.staff, ("Hemtjänst Norr",)),
    ("maja", "Maja Enhetschef", Role.manager, UNITS),
    ("admin", "Ada Admin", Role.admin, ()),
)

Seeder = Callable[[Session], None]
_SEEDERS: list[Seeder] = []


def demo_seeder(fn: Seeder) -> Seeder:
    _SEEDERS.append(fn)
    return fn


def unit_named(session: Session, name: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.name == name)).first()


def user_named(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


@demo_seeder
def seed_people(session: Session) -> None:
    for name in UNITS:
        if unit_named(session, name) is None:
            create_unit(session, name)
    for username, display, role, unit_names in USERS:
        existing = user_named(session, username)
        if existing is not None:
            continue
        units = [unit_named(session, n) for n in unit_names]
        create_user(session, username, display, DEMO_PASSWORD, role, units)
    session.flush()


def seed_demo(session: Session) -> list[tuple[str, str, str]]:
    """Run every seeder; return (username, password, role) for printing."""
    for seeder in _SEEDERS:
        seeder(session)
    session.commit()
    return [(u, DEMO_PASSWORD, str(r)) for u, _d, r, _units in USERS]
