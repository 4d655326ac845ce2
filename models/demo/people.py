"""Demo people: the units and one user per role (local use only)."""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, create_unit, create_user, unit_named, user_named

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
    ("arkiv", "Arvid Arkivarie", Role.records, ()),
)

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
