"""Self-checks of the documentation (egenkontroll, seed 003: "årligen genomföra egenkontroll
av dokumentation"; SOSFS 2011:9).

The manager draws a random sample of a unit's files; the seed is stored, so the same
sample can be drawn again. For every file the checklist of seeds 003/004 is computed where
the file can tell (plan, follow-up, consent, timeliness, closing note) and the manager
confirms or overrides each answer with a comment. A signed self-check does not change.
"""

from __future__ import annotations

import random
import secrets
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Unit, User
from models.core.clock import LOCAL_TZ, local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import clean_text, parse_int
from models.journal.people import assignments_of, needs_consent
from models.journal.plans import FOLLOWUP_MONTHS, add_months, current_plan
from models.journal.tables import COMPOSER_CATEGORIES, Assignment, Client, JournalEntry

SAMPLE_DEFAULT = 5
SAMPLE_MAX = 20
SEED_MAX = 2**31 - 1
TEXT_MAX = 2000
COMMENT_MAX = 500
LATE_HOURS = 24  # issue 7's rule for a late note: written more than 24 h after the event
LATE_SHARE = 0.1  # timely: at most one note in ten late
LOOKBACK_DAYS = 365  # the notes a self-check looks at

# seeds 003 and 004: what a file must show
CRITERIA = {
    "plan": _l("Every open assignment has an implementation plan"),
    "followup": _l("The plan was followed up within six months and is current"),
    "consent": _l("Consent recorded where it is needed"),
    "timely": _l("Notes written close to the event"),
    "factual": _l("Notes are factual, brief and respectful"),
    "closing": _l("A closing note for every ended assignment"),
}
RESULTS = {"yes": _l("Yes"), "no": _l("No"), "na": _l("Not applicable")}


class SelfCheck(SQLModel, table=True):
    __tablename__ = "self_check"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    seed: int
    size: int
    drawn_by: int = Field(foreign_key="app_user.id")
    drawn_at: datetime = Field(default_factory=utcnow)
    conclusion: str = Field(default="", max_length=TEXT_MAX)
    measures: str = Field(default="", max_length=TEXT_MAX)
    signed_by: int | None = Field(default=None, foreign_key="app_user.id")
    signed_at: datetime | None = None

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class SelfCheckItem(SQLModel, table=True):
    """One criterion for one sampled file: what the file says, what the manager found."""

    __tablename__ = "self_check_item"

    id: int | None = Field(default=None, primary_key=True)
    self_check_id: int = Field(foreign_key="self_check.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id")
    criterion: str = Field(max_length=16)  # CRITERIA
    auto_result: str | None = Field(default=None, max_length=4)  # RESULTS; None: judged
    detail: str = Field(default="", max_length=200)
    result: str | None = Field(default=None, max_length=4)  # RESULTS, the manager's
    comment: str = Field(default="", max_length=COMMENT_MAX)


# --- sampling ----------------------------------------------------------------------------


def unit_files(session: Session, unit: Unit) -> list[int]:
    """The unit's clients with at least one assignment, by id (the population)."""
    stmt = (select(Client.id).where(Client.unit_id == unit.id)
            .where(col(Client.id).in_(select(Assignment.client_id))).order_by(col(Client.id)))
    return list(session.exec(stmt))


def draw_sample(population: list[int], seed: int, size: int) -> list[int]:
    """The same population, seed and size give the same files, in the same order."""
    return random.Random(seed).sample(sorted(population), min(size, len(population)))


# --- the checklist, computed -------------------------------------------------------------


