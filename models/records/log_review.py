"""Log review (loggkontroll): a manager checks who read or wrote what about the clients of
their own units, by filters and by a random sample that can be drawn again exactly.

seed 003 (only staff concerned have access) and DESIGN.md: every read and write is logged,
and managers review the log. A review is stored as inserts only — the review with its
filters and seed, its sample rows, each mark, the signature (conclusion and follow-up) and
later notes — so the app's database role needs no UPDATE or DELETE on these tables
(README, "PostgreSQL: an append-only log"). Nothing of a review changes after it is
written; a mark is replaced by a newer mark until the review is signed, never after.

The sample is reproducible: `random.Random(seed).sample(ids, size)` over the ids of the
matching access-log rows up to `max_log_id`, in ascending order (`sample_again`), as long
as those rows exist: access-log rows have their own retention (models/records/
log_retention.py). So signing keeps a copy of each sampled row (`LogReviewSnapshot`: when,
who by id and name, action, outcome, which client by id), and a signed review is read from
it: it stays whole after its rows are pruned. The client is kept by id only, never by name:
the name is looked up while the file exists, and reads "destroyed file" after that.
Samples and marks name their access-log rows without a foreign key, for the same reason.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import UniqueConstraint, event, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from models import access
from models.access import AccessLog, Role, User
from models.core.clock import local_midnight, local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import clean_text, parse_day, parse_id, parse_int
from models.journal.shift import LOG_ACTIONS, LogRow, log_filter_choices
from models.journal.tables import Client, DestroyedFile

READS = "reads"  # every action that only reads a file (the sample's usual choice)
READ_ACTIONS = frozenset(k for k in LOG_ACTIONS if k.endswith(".read")) | {"export"}
ACTION_CHOICES = {READS: _l("Every read"), **LOG_ACTIONS}
VERDICTS = {"justified": _l("Justified"), "questioned": _l("Questioned")}
SAMPLE_SIZE = 10  # "10 reads in the last month"
SAMPLE_DAYS = 30
SAMPLE_MAX = 50
PAGE = 100
COMMENT_MAX = 500
TEXT_MAX = 2000

CHANGE_REFUSED = _l("A log review cannot be changed once written; add a note instead.")
SIGNED = _l("This review is signed and cannot be changed; add a note instead.")


class LogReview(SQLModel, table=True):
    """One review: who drew which sample, with what filters and seed. Written once."""

    __tablename__ = "log_review"

    id: int | None = Field(default=None, primary_key=True)
    reviewer_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # the candidates: the access-log rows of these units' clients matching the filters,
    # with an id up to max_log_id; `candidates` is how many there were
    unit_ids: str = Field(max_length=500)
    filter_user_id: int | None = None  # no foreign keys: a filter names, it does not hold
    filter_client_id: int | None = None
    start: date | None = None
    end: date | None = None
    action: str = Field(default="", max_length=48)
    denied_only: bool = False
    max_log_id: int
    candidates: int
    size: int
    seed: str = Field(max_length=32)


class LogReviewSample(SQLModel, table=True):
    """One access-log row in a review's sample, in the order drawn."""

    __tablename__ = "log_review_sample"
    __table_args__ = (UniqueConstraint("review_id", "access_log_id",
                                       name="uq_log_review_sample_row"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="log_review.id", index=True)
    position: int
    access_log_id: int  # no foreign key: the row may be pruned after the review is signed


class LogReviewMark(SQLModel, table=True):
    """The reviewer's verdict on one sampled row; a newer mark replaces it until signing."""

    __tablename__ = "log_review_mark"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="log_review.id", index=True)
    access_log_id: int  # no foreign key, as in LogReviewSample
    verdict: str = Field(max_length=16)  # justified | questioned
    comment: str = Field(default="", max_length=COMMENT_MAX)
    marked_by: int = Field(foreign_key="app_user.id")
    marked_at: datetime = Field(default_factory=utcnow)


class LogReviewSignature(SQLModel, table=True):
    """The signing: conclusion and follow-up action. One per review; nothing after it."""

    __tablename__ = "log_review_signature"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="log_review.id", unique=True)
    signed_by: int = Field(foreign_key="app_user.id")
    signed_at: datetime = Field(default_factory=utcnow)
    conclusion: str = Field(max_length=TEXT_MAX)
    follow_up: str = Field(default="", max_length=TEXT_MAX)


