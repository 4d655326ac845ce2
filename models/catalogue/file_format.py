"""The catalogue file (YAML/JSON): import and export, `nara-catalogue/1`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from models.access import Unit
from models.catalogue.specs import (
    _field_set_with,
    activity_unit_ids,
    base_field_set,
    digest_of,
    refresh_field_sets,
    spec_of,
    unit_options,
    units_of_activity,
)
from models.catalogue.tables import (
    ADULT_BANDS,
    CONTROL_CHARACTERS,
    COUNT_CEILING,
    FORMAT,
    KEY_RE,
    LOGGABLE,
    RESERVED_KEYS,
    Activity,
    ActivityUnit,
    Kind,
    Level,
    UnitOptionList,
)
from models.catalogue.unit_lists import clean_options, set_unit_options
from models.core.db import utcnow
from models.core.errors import DomainError
from models.core.parse import parse_int

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
    return parse_text(Path(path).read_text(encoding="utf-8"), str(path).endswith(".json"))


def parse_text(text: str, is_json: bool = False) -> dict:
    """A catalogue file's text → its dict (YAML, or JSON); raises yaml.YAMLError or
    json.JSONDecodeError on a syntax error, DomainError on another format."""
    data = json.loads(text) if is_json else yaml.safe_load(text)
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
            if unit_options(session, unit.id).get(list_key) != clean_options(options, list_key):
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
    options = clean_options(raw or [], where)
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
    Path(path).write_text(dumps(data, str(path).endswith(".json")), encoding="utf-8")


def dumps(data: dict, as_json: bool = False) -> str:
    """A catalogue dict as the file's text (YAML, or JSON)."""
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=1)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