def _local(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _plan(session, assignments, today):
    open_ = [a for a in assignments if not a.closed]
    if not open_:
        return "na", _l("No open assignment.")
    missing = [a.title for a in open_ if current_plan(session, a) is None]
    if missing:
        return "no", _l("No plan: %(titles)s", titles=", ".join(missing))
    return "yes", ""


def _followup(session, assignments, today):
    plans = [(a, current_plan(session, a)) for a in assignments if not a.closed]
    plans = [(a, p) for a, p in plans if p is not None]
    if not plans:
        return "na", _l("No current plan.")
    oldest = add_months(today, -FOLLOWUP_MONTHS)
    stale = [a.title for a, p in plans if p.followup_on < today or _local(p.created_at) < oldest]
    if stale:
        return "no", _l("Not followed up in time: %(titles)s", titles=", ".join(stale))
    return "yes", ""


def _consent(session, assignments, today):
    service = [a for a in assignments if a.kind == "service" and not a.closed]
    if not service:
        return "na", _l("No service intervention (consent is needed there).")
    if any(needs_consent(session, a) for a in service):
        return "no", _l("No valid consent covering documentation.")
    return "yes", ""


def _timely(session, client, today):
    since = datetime.combine(today - timedelta(days=LOOKBACK_DAYS), datetime.min.time(),
                             LOCAL_TZ)
    rows = session.exec(select(JournalEntry.occurred_at, JournalEntry.written_at).where(
        JournalEntry.client_id == client.id, JournalEntry.occurred_at >= since,
        col(JournalEntry.category).in_(COMPOSER_CATEGORIES))).all()
    if not rows:
        return "na", _l("No notes in the last year.")
    hours = [max(0.0, (w - o).total_seconds() / 3600) for o, w in rows]
    late = sum(1 for h in hours if h > LATE_HOURS)
    detail = lazy_ngettext(
        "%(num)d note, median %(median).1f h from event to note, %(late)d later than 24 h",
        "%(num)d notes, median %(median).1f h from event to note, %(late)d later than 24 h",
        len(hours), median=statistics.median(hours), late=late)
    return ("yes" if late <= LATE_SHARE * len(hours) else "no"), detail


def _closing(session, client, assignments):
    ended = [a for a in assignments if a.closed]
    if not ended:
        return "na", _l("No ended assignment.")
    closed_ids = set(session.exec(select(JournalEntry.assignment_id).where(
        JournalEntry.client_id == client.id, JournalEntry.category == "closing")))
    missing = [a.title for a in ended if a.id not in closed_ids]
    if missing:
        return "no", _l("No closing note: %(titles)s", titles=", ".join(missing))
    return "yes", ""


def check_file(session: Session, client: Client, today: date) -> dict[str, tuple]:
    """{criterion: (result or None, detail)} for one file; "factual" is the manager's."""
    assignments = assignments_of(session, client)
    return {
        "plan": _plan(session, assignments, today),
        "followup": _followup(session, assignments, today),
        "consent": _consent(session, assignments, today),
        "timely": _timely(session, client, today),
        "factual": (None, _l("Read a few notes: facts, briefly, without value judgements.")),
        "closing": _closing(session, client, assignments),
    }


# --- drawing, walking, signing -------------------------------------------------------------


def draw(session: Session, manager: User, unit: Unit, size_raw=SAMPLE_DEFAULT,
         seed: int | None = None, now: datetime | None = None) -> SelfCheck:
    """Draw a sample of the unit's files and compute its checklist."""
    size = parse_int(size_raw, 1, SAMPLE_MAX)
    if size is None:
        raise ValidationErrors({"size": _l("Choose from 1 to %(max)d files.", max=SAMPLE_MAX)})
    population = unit_files(session, unit)
    if not population:
        raise ValidationErrors({"unit": _l("The unit has no files to check yet.")})
    now = now or utcnow()
    seed = secrets.randbelow(SEED_MAX) if seed is None else seed
    check = SelfCheck(unit_id=unit.id, seed=seed, size=size, drawn_by=manager.id, drawn_at=now)
    session.add(check)
    session.flush()
    today = local_today(now)
    for client_id in draw_sample(population, seed, size):
        client = session.get(Client, client_id)
        for criterion, (result, detail) in check_file(session, client, today).items():
            session.add(SelfCheckItem(self_check_id=check.id, client_id=client_id,
                                      criterion=criterion, auto_result=result,
                                      detail=str(detail)[:200], result=result))
    session.flush()
    return check


def items_of(session: Session, check: SelfCheck) -> list[SelfCheckItem]:
    stmt = select(SelfCheckItem).where(SelfCheckItem.self_check_id == check.id)
    return list(session.exec(stmt.order_by(col(SelfCheckItem.id))))


@dataclass
class FileRows:
    client: Client | None
    items: list


def files_of(session: Session, check: SelfCheck) -> list[FileRows]:
    """The sampled files in drawing order, each with its checklist."""
    out: dict = {}
    for item in items_of(session, check):
        if item.client_id not in out:
            out[item.client_id] = FileRows(session.get(Client, item.client_id)
                                           if item.client_id else None, [])
        out[item.client_id].items.append(item)
    return list(out.values())


def save(session: Session, manager: User, check: SelfCheck, form: dict,
         sign: bool = False, now: datetime | None = None) -> SelfCheck:
    """The manager's answers (result-<item id>, comment-<item id>), conclusion and measures;
    `sign` locks it, and needs every answer and a conclusion."""
    if check.signed:
        raise ValidationErrors({"form": _l("The self-check is signed and can no longer change.")})
    errors: dict = {}
    items = items_of(session, check)
    answers: dict = {}
    for item in items:
        result = form.get(f"result-{item.id}") or None
        if result is not None and result not in RESULTS:
            errors[f"result-{item.id}"] = _l("Choose yes, no or not applicable.")
        elif sign and result is None:
            errors[f"result-{item.id}"] = _l("Answer this before signing.")
        try:
            comment = clean_text(form.get(f"comment-{item.id}"), "comment", COMMENT_MAX,
                                 lines=True)
        except DomainError as error:
            errors[f"comment-{item.id}"], comment = error.message, ""
        answers[item.id] = (result, comment)
    texts: dict = {}
    for name in ("conclusion", "measures"):
        try:
            texts[name] = clean_text(form.get(name), name, TEXT_MAX, lines=True)
        except DomainError as error:
            errors[name] = error.message
    if sign and not texts.get("conclusion") and "conclusion" not in errors:
        errors["conclusion"] = _l("Write the conclusion before signing.")
    if errors:
        raise ValidationErrors(errors)
    for item in items:
        item.result, item.comment = answers[item.id]
    check.conclusion, check.measures = texts["conclusion"], texts["measures"]
    if sign:
        check.signed_by, check.signed_at = manager.id, now or utcnow()
    session.add_all([check, *items])
    session.flush()
    return check


def checks_of(session: Session, unit_ids: list[int]) -> list[SelfCheck]:
    stmt = select(SelfCheck).where(col(SelfCheck.unit_id).in_(unit_ids or [-1]))
    return list(session.exec(stmt.order_by(col(SelfCheck.drawn_at).desc(),
                                           col(SelfCheck.id).desc())))