class LogReviewNote(SQLModel, table=True):
    """A later note on a review (what the follow-up came to)."""

    __tablename__ = "log_review_note"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="log_review.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(default_factory=utcnow)
    text: str = Field(max_length=TEXT_MAX)


class LogReviewSnapshot(SQLModel, table=True):
    """A sampled access-log row as it was when the review was signed, so the signed review
    can be read after the access log's retention has removed the row."""

    __tablename__ = "log_review_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="log_review.id", index=True)
    position: int
    access_log_id: int
    at: datetime
    user_id: int | None = None
    user_label: str = Field(default="", max_length=120)  # the reader's name at signing
    subject_type: str = Field(max_length=32)
    subject_id: int | None = None  # a client's id, never its name
    action: str = Field(max_length=48)
    outcome: str = Field(max_length=16)


TABLES = (LogReview, LogReviewSample, LogReviewMark, LogReviewSignature, LogReviewNote,
          LogReviewSnapshot)



def _append_only(*_args) -> None:
    raise DomainError(CHANGE_REFUSED)


for _table in TABLES:  # like the access log: rows are added, never changed or removed
    event.listen(_table, "before_update", _append_only)
    event.listen(_table, "before_delete", _append_only)


@event.listens_for(LogReviewMark, "before_insert")
def _no_mark_after_signing(_mapper, connection, mark: LogReviewMark) -> None:
    signed = connection.execute(sa_select(LogReviewSignature.id).where(
        LogReviewSignature.review_id == mark.review_id)).first()
    if signed is not None:
        raise DomainError(SIGNED)


# --- filters ---------------------------------------------------------------------------


@dataclass
class LogFilter:
    """What the manager chose: every value parsed, every choice one of theirs."""

    user_id: int | None = None
    client_id: int | None = None
    start: date | None = None
    end: date | None = None
    action: str = ""
    denied_only: bool = False

    def as_args(self) -> dict[str, str]:
        """The filter as query or form values (for links and the sample form)."""
        return {"user": str(self.user_id or ""), "client": str(self.client_id or ""),
                "start": self.start.isoformat() if self.start else "",
                "end": self.end.isoformat() if self.end else "",
                "action": self.action, "denied": "1" if self.denied_only else ""}


def default_filter(today: date | None = None) -> LogFilter:
    """"Reads in the last month": what a review usually samples."""
    today = today or local_today()
    return LogFilter(start=today - timedelta(days=SAMPLE_DAYS), end=today, action=READS)


@dataclass
class Choices:
    users: list[User]
    clients: list[Client]
    actions: dict = field(default_factory=lambda: ACTION_CHOICES)


def filter_choices(session: Session, manager: User) -> Choices:
    users, clients = log_filter_choices(session, manager)
    return Choices(users, clients)


def _choice(raw, field_name: str, allowed: set[int], message) -> int | None:
    if not str(raw or "").strip():
        return None
    value = parse_id(raw)
    if value is None or value not in allowed:
        raise DomainError(message, field_name)
    return value


def parse_filter(session: Session, manager: User, args: Mapping) -> LogFilter:
    """Read the filters from a query or form; every bad value is an error at its field."""
    choices = filter_choices(session, manager)
    errors: dict = {}
    values: dict = {}
    readers = (
        ("user_id", lambda: _choice(args.get("user"), "user", {u.id for u in choices.users},
                                    _l("Choose a person from the list."))),
        ("client_id", lambda: _choice(args.get("client"), "client",
                                      {c.id for c in choices.clients},
                                      _l("Choose a client from the list."))),
        ("start", lambda: parse_day(args.get("start"), "start", required=False)),
        ("end", lambda: parse_day(args.get("end"), "end", required=False)),
        ("action", lambda: _action(args.get("action"))),
        ("denied_only", lambda: _flag(args.get("denied"), "denied")),
    )
    for name, read in readers:
        try:
            values[name] = read()
        except DomainError as error:
            errors[error.field] = error.message
    flt = LogFilter(**values) if not errors else None
    if flt and flt.start and flt.end and flt.end < flt.start:
        errors["end"] = _l("The end date comes before the start date.")
    if errors:
        raise ValidationErrors(errors)
    return flt


def _action(raw) -> str:
    text = str(raw or "").strip()
    if text and text not in ACTION_CHOICES:
        raise DomainError(_l("Choose an action from the list."), "action")
    return text


