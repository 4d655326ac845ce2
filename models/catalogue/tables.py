"""The activity catalogue (seed 001): activities, documentation levels and tally fields.

Field definitions are data, not code. They come from a catalogue file
(data/catalogue.yaml; `flask catalogue import/export`) and are stored as immutable,
numbered **field sets**: FieldSet → FieldDef (one per field) → FieldOption (one per
allowed choice). A tally points at the field set it was made with, so changing a list
later never changes what an old tally meant. Units may replace the options of the
editable lists (problem areas, routes in, further actions); that produces a field set of
its own for that unit's tallies.

Public functions
- ``load_file(path) -> dict``: read a catalogue file (YAML or JSON).
- ``import_catalogue(session, data, unit_map=None, create_units=False) -> ImportReport``:
  create/update activities from a catalogue dict; idempotent; new field-set version only
  when a definition really changed. ``unit_map`` maps the file's unit names to Nära units.
- ``export_catalogue(session) -> dict``: the current catalogue in the file format
  (every field inline), re-importable without changes.
- ``activities_of_user(session, user) -> list[Activity]``: the activities of the user's units.
- ``activity_unit_ids(session, activity_id) -> set[int]``: its responsible units.
- ``responsible_units_of(session, user, activity) -> list[int]``: the user's units that
  log it (one query, which also yields each unit's current version).
- ``current_field_set(session, activity, unit_id) -> FieldSetRef | None``: the version a
  new tally made in that unit uses (None for exempt / case-system activities).
- ``refresh_field_sets(session, activity_id=None, unit_id=None)``: store each unit's
  current version after a catalogue change (import and list edits call it).
- ``spec_of(session, field_set_id) -> FieldSetSpec``: the immutable, cached definition.
- ``set_unit_options(session, unit_id, list_key, options, user=None)``: a unit's own
  option list (or None to go back to the catalogue's); derives the field sets at once.
- ``unit_options(session, unit_id) -> dict[list_key, list[dict]]``.

Levels (seed 001 "Dokumentationsnivå"): aggregate, notes (working notes + aggregate),
exempt (nothing is documented), case_system (full documentation in the case system).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.core.db import utcnow

FORMAT = "nara-catalogue/1"
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "catalogue.yaml"


class Level(StrEnum):
    aggregate = "aggregate"
    notes = "notes"
    exempt = "exempt"
    case_system = "case_system"


LEVEL_LABELS = {
    Level.aggregate: _l("Aggregate data"),
    Level.notes: _l("Working notes + aggregate data"),
    Level.exempt: _l("Exempt from documentation"),
    Level.case_system: _l("Full documentation in the case system"),
}
LOGGABLE = (Level.aggregate, Level.notes)


class Kind(StrEnum):
    choice = "choice"  # exactly one option
    multi = "multi"  # zero or more options
    count = "count"  # a whole number
    split = "split"  # a whole number per option (e.g. children by gender)
    age = "age"  # one option: an adult band or a year of age


# seed 001: "Ålder vuxen 5-års intervall". Teenage parents exist, hence "under 18".
ADULT_BANDS = [("u18", "Under 18", "Under 18"), ("18-19", "18–19", "18–19")] + [
    (f"{a}-{a + 4}", f"{a}–{a + 4}", f"{a}–{a + 4}") for a in range(20, 80, 5)
] + [("80+", "80+", "80+")]

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,23}$")
# Invisible characters no label needs and no XLSX file can hold (issue 12: one stored in
# a list broke the statistics export). Tabs and line breaks are whitespace, tidied away.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
RESERVED_KEYS = {"csrf_token", "client_uuid", "occurred_at", "when", "unit", "day", "time"}
COUNT_CEILING = 1000  # no single tally counts more than this, whatever a file says


# --- tables ---------------------------------------------------------------------------


class Activity(SQLModel, table=True):
    """One row of seed 001: an intervention without a needs assessment."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    target_group: str = Field(default="", max_length=200)
    age_min: int | None = None
    age_max: int | None = None
    level: str = Field(max_length=16)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    talk_cap: int | None = None  # seed 001, Råd och stöd: "Max fem sammanhållande samtal"
    position: int = 0
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def loggable(self) -> bool:
        return self.level in LOGGABLE and self.active

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level, self.level))

    @property
    def age_range(self) -> str:
        if self.age_min is not None and self.age_max is not None:
            return f"{self.age_min}–{self.age_max}"
        if self.age_min is not None:
            return f"{self.age_min}–"
        return ""


class ActivityUnit(SQLModel, table=True):
    """The units responsible for an activity (seed 001 "Ansvarig").

    `field_set_id` is derived: the field-set version this unit's new tallies of the activity
    are checked against (the base version with the unit's own option lists applied). It is
    refreshed whenever the catalogue or one of the unit's lists changes
    (`refresh_field_sets`), so saving a tally reads it in the same query as the access
    check instead of re-deriving it. NULL means "not derived yet" and is derived on read.
    """

    __tablename__ = "activity_unit"

    activity_id: int = Field(foreign_key="activity.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    field_set_id: int | None = Field(default=None, foreign_key="field_set.id")


class FieldSet(SQLModel, table=True):
    """One immutable version of an activity's tally fields."""

    __tablename__ = "field_set"
    __table_args__ = (
        UniqueConstraint("activity_id", "version", name="uq_field_set_activity_version"),
        Index("ix_field_set_activity_digest", "activity_id", "digest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id")
    version: int
    base: bool = True  # the catalogue's own definition (False: a unit's option lists applied)
    digest: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class FieldDef(SQLModel, table=True):
    __tablename__ = "field_def"

    field_set_id: int = Field(foreign_key="field_set.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=32)
    position: int
    kind: str = Field(max_length=8)
    label: str = Field(max_length=120)
    label_en: str | None = Field(default=None, max_length=120)
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    default: str | None = Field(default=None, max_length=24)
    options_list: str | None = Field(default=None, max_length=32)
    editable: bool = False


class FieldOption(SQLModel, table=True):
    __tablename__ = "field_option"
    __table_args__ = (
        ForeignKeyConstraint(
            ["field_set_id", "field_key"], ["field_def.field_set_id", "field_def.key"],
            name="fk_field_option_field_def",
        ),
    )

    field_set_id: int = Field(primary_key=True)
    field_key: str = Field(primary_key=True, max_length=32)
    code: str = Field(primary_key=True, max_length=24)
    position: int
    label: str = Field(max_length=120)
    label_en: str | None = Field(default=None, max_length=120)


class UnitOptionList(SQLModel, table=True):
    """A unit's own options for an editable list (problem areas, routes in, actions)."""

    __tablename__ = "unit_option_list"

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    list_key: str = Field(primary_key=True, max_length=32)
    options: list = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
