"""A unit's own option lists (problem areas, routes in, further actions)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from models.access import User
from models.catalogue.specs import base_field_set, refresh_field_sets, spec_of, unit_options
from models.catalogue.tables import (
    CODE_RE,
    CONTROL_CHARACTERS,
    Activity,
    ActivityUnit,
    FieldDef,
    UnitOptionList,
)
from models.core.db import utcnow
from models.core.errors import DomainError

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
    cleaned = clean_options(options, f"unit list {list_key}")
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


def clean_options(raw: list, where: str) -> list[dict]:
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
