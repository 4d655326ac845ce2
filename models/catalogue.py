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

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    func,
)
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Membership, Unit, User
from models.db import utcnow
from models.errors import DomainError
from models.parse import parse_int

FORMAT = "nara-catalogue/1"
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "catalogue.yaml"


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


# --- immutable specs (what views and validation read) ----------------------------------


@dataclass(frozen=True)
class OptionSpec:
    code: str
    label: str
    label_en: str | None = None

    def text(self, locale: str = "sv") -> str:
        return self.label_en if locale == "en" and self.label_en else self.label


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: str
    label: str
    label_en: str | None = None
    required: bool = False
    min: int | None = None
    max: int | None = None
    default: str | None = None
    options_list: str | None = None
    editable: bool = False
    options: tuple[OptionSpec, ...] = ()

    def text(self, locale: str = "sv") -> str:
        return self.label_en if locale == "en" and self.label_en else self.label

    def option(self, code: str) -> OptionSpec | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def is_choice(self) -> bool:
        return self.kind in (Kind.choice, Kind.age)

    def as_dict(self) -> dict:
        data = {
            "key": self.key, "kind": self.kind, "label": self.label, "label_en": self.label_en,
            "required": self.required, "min": self.min, "max": self.max,
            "default": self.default, "options_list": self.options_list,
            "editable": self.editable,
            "options": [{"code": o.code, "label": o.label, "label_en": o.label_en}
                        for o in self.options],
        }
        return data


@dataclass(frozen=True)
class FieldSetSpec:
    id: int
    activity_id: int
    version: int
    digest: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


def _spec_from_dict(data: dict) -> FieldSpec:
    return FieldSpec(
        key=data["key"], kind=data["kind"], label=data["label"], label_en=data.get("label_en"),
        required=bool(data.get("required")), min=data.get("min"), max=data.get("max"),
        default=None if data.get("default") is None else str(data["default"]),
        options_list=data.get("options_list"), editable=bool(data.get("editable")),
        options=tuple(OptionSpec(o["code"], o["label"], o.get("label_en"))
                      for o in data.get("options") or ()),
    )


