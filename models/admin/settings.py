"""Inställningar: the settings that are data, each with where it comes from (a seed).

The rules stay in their rooms (a unit's idle limit in notes, quick phrases in journal);
this module calls them and writes each change to the admin log with before and after.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

import models.admin.log as log
from models.access import Unit, User
from models.admin.people import all_units
from models.journal.shift import add_phrase, delete_phrase, phrases_for
from models.journal.tables import QuickPhrase
from models.notes import set_unit_setting, settings_of, unit_setting


@dataclass
class UnitSettings:
    unit: Unit
    notes: bool  # the unit runs a working-notes activity (the idle limit applies)
    idle_days: int
    grace_days: int
    phrases: int


def unit_rows(session: Session, admin: User) -> list[UnitSettings]:
    """Every unit with its idle limit (where it keeps working notes) and phrase count."""
    with_notes = {u.id for u, _s in settings_of(session, admin)}
    rows = []
    for unit in all_units(session):
        setting = unit_setting(session, unit.id)
        rows.append(UnitSettings(unit, unit.id in with_notes, setting.idle_days,
                                 setting.grace_days, len(phrases_for(session, unit.id))))
    return rows


def set_idle_limit(session: Session, admin: User, unit: Unit, idle_days, grace_days) -> None:
    """A unit's idle limit for working contacts (the notes room's rule), logged."""
    current = unit_setting(session, unit.id)
    before = {"idle_days": current.idle_days, "grace_days": current.grace_days}
    row = set_unit_setting(session, unit.id, idle_days, grace_days)
    log.write(session, admin, "setting.notes_idle", unit.name, before,
              {"idle_days": row.idle_days, "grace_days": row.grace_days})


def add_unit_phrase(session: Session, admin: User, unit: Unit, text: str, category: str,
                    topic: str) -> QuickPhrase:
    phrase = add_phrase(session, unit, text, category, topic)
    log.write(session, admin, "setting.phrase_add", unit.name, None, {"text": phrase.text})
    return phrase


def remove_unit_phrase(session: Session, admin: User, unit: Unit, phrase: QuickPhrase) -> None:
    log.write(session, admin, "setting.phrase_remove", unit.name, {"text": phrase.text}, None)
    delete_phrase(session, phrase)