def _flag(raw, field_name: str) -> bool:
    text = str(raw or "").strip()
    if text not in ("", "1"):
        raise DomainError(_l("Tick the box or leave it empty."), field_name)
    return text == "1"


def _units(session: Session, manager: User) -> list[int]:
    if manager.role != Role.manager:
        return []
    return sorted(access.unit_ids(session, manager))


def _matching(unit_ids: list[int], flt: LogFilter):
    """The access-log rows about the clients of these units that match the filter, with
    the rows about the units' destroyed files (shown as "destroyed file")."""
    clients = sa_select(Client.id).where(col(Client.unit_id).in_(unit_ids or [-1])).union(
        sa_select(DestroyedFile.client_id).where(
            col(DestroyedFile.unit_id).in_(unit_ids or [-1])))
    stmt = select(AccessLog).where(AccessLog.subject_type == "client",
                                   col(AccessLog.subject_id).in_(clients))
    if flt.user_id:
        stmt = stmt.where(AccessLog.user_id == flt.user_id)
    if flt.client_id:
        stmt = stmt.where(AccessLog.subject_id == flt.client_id)
    if flt.start:
        stmt = stmt.where(AccessLog.at >= local_midnight(flt.start))
    if flt.end:
        stmt = stmt.where(AccessLog.at < local_midnight(flt.end + timedelta(days=1)))
    if flt.action == READS:
        stmt = stmt.where(col(AccessLog.action).in_(sorted(READ_ACTIONS)))
    elif flt.action:
        stmt = stmt.where(AccessLog.action == flt.action)
    if flt.denied_only:
        stmt = stmt.where(AccessLog.outcome == "denied")
    return stmt


def _with_people(session: Session, rows) -> list[LogRow]:
    """Each row with its reader and client; a client no longer there is a destroyed file."""
    users = _by_id(session, User, {r.user_id for r in rows})
    clients = _by_id(session, Client, {r.subject_id for r in rows})
    return [LogRow(r, users.get(r.user_id), clients.get(r.subject_id),
                   r.subject_type == "client" and r.subject_id not in clients) for r in rows]


def _by_id(session: Session, model, ids) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {o.id: o for o in session.exec(select(model).where(col(model.id).in_(ids)))}


def filtered_rows(session: Session, manager: User, flt: LogFilter,
                  before_id: int | None = None, limit: int = PAGE) -> list[LogRow]:
    """The matching rows about the manager's own units' clients, newest first."""
    stmt = _matching(_units(session, manager), flt)
    if before_id:
        stmt = stmt.where(AccessLog.id < before_id)
    return _with_people(session, session.exec(
        stmt.order_by(col(AccessLog.id).desc()).limit(limit)).all())


def parse_before(raw) -> int | None:
    """The paging cursor: an access-log id, or a field error."""
    if not str(raw or "").strip():
        return None
    value = parse_id(raw)
    if value is None:
        raise DomainError(_l("Not a page of this log."), "before")
    return value


def parse_size(raw) -> int:
    size = parse_int(raw, 1, SAMPLE_MAX)
    if size is None:
        raise DomainError(_l("Give a number from 1 to %(max)d."), "size", max=SAMPLE_MAX)
    return size


# --- the sample ------------------------------------------------------------------------


def _candidate_ids(session: Session, unit_ids: list[int], flt: LogFilter,
                   max_log_id: int) -> list[int]:
    stmt = _matching(unit_ids, flt).where(AccessLog.id <= max_log_id)
    ids = stmt.with_only_columns(col(AccessLog.id)).order_by(col(AccessLog.id))
    return list(session.exec(ids).all())


def _draw(ids: list[int], size: int, seed: str) -> list[int]:
    """The sample: the same ids, size and seed give the same rows, in the same order."""
    return random.Random(seed).sample(ids, min(size, len(ids)))


