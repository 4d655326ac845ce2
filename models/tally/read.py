"""Reading tallies: their values, summaries, the activity thread and its inbox row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, case, func
from sqlmodel import Session, col, select

from models.access import Role, User, unit_ids
from models.access.inbox import Thread, thread_provider
from models.access.people import Unit
from models.access.policy import authorize
from models.catalogue import (
    Activity,
    ActivityUnit,
    FieldSetSpec,
    Kind,
    spec_of,
)
from models.catalogue.specs import units_of_activity
from models.core.db import utcnow
from models.tally.record import UNDO_SECONDS, Tally, values_of

# --- reading -----------------------------------------------------------------------------




def summary(spec: FieldSetSpec, values: dict, locale: str = "sv") -> list[str]:
    """Short human lines for a bubble: 'Kvinna', '25–29 år', 'Antal samtal: 2', and the
    unit-editable lists with their name: 'Problematik: Skola', 'Väg in: Skola'."""
    lines = []
    for f in spec.fields:
        value = values.get(f.key)
        if value in (None, [], {}):
            continue
        if f.kind in (Kind.choice, Kind.age):
            option = f.option(value)
            text = option.text(locale) if option else value
            if f.kind == Kind.age and (value[:1].isdigit() or value == "u18"):
                text = str(_l("%(age)s years", age=text))
            if f.editable:  # "Skola" alone could be a problem area or a route in
                text = f"{f.text(locale)}: {text}"
            lines.append(text)
        elif f.kind == Kind.multi:
            labels = [(f.option(c).text(locale) if f.option(c) else c) for c in value]
            lines.append(f"{f.text(locale)}: {', '.join(labels)}")
        elif f.kind == Kind.count:
            lines.append(f"{f.text(locale)}: {value}")
        elif f.kind == Kind.split:
            parts = [f"{(f.option(c).text(locale) if f.option(c) else c)} {n}"
                     for c, n in value.items()]
            lines.append(f"{f.text(locale)}: {', '.join(parts)}")
    return lines


@dataclass
class TallyView:
    """What a bubble shows: the tally, its field set and its values."""

    tally: Tally
    spec: FieldSetSpec
    values: dict
    _lines: dict = field(default_factory=dict, repr=False, compare=False)

    def lines(self, locale: str = "sv") -> list[str]:
        """The bubble's lines (worked out once per language: a saved bubble and its
        'same again' button show the same ones)."""
        if locale not in self._lines:
            self._lines[locale] = summary(self.spec, self.values, locale)
        return self._lines[locale]

    @property
    def undo_until(self) -> datetime:
        return self.tally.created_at + timedelta(seconds=UNDO_SECONDS)

    @property
    def undo_seconds_left(self) -> int:
        return max(0, min(UNDO_SECONDS, round((self.undo_until - utcnow()).total_seconds())))

    def form_pairs(self) -> list[tuple[str, str]]:
        """The values as form fields (the inverse of parse_form), for 'same again'."""
        return form_pairs(self.spec, self.values)

    @staticmethod
    def fresh_uuid() -> str:
        return str(uuid.uuid4())


def form_pairs(spec: FieldSetSpec, values: dict) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for f in spec.fields:
        value = values.get(f.key)
        if value is None:
            continue
        if f.kind == Kind.split:
            pairs.extend((f"{f.key}.{code}", str(n)) for code, n in value.items())
        elif f.kind == Kind.multi:
            pairs.extend((f.key, str(code)) for code in value)
        else:
            pairs.append((f.key, str(value)))
    return pairs


def views_of(session: Session, tallies: list[Tally]) -> list[TallyView]:
    values = values_of(session, tallies)
    return [TallyView(t, spec_of(session, t.field_set_id), values.get(t.id, {}))
            for t in tallies]


def recent_tallies(session: Session, user: User, activity: Activity,
                   limit: int = 30) -> list[TallyView]:
    """The user's own latest tallies for the activity, oldest first (chat order)."""
    tallies = session.exec(
        select(Tally).where(Tally.user_id == user.id, Tally.activity_id == activity.id)
        .order_by(Tally.created_at.desc(), Tally.id.desc()).limit(limit)
    ).all()
    return views_of(session, list(reversed(tallies)))


