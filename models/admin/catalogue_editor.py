"""The activity catalogue edited in the browser, and the catalogue file uploaded.

One code path with `flask catalogue import`: a form's activity is written into the
exported catalogue and the whole is imported with `import_catalogue`, so a changed field
list gets a new field-set version exactly as a file would (old tallies keep theirs).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

import models.admin.log as log
from models.access import Unit, User
from models.admin.people import all_units
from models.catalogue import (
    COUNT_CEILING,
    LOGGABLE,
    Activity,
    FieldSet,
    ImportReport,
    Kind,
    Level,
    dumps,
    export_catalogue,
    import_catalogue,
    options_from_lines,
    parse_text,
    units_of_activity,
)
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_int
from models.tally.record import Tally

MAX_FIELDS = 20
MAX_UPLOAD = 512 * 1024  # a catalogue file is a few kB; this is plenty


@dataclass
class Version:
    version: int
    base: bool
    tallies: int


def activities(session: Session) -> list[tuple[Activity, list[str]]]:
    """Every activity in the catalogue's order, with its responsible units' names (several
    activities share a name, e.g. Gruppverksamhet: the units tell them apart)."""
    rows = session.exec(select(Activity).order_by(Activity.position, Activity.id)).all()
    return [(a, [u.name for u in units_of_activity(session, a.id)]) for a in rows]


def entry_of(session: Session, activity: Activity | None) -> dict:
    """The activity as the catalogue file writes it (a new one: an empty entry)."""
    if activity is None:
        return {"key": "", "name": "", "target_group": "", "level": Level.aggregate,
                "units": [], "fields": [], "active": True}
    for entry in export_catalogue(session)["activities"]:
        if entry["key"] == activity.key:
            return entry
    return {}


def versions(session: Session, activity: Activity) -> list[Version]:
    """Every field-set version of the activity, newest first, with its tally count."""
    counts = dict(session.exec(
        select(Tally.field_set_id, func.count()).join(FieldSet, FieldSet.id == Tally.field_set_id)
        .where(FieldSet.activity_id == activity.id).group_by(Tally.field_set_id)).all())
    rows = session.exec(select(FieldSet).where(FieldSet.activity_id == activity.id)
                        .order_by(FieldSet.version.desc())).all()
    return [Version(fs.version, fs.base, counts.get(fs.id, 0)) for fs in rows]


def options_text(field: dict) -> str:
    return "\n".join(o["label"] for o in field.get("options") or [])


def _int(form, name: str, low: int, high: int, errors: dict, message) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw, low, high)
    if value is None:
        errors[name] = message
    return value


def entry_from_form(session: Session, form, current: dict) -> dict:
    """The form → a catalogue entry; every mistake at its own input (ValidationErrors)."""
    errors: dict = {}
    units = {str(u.id): u.name for u in all_units(session)}
    entry = {
        "key": current.get("key") or (form.get("key") or "").strip().lower(),
        "name": " ".join((form.get("name") or "").split())[:120],
        "target_group": " ".join((form.get("target_group") or "").split())[:200],
        "level": form.get("level") or "",
        "units": [units[i] for i in form.getlist("units") if i in units],
        "active": form.get("active") == "1",
        "note": current.get("note") or "",
    }
    if not current.get("key") and not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", entry["key"]):
        errors["key"] = _l("A short name in lowercase letters, digits and hyphens (e.g. "
                           "rad-och-stod).")
    if not entry["name"]:
        errors["name"] = _l("The activity needs a name.")
    if entry["level"] not in Level.__members__:
        errors["level"] = _l("Choose a documentation level.")
    if not entry["units"]:
        errors["units"] = _l("Choose at least one responsible unit.")
    ages = _l("A whole number of years from 0 to 120.")
    entry["age_min"] = _int(form, "age_min", 0, 120, errors, ages)
    entry["age_max"] = _int(form, "age_max", 0, 120, errors, ages)
    if (entry["age_min"] is not None and entry["age_max"] is not None
            and entry["age_min"] > entry["age_max"]):
        errors["age_max"] = _l("The highest age must not be lower than the lowest.")
    entry["talk_cap"] = _int(form, "talk_cap", 1, 100, errors,
                             _l("A whole number of talks from 1 to 100, or empty for no cap."))
    entry["fields"] = _fields_from_form(form, current, errors)
    if entry["level"] in Level.__members__ and entry["level"] not in LOGGABLE:
        entry["fields"] = []  # exempt / case system: nothing is tallied here
    elif entry["level"] in LOGGABLE and not entry["fields"] and "fields" not in errors:
        errors["fields"] = _l("An activity with tallies needs at least one field.")
    if errors:
        raise ValidationErrors(errors)
    return {k: v for k, v in entry.items() if v is not None}


def _fields_from_form(form, current: dict, errors: dict) -> list[dict]:
    known = {f["key"]: f for f in current.get("fields") or []}
    count = parse_int(form.get("field_count") or "0", 0, MAX_FIELDS) or 0
    fields, seen = [], set()
    for i in range(count + 1):  # the last row is the empty "new field"
        p = f"f{i}_"
        key = (form.get(p + "key") or "").strip().lower()
        label = " ".join((form.get(p + "label") or "").split())[:120]
        if i == count and not key and not label:
            continue
        if form.get(p + "remove") == "1":
            continue
        old = known.get(form.get(p + "was") or key, {})
        kind = form.get(p + "kind") or ""
        if not re.match(r"^[a-z][a-z0-9_]{0,31}$", key):
            errors[p + "key"] = _l("A short name in lowercase letters, digits and _ "
                                   "(e.g. gender).")
        elif key in seen:
            errors[p + "key"] = _l("Two fields cannot share a name.")
        seen.add(key)
        if kind not in Kind.__members__:
            errors[p + "kind"] = _l("Choose what kind of field this is.")
        field = {**old, "key": key, "kind": kind, "label": label or key,
                 "required": form.get(p + "required") == "1"}
        if kind in (Kind.count, Kind.split, Kind.age):
            bounds = _l("A whole number from 0 to %(max)d.", max=COUNT_CEILING)
            low = _int(form, p + "min", 0, COUNT_CEILING, errors, bounds)
            high = _int(form, p + "max", 0, COUNT_CEILING, errors, bounds)
            if low is not None and high is not None and low > high:
                errors[p + "max"] = _l("The highest value must not be lower than the lowest.")
            field["min"], field["max"] = low, high
        else:
            field["min"] = field["max"] = None
        if kind == Kind.count:
            field["options"] = []
        elif kind in Kind.__members__:
            try:
                field["options"] = options_from_lines(form.get(p + "options") or "",
                                                      old.get("options") or [])
            except DomainError as error:
                errors[p + "options"] = error.message
        if kind == Kind.age and field.get("min") is None and field.get("max") is None:
            field.pop("min"), field.pop("max")
        fields.append(field)
    return fields


def save_activity(session: Session, admin: User, activity: Activity | None, form) -> ImportReport:
    """Save the form's activity through the catalogue import (new version if needed)."""
    current = entry_of(session, activity)
    entry = entry_from_form(session, form, current)
    data = export_catalogue(session)
    if activity is None:
        if any(e["key"] == entry["key"] for e in data["activities"]):
            raise ValidationErrors({"key": _l("That short name is taken.")})
        data["activities"].append(entry)
    else:
        data["activities"] = [entry if e["key"] == activity.key else e
                              for e in data["activities"]]
    try:
        report = import_catalogue(session, data)
    except DomainError as error:
        raise ValidationErrors({_input_of(error, entry): error.message}) from error
    if report.changed:
        after = _summary(entry)
        if report.new_versions:
            after["versions"] = report.new_versions
        log.write(session, admin, "catalogue.activity", entry["key"], _summary(current), after)
    return report