def draw_sample(session: Session, manager: User, flt: LogFilter, size: int,
                seed: str | None = None) -> LogReview:
    """Draw a random sample of the matching rows and store it as a new review (committed).
    Refused when nothing matches."""
    units = _units(session, manager)
    max_log_id = session.exec(sa_select(func.max(AccessLog.id))).scalar() or 0
    ids = _candidate_ids(session, units, flt, max_log_id)
    if not ids:
        raise DomainError(_l("No log rows match these filters, so there is nothing to "
                             "sample."), "size")
    seed = seed or secrets.token_hex(8)
    review = LogReview(
        reviewer_id=manager.id, unit_ids=",".join(map(str, units)),
        filter_user_id=flt.user_id, filter_client_id=flt.client_id, start=flt.start,
        end=flt.end, action=flt.action, denied_only=flt.denied_only, max_log_id=max_log_id,
        candidates=len(ids), size=size, seed=seed)
    session.add(review)
    session.flush()
    for position, log_id in enumerate(_draw(ids, size, seed), start=1):
        session.add(LogReviewSample(review_id=review.id, position=position,
                                    access_log_id=log_id))
    session.commit()
    return review


def review_filter(review: LogReview) -> LogFilter:
    return LogFilter(review.filter_user_id, review.filter_client_id, review.start, review.end,
                     review.action, review.denied_only)


def sample_again(session: Session, review: LogReview) -> list[int]:
    """Draw the review's sample again from its stored filters, units and seed."""
    units = [int(u) for u in review.unit_ids.split(",") if u]
    ids = _candidate_ids(session, units, review_filter(review), review.max_log_id)
    return _draw(ids, review.size, review.seed)


def sample_ids(session: Session, review: LogReview) -> list[int]:
    """The stored sample, in the order drawn."""
    return list(session.exec(select(LogReviewSample.access_log_id)
                             .where(LogReviewSample.review_id == review.id)
                             .order_by(col(LogReviewSample.position))).all())


# --- walking the sample, signing, notes ------------------------------------------------


def signature_of(session: Session, review: LogReview) -> LogReviewSignature | None:
    return session.exec(select(LogReviewSignature)
                        .where(LogReviewSignature.review_id == review.id)).first()


def latest_marks(session: Session, review: LogReview) -> dict[int, LogReviewMark]:
    """The newest mark of each sampled row (by access-log id)."""
    marks = session.exec(select(LogReviewMark).where(LogReviewMark.review_id == review.id)
                         .order_by(col(LogReviewMark.id))).all()
    return {m.access_log_id: m for m in marks}


def mark_row(session: Session, reviewer: User, review: LogReview, log_id: int, verdict,
             comment) -> LogReviewMark:
    """Mark one sampled row justified or questioned (a question needs a comment)."""
    if signature_of(session, review) is not None:
        raise DomainError(SIGNED, "form")
    if log_id not in sample_ids(session, review):
        raise DomainError(_l("That row is not in this sample."), "form")
    errors: dict = {}
    verdict = str(verdict or "").strip()
    if verdict not in VERDICTS:
        errors["verdict"] = _l("Choose justified or questioned.")
    try:
        comment = clean_text(comment, "comment", COMMENT_MAX, lines=True)
    except DomainError as error:
        errors["comment"], comment = error.message, ""
    if verdict == "questioned" and not comment and "comment" not in errors:
        errors["comment"] = _l("Say what is questioned and why.")
    if errors:
        raise ValidationErrors(errors)
    mark = LogReviewMark(review_id=review.id, access_log_id=log_id, verdict=verdict,
                         comment=comment, marked_by=reviewer.id)
    session.add(mark)
    session.commit()
    return mark


def sign_review(session: Session, reviewer: User, review: LogReview, conclusion,
                follow_up) -> LogReviewSignature:
    """Sign the review with its conclusion and follow-up action. Every sampled row must be
    marked first. After this nothing of the review changes."""
    if signature_of(session, review) is not None:
        raise DomainError(SIGNED, "form")
    left = len(set(sample_ids(session, review)) - set(latest_marks(session, review)))
    errors: dict = {}
    if left:
        errors["form"] = DomainError(_l("Mark every row of the sample first (%(left)d left)."),
                                     left=left).message
    values = {}
    for name, required in (("conclusion", _l("Write the conclusion.")), ("follow_up", None)):
        try:
            values[name] = clean_text({"conclusion": conclusion, "follow_up": follow_up}[name],
                                      name, TEXT_MAX, required=required, lines=True)
        except DomainError as error:
            errors[name] = error.message
    if errors:
        raise ValidationErrors(errors)
    signature = LogReviewSignature(review_id=review.id, signed_by=reviewer.id, **values)
    session.add(signature)
    _snapshot(session, review)
    try:
        session.commit()
    except IntegrityError:  # signed at the same moment elsewhere
        session.rollback()
        raise DomainError(SIGNED, "form") from None
    return signature