def last_values(session: Session, user: User, activity: Activity) -> TallyView | None:
    """The user's last live combination for the activity ('same again'), if any."""
    tally = session.exec(
        select(Tally).where(Tally.user_id == user.id, Tally.activity_id == activity.id,
                            Tally.voided_at == None)  # noqa: E711
        .order_by(Tally.created_at.desc(), Tally.id.desc()).limit(1)
    ).first()
    return views_of(session, [tally])[0] if tally else None


# Asked on every save: built once (building a select costs more than running it).
_SAVED_SINCE = (
    select(func.count()).select_from(Tally)
    .where(Tally.user_id == bindparam("user_id"), Tally.activity_id == bindparam("activity_id"),
           Tally.voided_at == None, Tally.created_at >= bindparam("since"))  # noqa: E711
)


def saved_since(session: Session, user: User, activity_id: int, since: datetime) -> int:
    """How many of the person's tallies for the activity were saved since `since` and still
    count (the thread's "Sparad · 4 i dag"); counted from ix_tally_user_activity_created,
    or already by the save just made (record_tally's `count_since`: asked once)."""
    known = session.info.get("nara_saved_since")
    if known:
        counted = known.pop((user.id, activity_id, since), None)
        if counted is not None:
            return counted
    return session.connection().execute(
        _SAVED_SINCE, {"user_id": user.id, "activity_id": activity_id, "since": since}
    ).scalar_one()


def replacement_of(session: Session, tally: Tally) -> Tally | None:
    return session.exec(select(Tally).where(Tally.corrects_id == tally.id)).first()


# --- inbox ------------------------------------------------------------------------------


@thread_provider
def activity_threads(session: Session, user: User) -> list[Thread]:
    """Staff see their units' activities as threads (managers read statistics instead)."""
    if user.role != Role.staff or not unit_ids(session, user):
        return []
    from models.catalogue import Level, activities_of_user

    activities = activities_of_user(session, user)
    since = utcnow() - timedelta(hours=24)
    stats = {
        row[0]: (row[1], row[2]) for row in session.exec(
            select(Tally.activity_id, func.max(Tally.created_at),
                   func.sum(case((Tally.created_at >= since, 1), else_=0)))
            .where(Tally.user_id == user.id, Tally.voided_at == None)  # noqa: E711
            .group_by(Tally.activity_id)
        )
    }
    names: dict[int, list[str]] = {}
    for activity_id, name in session.exec(
            select(ActivityUnit.activity_id, Unit.name)
            .join(Unit, col(Unit.id) == ActivityUnit.unit_id)
            .where(col(ActivityUnit.unit_id).in_(unit_ids(session, user)))
            .order_by(Unit.name)):
        names.setdefault(activity_id, []).append(name)
    threads = []
    for activity in activities:
        last, today = stats.get(activity.id, (None, 0))
        badge, kind, line = "", "activity", activity.target_group
        folded = activity.level in (Level.exempt, Level.case_system)
        if activity.level == Level.exempt:
            badge, kind = str(_l("Exempt")), "exempt"
        elif activity.level == Level.case_system:
            badge, kind = str(_l("Case system")), "exempt"
        elif today:
            line = ngettext("%(num)d logged in the last 24 hours",
                            "%(num)d logged in the last 24 hours", int(today))
        threads.append(Thread(
            key=thread_key(activity.id), title=activity.name, endpoint="tally.activity",
            values={"activity_id": activity.id}, last_line=line, time=last, kind=kind,
            badge=badge, section="units", folded=folded,
            units=tuple(names.get(activity.id, ())),
        ))
    return threads


def thread_key(activity_id: int) -> str:
    """The inbox key of an activity's thread (read markers, unread counts)."""
    return f"activity:{activity_id}"


def unit_choices(session: Session, unit_ids: list[int]) -> list[Unit]:
    """The units to choose between in the composer (only when there is a choice)."""
    if len(unit_ids) < 2:
        return []
    return list(session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)).order_by(Unit.id)))


def editable_units(session: Session, user: User, activity: Activity) -> list[Unit]:
    """The activity's units whose option lists this person may change (the policy
    decides; only managers can, so nobody else costs a query)."""
    if user.role != Role.manager:
        return []
    return [u for u in units_of_activity(session, activity.id)
            if authorize(session, user, "unit.manage", u)]