def digest_of(fields: list[dict]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# Field sets never change once written, so their definitions are cached by content.
_FIELDS_BY_DIGEST: dict[str, tuple[FieldSpec, ...]] = {}


class FieldSetRef(NamedTuple):
    """Which field-set version, without its fields (those come from `spec_of`)."""

    id: int
    activity_id: int
    version: int
    digest: str


def _known_field_sets(session: Session) -> dict[int, FieldSetRef]:
    """Field-set rows this session has seen. A row never changes, so unlike `memo` this
    outlives commits: a request that saves and then renders reads each version once."""
    return session.info.setdefault("nara_field_sets", {})


def _ref(session: Session, fs: FieldSet | FieldSetRef | None) -> FieldSetRef | None:
    if fs is None:
        return None
    ref = FieldSetRef(fs.id, fs.activity_id, fs.version, fs.digest)
    _known_field_sets(session)[ref.id] = ref
    return ref


def spec_of(session: Session, field_set_id: int) -> FieldSetSpec:
    """The definition of one field-set version (cached: versions are immutable)."""
    fs = _known_field_sets(session).get(field_set_id) or _ref(
        session, session.get(FieldSet, field_set_id))
    if fs is None:
        raise DomainError(_l("Unknown field set."))
    fields = _FIELDS_BY_DIGEST.get(fs.digest)
    if fields is None:
        fields = tuple(_spec_from_dict(d) for d in _load_fields(session, fs.id))
        if len(_FIELDS_BY_DIGEST) > 2048:
            _FIELDS_BY_DIGEST.clear()
        _FIELDS_BY_DIGEST[fs.digest] = fields
    return FieldSetSpec(fs.id, fs.activity_id, fs.version, fs.digest, fields)


def _load_fields(session: Session, field_set_id: int) -> list[dict]:
    defs = session.exec(
        select(FieldDef).where(FieldDef.field_set_id == field_set_id).order_by(FieldDef.position)
    ).all()
    options = session.exec(
        select(FieldOption).where(FieldOption.field_set_id == field_set_id)
        .order_by(FieldOption.field_key, FieldOption.position)
    ).all()
    by_field: dict[str, list[dict]] = {}
    for o in options:
        by_field.setdefault(o.field_key, []).append(
            {"code": o.code, "label": o.label, "label_en": o.label_en})
    return [{
        "key": d.key, "kind": d.kind, "label": d.label, "label_en": d.label_en,
        "required": d.required, "min": d.min_value, "max": d.max_value, "default": d.default,
        "options_list": d.options_list, "editable": d.editable,
        "options": by_field.get(d.key, []),
    } for d in defs]


# --- reading the catalogue --------------------------------------------------------------


def activity_unit_ids(session: Session, activity_id: int) -> set[int]:
    rows = session.exec(select(ActivityUnit.unit_id).where(ActivityUnit.activity_id == activity_id))
    return set(rows.all())


def activities_of_user(session: Session, user: User) -> list[Activity]:
    """Active activities that one of the user's units is responsible for, in table order."""
    stmt = (
        select(Activity)
        .join(ActivityUnit, ActivityUnit.activity_id == Activity.id)
        .join(Membership, Membership.unit_id == ActivityUnit.unit_id)
        .where(Membership.user_id == user.id, Activity.active == True)  # noqa: E712
        .order_by(Activity.position, Activity.id)
        .distinct()
    )
    return list(session.exec(stmt).all())


def units_of_activity(session: Session, activity_id: int) -> list[Unit]:
    stmt = (select(Unit).join(ActivityUnit, ActivityUnit.unit_id == Unit.id)
            .where(ActivityUnit.activity_id == activity_id).order_by(Unit.name))
    return list(session.exec(stmt).all())


def base_field_set(session: Session, activity_id: int) -> FieldSet | None:
    return session.exec(
        select(FieldSet).where(FieldSet.activity_id == activity_id, FieldSet.base == True)  # noqa: E712
        .order_by(FieldSet.version.desc()).limit(1)
    ).first()


def unit_options(session: Session, unit_id: int) -> dict[str, list[dict]]:
    rows = session.exec(select(UnitOptionList).where(UnitOptionList.unit_id == unit_id)).all()
    return {r.list_key: list(r.options) for r in rows}


def memo(session: Session, key: tuple, compute):
    """Remember a catalogue lookup for the life of one session (one request)."""
    cache = session.info.setdefault("nara_catalogue_memo", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def forget(session: Session) -> None:
    """Drop the session's remembered lookups (the catalogue changed, or a transaction
    ended and another session may have changed it)."""
    session.info.pop("nara_catalogue_memo", None)


# Run on every tally save and thread: built once (building a select costs more than
# running it; SQLAlchemy finds the compiled form in its cache).
_RESPONSIBLE_UNITS = (
    select(ActivityUnit.unit_id, FieldSet.id, FieldSet.version, FieldSet.digest)
    .join(Membership, Membership.unit_id == ActivityUnit.unit_id)
    .outerjoin(FieldSet, FieldSet.id == ActivityUnit.field_set_id)
    .where(ActivityUnit.activity_id == bindparam("activity_id"),
           Membership.user_id == bindparam("user_id"))
    .order_by(ActivityUnit.unit_id)
)


def responsible_units_of(session: Session, user: User, activity: Activity) -> list[int]:
    """The user's units that are responsible for `activity`, in id order.

    One query answers both "may this user log it" and, for each of those units, which
    field-set version a new tally uses; the versions are remembered for
    `current_field_set`, so a save needs no further catalogue reads.
    """
    def query() -> list[int]:
        rows = session.exec(_RESPONSIBLE_UNITS,
                            params={"activity_id": activity.id, "user_id": user.id}).all()
        if activity.level in LOGGABLE:
            for unit_id, fs_id, version, digest in rows:
                if fs_id is not None:
                    ref = _ref(session, FieldSetRef(fs_id, activity.id, version, digest))
                    memo(session, ("field_set", activity.id, unit_id), lambda r=ref: r)
        return [row[0] for row in rows]

    return list(memo(session, ("units", user.id, activity.id), query))


def current_field_set(session: Session, activity: Activity,
                      unit_id: int | None) -> FieldSetRef | None:
    """The field-set version a new tally of `activity` made in `unit_id` is checked against."""
    if activity.level not in LOGGABLE:
        return None
    return memo(session, ("field_set", activity.id, unit_id),
                lambda: _stored_field_set(session, activity, unit_id)
                or _ref(session, _derive_field_set(session, activity, unit_id)))


def _stored_field_set(session: Session, activity: Activity,
                      unit_id: int | None) -> FieldSetRef | None:
    if unit_id is None:
        return None
    row = session.exec(
        select(FieldSet.id, FieldSet.activity_id, FieldSet.version, FieldSet.digest)
        .join(ActivityUnit, ActivityUnit.field_set_id == FieldSet.id)
        .where(ActivityUnit.activity_id == activity.id, ActivityUnit.unit_id == unit_id)
    ).first()
    return _ref(session, FieldSetRef(*row)) if row else None


def refresh_field_sets(session: Session, activity_id: int | None = None,
                       unit_id: int | None = None) -> int:
    """Derive and store each responsible unit's current version (all, or one activity's,
    or one unit's); returns how many links changed. Run after every catalogue change."""
    stmt = select(ActivityUnit)
    if activity_id is not None:
        stmt = stmt.where(ActivityUnit.activity_id == activity_id)
    if unit_id is not None:
        stmt = stmt.where(ActivityUnit.unit_id == unit_id)
    changed = 0
    for link in session.exec(stmt).all():
        activity = session.get(Activity, link.activity_id)
        fs = (_derive_field_set(session, activity, link.unit_id)
              if activity.level in LOGGABLE else None)
        wanted = fs.id if fs is not None else None
        if link.field_set_id != wanted:
            link.field_set_id = wanted
            session.add(link)
            changed += 1
    session.flush()
    forget(session)
    return changed


def _derive_field_set(session: Session, activity: Activity, unit_id: int | None):
    base = base_field_set(session, activity.id)
    if base is None or unit_id is None:
        return base
    spec = spec_of(session, base.id)
    editable = {f.options_list for f in spec.fields if f.editable}
    if not editable:
        return base
    overrides = {k: v for k, v in unit_options(session, unit_id).items() if k in editable}
    if not overrides:
        return base
    fields = [_override(f.as_dict(), overrides) for f in spec.fields]
    return _field_set_with(session, activity.id, fields, base=False)


def _override(data: dict, overrides: dict[str, list[dict]]) -> dict:
    if data.get("editable") and data.get("options_list") in overrides:
        data = dict(data, options=[dict(o) for o in overrides[data["options_list"]]])
        if data.get("default") and data["default"] not in {o["code"] for o in data["options"]}:
            data["default"] = None
    return data


def _field_set_with(session: Session, activity_id: int, fields: list[dict], base: bool) -> FieldSet:
    """The field set with exactly these fields: the existing version, or a new one."""
    digest = digest_of(fields)
    found = session.exec(
        select(FieldSet).where(FieldSet.activity_id == activity_id, FieldSet.digest == digest)
        .order_by(FieldSet.version.desc())
    ).first()
    if found is not None and (found.base or not base):
        return found
    version = (session.exec(
        select(func.max(FieldSet.version)).where(FieldSet.activity_id == activity_id)
    ).one() or 0) + 1
    fs = FieldSet(activity_id=activity_id, version=version, base=base, digest=digest)
    session.add(fs)
    session.flush()
    for position, f in enumerate(fields):
        session.add(FieldDef(
            field_set_id=fs.id, key=f["key"], position=position, kind=f["kind"],
            label=f["label"], label_en=f.get("label_en"), required=bool(f.get("required")),
            min_value=f.get("min"), max_value=f.get("max"),
            default=None if f.get("default") is None else str(f["default"]),
            options_list=f.get("options_list"), editable=bool(f.get("editable")),
        ))
    session.flush()
    for f in fields:
        for position, o in enumerate(f.get("options") or ()):
            session.add(FieldOption(
                field_set_id=fs.id, field_key=f["key"], code=o["code"], position=position,
                label=o["label"], label_en=o.get("label_en"),
            ))
    session.flush()
    return fs


# --- unit option lists -------------------------------------------------------------------


def set_unit_options(
    session: Session, unit_id: int, list_key: str, options: list[dict] | None,
    user: User | None = None,
) -> None:
    """Give a unit its own options for an editable list; None restores the catalogue's."""
    row = session.get(UnitOptionList, (unit_id, list_key))
    if options is None:
        if row is not None:
            session.delete(row)
            session.flush()
            refresh_field_sets(session, unit_id=unit_id)
        return
    cleaned = _clean_options(options, f"unit list {list_key}")
    if not cleaned:
        raise DomainError(_l("A list needs at least one option."), "options")
    editable_lists = _editable_lists(session)
    if list_key not in editable_lists:
        raise DomainError(_l("This list cannot be changed by a unit."), "list_key")
    row = row or UnitOptionList(unit_id=unit_id, list_key=list_key, options=[])
    row.options = cleaned
    row.updated_at = utcnow()
    row.updated_by_id = user.id if user else None
    session.add(row)
    session.flush()
    refresh_field_sets(session, unit_id=unit_id)  # the unit's versions, derived now


MAX_UNIT_OPTIONS = 30
_FOLD = str.maketrans("åäöéèüÅÄÖÉÈÜ", "aaoeeuaaoeeu")


def options_from_lines(text: str, current: list[dict]) -> list[dict]:
    """A unit's list typed one label per line → options; a kept label keeps its code, so
    statistics stay comparable across versions."""
    if CONTROL_CHARACTERS.search(text):
        raise DomainError(_l("An option contains an invisible control character. Type it "
                             "again without it."), "options")
    labels = [" ".join(line.split()) for line in text.splitlines()]
    labels = [label for label in labels if label]
    if not labels:
        raise DomainError(_l("A list needs at least one option."), "options")
    if len(labels) > MAX_UNIT_OPTIONS:
        raise DomainError(_l("At most %(max)d options.", max=MAX_UNIT_OPTIONS), "options")
    if any(len(label) > 60 for label in labels):
        raise DomainError(_l("Keep each option under 60 characters."), "options")
    if len({label.casefold() for label in labels}) != len(labels):
        raise DomainError(_l("Each option only once, please."), "options")
    by_label = {o["label"].casefold(): o for o in current}
    options, used = [], set()
    for label in labels:
        known = by_label.get(label.casefold())
        code = known["code"] if known else _code_for(label)
        base, n = code, 2
        while code in used:
            code, n = f"{base[:21]}_{n}", n + 1
        used.add(code)
        options.append({"code": code, "label": label,
                        "label_en": known.get("label_en") if known else None})
    return options


def _code_for(label: str) -> str:
    folded = label.lower().translate(_FOLD)
    code = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:24] or "val"
    return code if code[0].isalnum() else f"v{code}"[:24]


def editable_lists_of_unit(session: Session, unit_id: int) -> list[dict]:
    """The unit's editable lists: key, label, the options in use, own or the catalogue's,
    and the activities that use it."""
    lists: dict[str, dict] = {}
    own = unit_options(session, unit_id)
    stmt = (select(Activity).join(ActivityUnit, ActivityUnit.activity_id == Activity.id)
            .where(ActivityUnit.unit_id == unit_id).order_by(Activity.position))
    for activity in session.exec(stmt):
        base = base_field_set(session, activity.id) if activity.loggable else None
        for f in spec_of(session, base.id).fields if base else ():
            if not f.editable:
                continue
            entry = lists.setdefault(f.options_list, {
                "key": f.options_list, "label": f.label, "label_en": f.label_en,
                "default": [o.__dict__ for o in f.options], "own": own.get(f.options_list),
                "activities": []})
            entry["activities"].append(activity.name)
    for entry in lists.values():
        entry["options"] = entry["own"] or entry["default"]
    return list(lists.values())


def _editable_lists(session: Session) -> set[str]:
    rows = session.exec(
        select(FieldDef.options_list).where(FieldDef.editable == True).distinct()  # noqa: E712
    ).all()
    return {r for r in rows if r}


# --- import / export ---------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.new_versions or self.units_created)


def load_file(path: str | Path) -> dict:
    """Read a catalogue file: YAML (.yaml/.yml) or JSON."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DomainError(_l("Not a Nära catalogue file (format %(format)s expected)."),
                          "file", format=FORMAT)
    return data


def import_catalogue(
    session: Session, data: dict, unit_map: dict[str, str] | None = None,
    create_units: bool = False,
) -> ImportReport:
    """Create or update every activity in `data`; a changed field list gets a new version."""
    report = ImportReport()
    lists = data.get("option_lists") or {}
    templates = data.get("fields") or {}
    activities = data.get("activities") or []
    keys = [a.get("key") for a in activities]
    if len(keys) != len(set(keys)):
        raise DomainError(_l("Every activity needs its own key."), "key")
    unit_ids = _resolve_units(session, activities, unit_map or {}, create_units, report)
    for position, entry in enumerate(activities):
        _import_activity(session, entry, position, templates, lists, unit_ids, report)
    refresh_field_sets(session)  # new versions, new or dropped units, changed levels
    for unit_name, by_list in (data.get("unit_option_lists") or {}).items():
        name = (unit_map or {}).get(unit_name, unit_name)
        unit = session.exec(select(Unit).where(Unit.name == name)).first()
        if unit is None:
            raise DomainError(_l("No unit named %(name)s."), "units", name=name)
        for list_key, options in by_list.items():
            if unit_options(session, unit.id).get(list_key) != _clean_options(options, list_key):
                set_unit_options(session, unit.id, list_key, options)
                report.updated.append(f"{name}: {list_key}")
    session.flush()
    return report


def _resolve_units(session, activities, unit_map, create_units, report) -> dict[str, int]:
    names = {unit_map.get(n, n) for a in activities for n in a.get("units") or []}
    ids: dict[str, int] = {}
    found = {u.name: u for u in session.exec(select(Unit).where(col(Unit.name).in_(names)))}
    missing = sorted(names - set(found))
    if missing and not create_units:
        raise DomainError(_l("No unit named %(name)s."), "units", name=", ".join(missing))
    for name in sorted(names):
        unit = found.get(name)
        if unit is None:
            unit = Unit(name=name)
            session.add(unit)
            session.flush()
            report.units_created.append(name)
        ids[name] = unit.id
    return {source: ids[unit_map.get(source, source)]
            for a in activities for source in a.get("units") or []}


def _import_activity(session, entry, position, templates, lists, unit_ids, report) -> None:
    key = str(entry.get("key") or "")
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", key):
        raise DomainError(_l("Activity key %(key)s is not a lowercase slug."), "key", key=key)
    level = entry.get("level")
    if level not in Level.__members__:
        raise DomainError(_l("%(key)s: unknown documentation level."), "level", key=key)
    if not entry.get("name"):
        raise DomainError(_l("%(key)s: a name is required."), "name", key=key)
    values = {
        "name": str(entry["name"]).strip(), "target_group": str(entry.get("target_group") or ""),
        "age_min": entry.get("age_min"), "age_max": entry.get("age_max"), "level": level,
        "note": " ".join(str(entry.get("note") or "").split()),
        "talk_cap": entry.get("talk_cap"), "position": position,
        "active": bool(entry.get("active", True)),
    }
    activity = session.exec(select(Activity).where(Activity.key == key)).first()
    if activity is None:
        activity = Activity(key=key, **values)
        session.add(activity)
        session.flush()
        report.created.append(key)
    elif any(getattr(activity, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(activity, k, v)
        activity.updated_at = utcnow()
        session.add(activity)
        report.updated.append(key)
    wanted = {unit_ids[n] for n in entry.get("units") or []}
    if not wanted:
        raise DomainError(_l("%(key)s: at least one responsible unit is required."), "units",
                          key=key)
    have = activity_unit_ids(session, activity.id)
    for unit_id in wanted - have:
        session.add(ActivityUnit(activity_id=activity.id, unit_id=unit_id))
    for unit_id in have - wanted:
        session.delete(session.get(ActivityUnit, (activity.id, unit_id)))
    if wanted != have and key not in report.created + report.updated:
        report.updated.append(key)
    session.flush()
    fields = [_resolve_field(e, templates, lists, activity) for e in entry.get("fields") or []]
    if level not in LOGGABLE:
        if fields:
            raise DomainError(_l("%(key)s: this level keeps no tallies, so it takes no fields."),
                              "fields", key=key)
        return
    if not fields:
        raise DomainError(_l("%(key)s: an activity with tallies needs fields."), "fields", key=key)
    field_keys = [f["key"] for f in fields]
    if len(field_keys) != len(set(field_keys)):
        raise DomainError(_l("%(key)s: two fields share a key."), "fields", key=key)
    current = base_field_set(session, activity.id)
    if current is None or current.digest != digest_of(fields):
        fs = _field_set_with(session, activity.id, fields, base=True)
        report.new_versions.append(f"{key} v{fs.version}")


def _resolve_field(entry: Any, templates: dict, lists: dict, activity: Activity) -> dict:
    """A field entry (template name, {use: name, ...overrides} or a full dict) → canonical."""
    if isinstance(entry, str):
        entry = {"use": entry}
    if not isinstance(entry, dict):
        raise DomainError(_l("%(key)s: a field must be a name or a mapping."), "fields",
                          key=activity.key)
    base = {}
    if "use" in entry:
        if entry["use"] not in templates:
            raise DomainError(_l("%(key)s: unknown field %(field)s."), "fields",
                              key=activity.key, field=entry["use"])
        base = dict(templates[entry["use"]], key=entry["use"])
    data = {**base, **{k: v for k, v in entry.items() if k != "use"}}
    key, kind = str(data.get("key") or ""), data.get("kind")
    where = f"{activity.key}.{key}"
    if not KEY_RE.match(key) or key in RESERVED_KEYS:
        raise DomainError(_l("%(where)s: field keys are short lowercase names."), "fields",
                          where=where)
    if kind not in Kind.__members__:
        raise DomainError(_l("%(where)s: unknown field kind."), "fields", where=where)
    if CONTROL_CHARACTERS.search(str(data.get("label") or "") + str(data.get("label_en") or "")):
        raise DomainError(_l("%(where)s: a field label contains a control character."),
                          "fields", where=where)
    options, options_list, editable = _resolve_options(data, kind, lists, activity, where)
    low, high = data.get("min"), data.get("max")
    if kind == Kind.age:
        if isinstance(data.get("options"), list):  # written out in full (an export)
            pass
        elif data.get("scale") == "bands":
            low = high = None
        else:
            low, high = _first(low, activity.age_min), _first(high, activity.age_max)
    elif kind in (Kind.count, Kind.split):
        low, high = int(low or 0), int(high if high is not None else COUNT_CEILING)
        if not 0 <= low <= high <= COUNT_CEILING:
            raise DomainError(_l("%(where)s: min and max must satisfy 0 ≤ min ≤ max ≤ 1000."),
                              "fields", where=where)
    else:
        low = high = None
    default = data.get("default")
    if default is not None:
        default = str(default)
        valid = (parse_int(default, low, high) is not None if kind == Kind.count
                 else kind in (Kind.choice, Kind.age) and default in {o["code"] for o in options})
        if not valid:
            raise DomainError(_l("%(where)s: the default is not an allowed value."), "fields",
                              where=where)
    return {
        "key": key, "kind": str(kind), "label": str(data.get("label") or key),
        "label_en": data.get("label_en"), "required": bool(data.get("required")),
        "min": low, "max": high, "default": default, "options_list": options_list,
        "editable": editable, "options": options,
    }


def _first(*values):
    return next((v for v in values if v is not None), None)


def _resolve_options(data, kind, lists, activity, where) -> tuple[list[dict], str | None, bool]:
    if kind == Kind.count:
        return [], None, False
    raw, options_list, editable = data.get("options"), data.get("options_list"), False
    if isinstance(raw, str):
        if raw not in lists:
            raise DomainError(_l("%(where)s: unknown option list."), "fields", where=where)
        options_list, editable = raw, bool(lists[raw].get("editable"))
        raw = lists[raw].get("options")
    elif options_list:
        editable = bool(data.get("editable"))
    if kind == Kind.age and raw is None:
        raw = _age_options(data, activity, where)
    options = _clean_options(raw or [], where)
    if not options:
        raise DomainError(_l("%(where)s: a choice field needs options."), "fields", where=where)
    return options, options_list, editable


def _age_options(data, activity, where) -> list[dict]:
    extra = list(data.get("extra") or [])
    if data.get("scale") == "bands":
        return [{"code": c, "label": sv, "label_en": en} for c, sv, en in ADULT_BANDS] + extra
    low, high = _first(data.get("min"), activity.age_min), _first(data.get("max"), activity.age_max)
    if low is None or high is None or not 0 <= low <= high <= 120:
        raise DomainError(_l("%(where)s: ages by year need the target group's age range."),
                          "fields", where=where)
    years = [{"code": str(a), "label": str(a), "label_en": str(a)} for a in range(low, high + 1)]
    return years + extra


def _clean_options(raw: list, where: str) -> list[dict]:
    options, seen = [], set()
    for o in raw:
        code = str(o.get("code", "")) if isinstance(o, dict) else ""
        label = str(o.get("label") or "").strip() if isinstance(o, dict) else ""
        if not CODE_RE.match(code) or code in seen or not label or len(label) > 120:
            raise DomainError(_l("%(where)s: every option needs a unique short code and a label."),
                              "options", where=where)
        if CONTROL_CHARACTERS.search(label + str(o.get("label_en") or "")):
            raise DomainError(_l("%(where)s: an option label contains a control character."),
                              "options", where=where)
        seen.add(code)
        options.append({"code": code, "label": label, "label_en": o.get("label_en") or None})
    return options


def export_catalogue(session: Session) -> dict:
    """The whole catalogue in the file format, every field written out in full."""
    activities = []
    for activity in session.exec(select(Activity).order_by(Activity.position, Activity.id)):
        fs = base_field_set(session, activity.id)
        fields = [f.as_dict() for f in spec_of(session, fs.id).fields] if fs else []
        entry = {
            "key": activity.key, "name": activity.name, "target_group": activity.target_group,
            "age_min": activity.age_min, "age_max": activity.age_max,
            "units": [u.name for u in units_of_activity(session, activity.id)],
            "level": activity.level, "talk_cap": activity.talk_cap, "active": activity.active,
            "note": activity.note, "fields": fields,
        }
        activities.append({k: v for k, v in entry.items() if v is not None})
    unit_lists: dict[str, dict] = {}
    for row in session.exec(select(UnitOptionList).order_by(UnitOptionList.unit_id)):
        unit = session.get(Unit, row.unit_id)
        unit_lists.setdefault(unit.name, {})[row.list_key] = list(row.options)
    data = {"format": FORMAT, "activities": activities}
    if unit_lists:
        data["unit_option_lists"] = unit_lists
    return data


def dump(data: dict, path: str | Path) -> None:
    """Write a catalogue dict as YAML or JSON (by the file's extension)."""
    if str(path).endswith(".json"):
        text = json.dumps(data, ensure_ascii=False, indent=1)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    Path(path).write_text(text, encoding="utf-8")