def _snapshot(session: Session, review: LogReview) -> None:
    """Copy the sampled rows into the review (at signing, with the signature)."""
    order = {log_id: n for n, log_id in enumerate(sample_ids(session, review), start=1)}
    rows = session.exec(select(AccessLog, User.display_name)
                        .join(User, col(User.id) == AccessLog.user_id, isouter=True)
                        .where(col(AccessLog.id).in_(list(order) or [-1]))).all()
    session.add_all(LogReviewSnapshot(
        review_id=review.id, position=order[row.id], access_log_id=row.id, at=row.at,
        user_id=row.user_id, user_label=name or "", subject_type=row.subject_type,
        subject_id=row.subject_id, action=row.action, outcome=row.outcome)
        for row, name in rows)


def snapshot_rows(session: Session, review: LogReview) -> list[AccessLog]:
    """The signed review's rows as they were at signing (detached, never stored again)."""
    snaps = session.exec(select(LogReviewSnapshot).where(
        LogReviewSnapshot.review_id == review.id).order_by(col(LogReviewSnapshot.position)))
    return [AccessLog(id=s.access_log_id, at=s.at, user_id=s.user_id,
                      subject_type=s.subject_type, subject_id=s.subject_id, action=s.action,
                      outcome=s.outcome) for s in snaps]


def add_note(session: Session, author: User, review: LogReview, text) -> LogReviewNote:
    """A later note on a review (signed or not); the review itself stays as it is."""
    note = LogReviewNote(review_id=review.id, author_id=author.id, text=clean_text(
        text, "note", TEXT_MAX, required=_l("Write the note."), lines=True))
    session.add(note)
    session.commit()
    return note


# --- reading a review ------------------------------------------------------------------


@dataclass
class SampleRow:
    position: int
    log: LogRow
    mark: LogReviewMark | None


@dataclass
class ReviewView:
    review: LogReview
    reviewer: User
    rows: list[SampleRow]
    signature: LogReviewSignature | None
    notes: list[tuple[LogReviewNote, User]]
    filter_user: User | None = None
    filter_client: Client | None = None

    @property
    def left(self) -> int:
        return sum(1 for r in self.rows if r.mark is None)

    @property
    def questioned(self) -> int:
        return sum(1 for r in self.rows if r.mark and r.mark.verdict == "questioned")

    @property
    def justified(self) -> int:
        return sum(1 for r in self.rows if r.mark and r.mark.verdict == "justified")


def review_view(session: Session, review: LogReview) -> ReviewView:
    """The review with its sample: a signed review from its snapshot, as it was signed
    (the access log's rows may since have been pruned); an open one from the live log."""
    ids = sample_ids(session, review)
    signature = signature_of(session, review)
    if signature is not None:
        logs = snapshot_rows(session, review)
    else:
        logs = list(session.exec(select(AccessLog).where(col(AccessLog.id).in_(ids or [-1]))))
    by_id = {lr.row.id: lr for lr in _with_people(session, logs)}
    marks = latest_marks(session, review)
    rows = [SampleRow(n, by_id[i], marks.get(i)) for n, i in enumerate(ids, 1) if i in by_id]
    notes = session.exec(select(LogReviewNote, User)
                         .join(User, col(User.id) == LogReviewNote.author_id)
                         .where(LogReviewNote.review_id == review.id)
                         .order_by(col(LogReviewNote.id))).all()
    return ReviewView(review, session.get(User, review.reviewer_id), rows,
                      signature, list(notes),
                      session.get(User, review.filter_user_id) if review.filter_user_id
                      else None,
                      session.get(Client, review.filter_client_id) if review.filter_client_id
                      else None)


@dataclass
class ReviewSummary:
    review: LogReview
    signature: LogReviewSignature | None


def reviews_of(session: Session, manager: User, limit: int = 50) -> list[ReviewSummary]:
    """The manager's own reviews, newest first, with whether each is signed."""
    rows = session.exec(select(LogReview, LogReviewSignature)
                        .join(LogReviewSignature,
                              col(LogReviewSignature.review_id) == LogReview.id, isouter=True)
                        .where(LogReview.reviewer_id == manager.id)
                        .order_by(col(LogReview.id).desc()).limit(limit)).all()
    return [ReviewSummary(r, s) for r, s in rows]