def _summary(entry: dict) -> dict:
    return {
        "name": entry.get("name"), "level": entry.get("level"),
        "units": entry.get("units") or [], "talk_cap": entry.get("talk_cap"),
        "ages": f"{entry.get('age_min', '')}–{entry.get('age_max', '')}",
        "fields": [f"{f['key']} ({f['kind']}{', required' if f.get('required') else ''})"
                   for f in entry.get("fields") or []],
    }


def _input_of(error: DomainError, entry: dict) -> str:
    """Which input of the form an import error belongs to."""
    where = str(error.params.get("where") or "")
    if "." in where:
        key = where.split(".", 1)[1]
        for i, f in enumerate(entry.get("fields") or []):
            if f["key"] == key:
                return f"f{i}_options" if error.field == "options" else f"f{i}_key"
    return error.field if error.field in ("key", "name", "level", "units") else "fields"


# --- the catalogue file -----------------------------------------------------------------


@dataclass
class FileError:
    message: str
    line: int | None = None
    text: str = ""


def import_upload(session: Session, admin: User, raw: bytes, filename: str) -> ImportReport:
    """An uploaded catalogue file, imported as `flask catalogue import` does. A mistake
    raises FileProblem with the line it is on (where it can be found)."""
    if len(raw) > MAX_UPLOAD:
        raise FileProblem(FileError(str(_l("The file is too large for a catalogue."))))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(FileError(str(_l("The file is not UTF-8 text.")))) from error
    if not text.strip():
        raise FileProblem(FileError(str(_l("Choose a catalogue file (YAML or JSON)."))))
    try:
        data = parse_text(text, filename.lower().endswith(".json"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise FileProblem(FileError(str(_l("Not readable as YAML: %(problem)s",
                                           problem=problem)), line, _line(text, line))) from error
    except json.JSONDecodeError as error:
        raise FileProblem(FileError(str(_l("Not readable as JSON: %(problem)s",
                                           problem=error.msg)),
                                    error.lineno, _line(text, error.lineno))) from error
    except DomainError as error:
        raise FileProblem(FileError(str(error), _find_line(text, "format"),
                                    _line(text, _find_line(text, "format")))) from error
    if not isinstance(data.get("activities") or [], list) or not all(
            isinstance(a, dict) for a in data.get("activities") or []):
        raise FileProblem(FileError(str(_l("“activities” must be a list of activities.")),
                                    _find_line(text, "activities")))
    try:
        report = import_catalogue(session, data)
    except (DomainError, TypeError, ValueError, AttributeError) as error:
        message = (str(error) if isinstance(error, DomainError)
                   else str(_l("A value in the file has the wrong type.")))
        params = getattr(error, "params", {})
        line = _line_of(text, params)
        raise FileProblem(FileError(message, line, _line(text, line))) from error
    log.write(session, admin, "catalogue.import", filename[:120], None, {
        "created": report.created, "updated": report.updated,
        "versions": report.new_versions})
    return report


class FileProblem(Exception):
    def __init__(self, error: FileError):
        super().__init__(error.message)
        self.error = error


def _line(text: str, line: int | None) -> str:
    if not line:
        return ""
    lines = text.splitlines()
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""


def _find_line(text: str, key: str, value: str | None = None, start: int = 0) -> int | None:
    pattern = re.compile(rf"^\s*-?\s*{re.escape(key)}\s*:" +
                         (rf"\s*[\"']?{re.escape(value)}[\"']?\s*$" if value else ""))
    for number, line in enumerate(text.splitlines()[start:], start + 1):
        if pattern.match(line):
            return number
    return None


def _line_of(text: str, params: dict) -> int | None:
    """The line an import error is about: its activity's key, then its field's key."""
    where = str(params.get("where") or params.get("key") or "")
    activity, _, field = where.partition(".")
    line = _find_line(text, "key", activity) if activity else None
    if line and field:
        line = _find_line(text, "key", field, line) or line
    return line


def export_text(session: Session) -> str:
    return dumps(export_catalogue(session))


def units(session: Session) -> list[Unit]:
    return all_units(session)
