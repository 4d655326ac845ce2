"""What every journal view shares: open a client through the access rules with its
access-log row, form errors, the composer's context, and fast local times for bubbles.

Every read or write of a client's data appends an access-log row *before* anything is
rendered; if that row cannot be written the request fails (500) and shows no client data.
Denied attempts by signed-in users are logged too, then answered 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, g, url_for
from flask_babel import get_locale, get_timezone

from models.access.policy import LevelTooLow
from models.core.errors import AccessDenied, DomainError, ValidationErrors
from models.core.parse import parse_id
from models.journal import people
from models.journal import tables as j
from models.journal.entries import EntryView
from models.journal.people import needs_consent, open_assignments
from models.journal.plans import plan_summaries
from models.journal.shift import phrases_for
from views import db, user
from views.auth.routes import draft_key
from views.templating import day_label, same_minute
from views.translations import gettext as _
from views.translations import locale_name

LABELS = {
    "kinds": j.ASSIGNMENT_KINDS, "life_areas": j.LIFE_AREAS, "categories": j.CATEGORIES,
    "topics": j.TOPICS, "closing_reasons": j.CLOSING_REASONS, "consent_forms": j.CONSENT_FORMS,
    "when_choices": j.WHEN_CHOICES, "composer_categories": j.COMPOSER_CATEGORIES,
}


def open_client(client_id: int, action: str, log_action: str, commit: bool = True) -> j.Client:
    """Load the client, authorise `action`, append the access-log row.

    Reads commit the row at once; writes pass commit=False so the row and the change are
    committed together (a refused write still commits its row)."""
    try:
        client = people.open_client(db(), user(), client_id, action, log_action,
                                    g.get("request_id"), commit=commit)
    except LevelTooLow:
        raise  # the sign-in's level, said plainly (views/errors.py)
    except AccessDenied as denied:
        abort(404 if denied.hide else 403)
    return client or abort(404)


def field_errors(error: DomainError) -> dict:
    if isinstance(error, ValidationErrors):
        return dict(error.errors)
    return {error.field or "form": str(error)}


def as_int(value) -> int | None:
    """An id from a form or query value; None when it is not one (models/parse.py)."""
    return parse_id(value)


def _zone(tz):
    """The same zone for the standard library: Babel hands out pytz zones, whose
    astimezone is Python code (microseconds a call, thousands of calls a thread); zoneinfo
    converts in C from the same tz database. Babel's zone when the system has no tzdata."""
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return tz


class Clock:
    """Local times for hundreds of bubbles without a Babel call per bubble: the day part
    is worked out once per day (views/templating.py says how a time is written)."""

    def __init__(self):
        self.tz = _zone(get_timezone())
        self.locale = get_locale()
        self.today = datetime.now(self.tz).date()
        self._days: dict = {}
        self._labels: dict = {}
        self._pattern = _("%(day)s %(time)s", day="%(day)s", time="%(time)s")

    def day(self, dt: datetime) -> str:
        """A day divider: 'I dag', 'I går', '24 nov.', '24 nov. 2025'."""
        local = dt.astimezone(self.tz).date()
        if local not in self._days:
            label = self._label(local)
            self._days[local] = label[:1].upper() + label[1:]
        return self._days[local]

    def _label(self, local) -> str:
        if local not in self._labels:
            self._labels[local] = day_label(local, self.today, self.locale)
        return self._labels[local]

    def stamp(self, dt: datetime) -> str:
        local = dt.astimezone(self.tz)
        return self._pattern % {"day": self._label(local.date()),
                                "time": f"{local.hour:02d}:{local.minute:02d}"}


def composer_context(client: j.Client, errors: dict | None = None, form=None,
                     saved: bool = False) -> dict:
    """What the thread's top (plan summary) and the composer need."""
    session = db()
    assignments = open_assignments(session, client)
    blocked = {a.id for a in assignments if needs_consent(session, a)}
    return dict(
        client=client, assignments=assignments, summaries=plan_summaries(session, assignments),
        phrases=phrases_for(session, client.unit_id), consent_blocked=blocked,
        errors=errors or {}, form=form or {}, saved=saved, client_uuid=str(uuid.uuid4()),
        draft_key=draft_key(), **bubble_context(),
    )


