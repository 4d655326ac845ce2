"""Field sets as immutable specs, their versions per unit, and reading the catalogue."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    bindparam,
    event,
    func,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from models.access import Membership, Unit, User
from models.catalogue.tables import (
    LOGGABLE,
    Activity,
    ActivityUnit,
    FieldDef,
    FieldOption,
    FieldSet,
    Kind,
    UnitOptionList,
)
from models.core.db import loaded_row
from models.core.errors import DomainError

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


def _remember_units(session: Session, user: User, activity: Activity, rows) -> list[int]:
    """Remember (unit, field-set version) rows for the request: the units answer "may
    this user log it", the versions `current_field_set`."""
    units = [row[0] for row in rows if row[0] is not None]
    if activity.level in LOGGABLE:
        for unit_id, fs_id, version, digest in rows:
            if unit_id is not None and fs_id is not None:
                ref = _ref(session, FieldSetRef(fs_id, activity.id, version, digest))
                memo(session, ("field_set", activity.id, unit_id), lambda r=ref: r)
    return memo(session, ("units", user.id, activity.id), lambda: units)


def responsible_units_of(session: Session, user: User, activity: Activity) -> list[int]:
    """The user's units that are responsible for `activity`, in id order.

    One query answers both "may this user log it" and, for each of those units, which
    field-set version a new tally uses; the versions are remembered for
    `current_field_set`, so a save needs no further catalogue reads.
    """
    key = ("units", user.id, activity.id)
    known = session.info.get("nara_catalogue_memo", {}).get(key)
    if known is None:
        rows = session.exec(_RESPONSIBLE_UNITS,
                            params={"activity_id": activity.id, "user_id": user.id}).all()
        known = _remember_units(session, user, activity, rows)
    return list(known)


# The activity's columns and the user's responsible units (with their field-set versions)
# in one statement, read as plain values (Core, not the ORM's loading): a tally save and an
# activity thread start with both.
_ACTIVITY_COLUMNS = tuple(Activity.__table__.columns)
_ACTIVITY_WITH_UNITS = (
    sa_select(*_ACTIVITY_COLUMNS, ActivityUnit.unit_id, FieldSet.id, FieldSet.version,
              FieldSet.digest)
    .select_from(Activity)
    .outerjoin(ActivityUnit, (ActivityUnit.activity_id == Activity.id) & ActivityUnit.unit_id.in_(
        select(Membership.unit_id).where(Membership.user_id == bindparam("user_id"))))
    .outerjoin(FieldSet, FieldSet.id == ActivityUnit.field_set_id)
    .where(Activity.id == bindparam("activity_id"))
    .order_by(ActivityUnit.unit_id)
)
_SPLIT = len(_ACTIVITY_COLUMNS)


def preload_activity(session: Session, user: User | None, activity_id: int) -> None:
    """Read an activity and the user's responsible units for it in one statement, so the
    request's `get_by_id(Activity, …)`, its access rule and `current_field_set` that
    follow find them in the session instead of asking the database twice more.
    Authorisation is unchanged: the rule still decides, from the same rows."""
    if user is None or activity_id is None:
        return
    rows = session.connection().execute(
        _ACTIVITY_WITH_UNITS, {"activity_id": activity_id, "user_id": user.id}).all()
    if not rows:
        return
    activity = loaded_row(session, Activity, rows[0][:_SPLIT])
    _remember_units(session, user, activity, [tuple(row[_SPLIT:]) for row in rows])


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
