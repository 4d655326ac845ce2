"""Shared set-up for the working-notes tests: the seed-001 catalogue and a counsellor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import select

from models.catalogue import DEFAULT_FILE, Activity, import_catalogue, load_file

# Råd och stöd (capped at five talks) and Anhörigstöd (no cap), both at Mötesplats.
RAD = "rad-och-stod"
ANHORIG = "motesplats-anhorigstod"
AGGREGATE = "motesplats-oppen-verksamhet"
UNIT = "Mötesplatsen"


@dataclass
class NotesWorld:
    db: object
    people: object
    kim: object  # counsellor, owner of the contacts
    kia: object  # colleague in the same unit
    maja: object  # the unit's manager
    admin: object
    rad: Activity
    anhorig: Activity
    aggregate: Activity


def activity(db, key: str) -> Activity:
    return db.exec(select(Activity).where(Activity.key == key)).one()


def valid_values(db, key: str) -> dict:
    """A valid submission for the activity, whatever option codes the catalogue uses."""
    from models.catalogue import current_field_set, spec_of

    act = activity(db, key)
    spec = spec_of(db, current_field_set(db, act, None).id)
    values = {}
    for f in spec.fields:
        if f.kind in ("choice", "age"):
            values[f.key] = f.options[0].code
        elif f.kind == "count":
            values[f.key] = max(1, f.min or 0)
    return values


def build(db, people) -> NotesWorld:
    unit = people.unit(UNIT)
    import_catalogue(db, load_file(DEFAULT_FILE), {"Mötesplats": UNIT}, create_units=True)
    db.commit()
    kim = people.user("kim", units=[unit])
    kia = people.user("kia", units=[unit])
    maja = people.user("maja", "manager", units=[unit])
    admin = people.user("ada", "admin")
    return NotesWorld(db, people, kim, kia, maja, admin, activity(db, RAD),
                      activity(db, ANHORIG), activity(db, AGGREGATE))


def new_uuid() -> str:
    return str(uuid.uuid4())


def random_letters() -> str:
    """A random marker of letters only: digit runs could look like a phone number and be
    refused by the identity guard, which would make a test flaky."""
    return uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))