class Translated(dict):
    """A vocabulary translated on first use and remembered for the request: 500 bubbles
    look up a handful of labels thousands of times."""

    def __init__(self, source: dict):
        super().__init__()
        self.source = source

    def __missing__(self, key):
        value = self.source[key]
        value = Translated(value) if isinstance(value, dict) else str(value)
        self[key] = value
        return value

    def __contains__(self, key) -> bool:
        return key in self.source

    def __iter__(self):
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)

    def get(self, key, default=None):
        return self[key] if key in self.source else default

    def keys(self):
        return list(self.source)

    def items(self):
        return [(key, self[key]) for key in self.source]


_BY_LOCALE: dict = {}  # translations are fixed per locale: keep them per process


def labels() -> dict:
    locale = locale_name()
    if locale not in _BY_LOCALE:
        _BY_LOCALE[locale] = {name: Translated(v) if isinstance(v, dict) else v
                              for name, v in LABELS.items()}
    return _BY_LOCALE[locale]


class Texts:
    """A bubble's fixed words as attributes: `t.happened` in a template is then one
    attribute look-up (on a dict, Jinja tries the attribute first and fails)."""

    def __init__(self, **texts: str):
        self.__dict__.update(texts)

    def __getitem__(self, key: str) -> str:
        return self.__dict__[key]


def _bubble_texts() -> Texts:
    key = f"texts:{get_locale()}"
    if key not in _BY_LOCALE:
        _BY_LOCALE[key] = Texts(
            happened=_("happened"), written=_("written"), read_by=_("read by"),
            goal=_("Goal"), corrects=_("Corrects"), about=_("About"),
            note_written=_("the note written %(time)s", time="{time}"),
            health=_("Goes to the care plan (HSL record)"), corrected=_("Corrected"),
            see_correction=_("see the correction"), disagrees=_("The person disagrees"),
            see_note=_("see the note"),
            details=_("Details of the note written %(time)s", time="{time}"))
    return _BY_LOCALE[key]


class Bubble(NamedTuple):
    """What one bubble shows beside the note itself, as text ready to write."""

    side: str  # "mine" or "theirs"
    one_time: bool  # written the minute it happened: one time is shown
    occurred: str
    occurred_iso: str
    written: str
    written_iso: str
    initials: str
    name: str
    first_name: str
    href: str
    details: str  # the link's label: "Details of the note written i dag 10:39"


class Bubbles:
    """Works out each bubble's side, times, author names and link in one Python call, so
    the bubble (templates/journal/_bubble.html) only writes text: a 500-note thread is 500
    calls, not thousands of template calls and attribute look-ups. Times follow
    views/templating.py (one time when the note was written the minute it happened)."""

    def __init__(self, me, clock: Clock, texts: Texts, href_pattern: str):
        self.me_id = me.id if me is not None else None
        self.clock = clock
        self.details = texts.details
        self.href_pattern = href_pattern
        self._people: dict = {}

    def href(self, entry) -> str:
        return self.href_pattern.replace("111111111", str(entry.client_id)).replace(
            "222222222", str(entry.id))

    def _names(self, author) -> tuple[str, str, str]:
        names = self._people.get(author.id)
        if names is None:
            name = author.display_name
            first = (name.split() or [""])[0]  # a blank name writes nothing, as it did
            names = self._people[author.id] = (author.initials, name, first)
        return names

    def __call__(self, view) -> Bubble:
        e = view.entry
        initials, name, first_name = self._names(view.author)
        written = self.clock.stamp(e.written_at)
        one_time = same_minute(e.occurred_at, e.written_at)
        return Bubble(
            side="mine" if e.author_id == self.me_id else "theirs", one_time=one_time,
            occurred="" if one_time else self.clock.stamp(e.occurred_at),
            occurred_iso="" if one_time else _iso(e.occurred_at),
            written=written, written_iso=_iso(e.written_at),
            initials=initials, name=name, first_name=first_name, href=self.href(e),
            details=self.details.replace("{time}", written))


def _iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""  # as the `iso` filter writes it


def bubble_context() -> dict:
    """Everything a bubble (_bubble.html) needs, computed once for hundreds of bubbles."""
    pattern = url_for("journal.entry", client_id=111111111, entry_id=222222222)
    me, clock, texts = user(), Clock(), _bubble_texts()
    bubbles = Bubbles(me, clock, texts, pattern)
    return dict(me=me, clock=clock, t=texts, bubble=bubbles, **labels())


def entry_context(client: j.Client, views: list[EntryView]) -> dict:
    return dict(client=client, entries=views, **bubble_context())
