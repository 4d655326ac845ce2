"""The person's right to read their file, with a secrecy review (seed 002; OSL 26:1).

A manager of the client's unit opens a review of the whole file, marks entries or passages
of an entry to withhold (third-party details), each with a reason, and then releases the
copy to someone. The copy says where something was withheld ("Uppgift utelämnad enligt
26 kap. 1 § OSL") and never what. The release keeps the PDF/A as released, its SHA-256,
who released it, when and to whom; what was withheld stays with the review. A released
review is final: it cannot be changed, and a new review makes a new release.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, LargeBinary, event
from sqlalchemy.orm import defer
from sqlmodel import Field, Session, SQLModel, select

from models.access import User
from models.core.db import get_by_id, utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import clean_text, parse_id
from models.journal.tables import TEXT_MAX, Client, JournalEntry

# OSL 26:1: the copy shows where something was withheld, in these words, and nothing more.
NOTICE = _l("Information withheld under chapter 26, section 1 of the Public Access to "
            "Information and Secrecy Act (OSL)")
REASON_MAX = 500
RECIPIENT_MAX = 200


class ReadingReview(SQLModel, table=True):
    """One secrecy review of a client's file before a copy is released."""

    __tablename__ = "reading_review"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    opened_by: int = Field(foreign_key="app_user.id")
    opened_at: datetime = Field(default_factory=utcnow)


class Withholding(SQLModel, table=True):
    """A whole entry (passage None) or a passage of its text kept out of the copy."""

    __tablename__ = "reading_withholding"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reading_review.id", index=True, ondelete="CASCADE")
    entry_id: int = Field(foreign_key="journal_entry.id", ondelete="CASCADE")
    passage: str | None = Field(default=None, max_length=TEXT_MAX)
    reason: str = Field(max_length=REASON_MAX)
    marked_by: int = Field(foreign_key="app_user.id")
    marked_at: datetime = Field(default_factory=utcnow)


class ReadingRelease(SQLModel, table=True):
    """The copy as released: kept as it was, never changed (one per review)."""

    __tablename__ = "reading_release"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reading_review.id", unique=True, ondelete="CASCADE")
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    released_by: int = Field(foreign_key="app_user.id")
    released_at: datetime = Field(default_factory=utcnow)
    recipient: str = Field(max_length=RECIPIENT_MAX)
    withheld_count: int
    pdf_sha256: str = Field(max_length=64)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


@event.listens_for(ReadingRelease, "before_update")
@event.listens_for(ReadingRelease, "before_delete")
def _release_is_final(*_args) -> None:
    raise DomainError(_l("A released copy cannot be changed. Start a new review instead."))


# --- the review --------------------------------------------------------------------------


def current_review(session: Session, client: Client) -> ReadingReview | None:
    """The client's review not yet released, if one is open."""
    released = select(ReadingRelease.review_id)
    return session.exec(select(ReadingReview).where(
        ReadingReview.client_id == client.id, ReadingReview.id.not_in(released)
    ).order_by(ReadingReview.id.desc())).first()


def open_review(session: Session, user: User, client: Client) -> ReadingReview:
    """The open review of the client's file, started now if there is none."""
    review = current_review(session, client)
    if review is None:
        review = ReadingReview(client_id=client.id, opened_by=user.id)
        session.add(review)
        session.flush()
    return review


def is_released(session: Session, review: ReadingReview) -> bool:
    return session.exec(select(ReadingRelease.id).where(
        ReadingRelease.review_id == review.id)).first() is not None


def _still_open(session: Session, review: ReadingReview) -> None:
    if is_released(session, review):
        raise DomainError(_l("This copy is already released and cannot be changed. Start a "
                             "new review instead."), "form")


def withhold(session: Session, user: User, review: ReadingReview, entry_id, passage,
             reason) -> Withholding:
    """Mark an entry of the reviewed file, or a passage of its text, to withhold.

    The passage must be found word for word in the entry's text; an empty passage withholds
    the whole entry. A reason is required (it stays in the review, never in the copy)."""
    _still_open(session, review)
    errors: dict[str, str] = {}
    entry = get_by_id(session, JournalEntry, parse_id(entry_id)) if parse_id(entry_id) else None
    if entry is None or entry.client_id != review.client_id:
        raise DomainError(_l("Choose a note of this file."), "entry")
    text = None
    try:
        text = clean_text(passage, "passage", TEXT_MAX, lines=True) or None
        if text is not None and text not in entry.text:
            errors["passage"] = _l("Copy the passage exactly as it stands in the note.")
    except DomainError as error:
        errors["passage"] = error.message
    try:
        why = clean_text(reason, "reason", REASON_MAX, required=_l(
            "Give the reason for withholding (for the review, not shown in the copy)."))
    except DomainError as error:
        errors["reason"] = error.message
    if errors:
        raise ValidationErrors(errors)
    row = Withholding(review_id=review.id, entry_id=entry.id, passage=text, reason=why,
                      marked_by=user.id)
    session.add(row)
    session.flush()
    return row


def unmark(session: Session, client: Client, withholding_id) -> None:
    """Take a mark back while its review is open (after release the copy is final)."""
    ident = parse_id(withholding_id)
    row = get_by_id(session, Withholding, ident) if ident is not None else None
    review = session.get(ReadingReview, row.review_id) if row is not None else None
    if review is None or review.client_id != client.id:
        raise DomainError(_l("That mark is not part of this file's review."), "form")
    _still_open(session, review)
    session.delete(row)
    session.flush()


def withholdings_of(session: Session, review: ReadingReview | None) -> list[Withholding]:
    if review is None:
        return []
    return list(session.exec(select(Withholding).where(
        Withholding.review_id == review.id).order_by(Withholding.id)))


# --- what the copy shows ------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of an entry's text as the copy shows it: the text, or the notice instead."""

    text: str
    withheld: bool = False


@dataclass
class Redaction:
    """How one entry appears in the copy: wholly withheld, or its text in pieces."""

    whole: bool = False
    pieces: list[Piece] = field(default_factory=list)


def pieces_of(text: str, passages: list[str]) -> list[Piece]:
    """The text with every occurrence of each passage replaced by one withheld piece
    (overlapping or touching passages become one notice, so lengths cannot be guessed)."""
    spans: list[tuple[int, int]] = []
    for passage in passages:
        start = text.find(passage)
        while passage and start != -1:
            spans.append((start, start + len(passage)))
            start = text.find(passage, start + 1)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, at = [], 0
    for start, end in merged:
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece("", withheld=True))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces


def redactions(session: Session, review: ReadingReview | None) -> dict[int, Redaction]:
    """Entry id → how the copy shows it, for every entry the review marked."""
    marks: dict[int, list[Withholding]] = {}
    for row in withholdings_of(session, review):
        marks.setdefault(row.entry_id, []).append(row)
    result = {}
    for entry_id, rows in marks.items():
        if any(r.passage is None for r in rows):
            result[entry_id] = Redaction(whole=True, pieces=[Piece("", withheld=True)])
        else:
            entry = session.get(JournalEntry, entry_id)
            result[entry_id] = Redaction(pieces=pieces_of(entry.text, [r.passage for r in rows]))
    return result


def pdf_of(html: str, stylesheet: Path) -> bytes:
    """The copy as PDF/A-2b (archival, fonts embedded), drawn from its HTML by WeasyPrint.

    Nothing is fetched: the one stylesheet is given, every other address is refused."""
    from weasyprint import CSS, HTML  # the PDF engine loads only when a copy is made

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the copy fetches nothing ({url})")

    return HTML(string=html, url_fetcher=refuse).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet))], pdf_variant="pdf/a-2b")


# --- the release ---------------------------------------------------------------------------


def check_recipient(raw) -> str:
    return clean_text(raw, "recipient", RECIPIENT_MAX,
                      required=_l("Say to whom the copy is released."))


def latest_release_id(session: Session, client: Client) -> int:
    """The id of the client's newest release, 0 when none: the release form carries it."""
    return session.exec(select(ReadingRelease.id).where(
        ReadingRelease.client_id == client.id).order_by(ReadingRelease.id.desc())).first() or 0


def review_to_release(session: Session, user: User, client: Client, review_id,
                      seen_release_id) -> ReadingReview:
    """The review the manager saw when pressing release, still open and unchanged by a
    release since: a second press (or a colleague's release meanwhile) must never release
    the file again through a fresh review that has none of the marks."""
    current = current_review(session, client)
    wanted = parse_id(review_id)
    if parse_id(seen_release_id) != (latest_release_id(session, client) or None) or (
            wanted != (current.id if current else None)):
        raise DomainError(_l("The review has changed since you opened it (a copy was released "
                             "or marks were made). Check it and release again."), "release")
    return current or open_review(session, user, client)


def release(session: Session, user: User, review: ReadingReview, recipient: str,
            pdf: bytes) -> ReadingRelease:
    """Release the reviewed copy to `recipient`: the PDF as made, with its SHA-256."""
    _still_open(session, review)
    row = ReadingRelease(
        review_id=review.id, client_id=review.client_id, released_by=user.id,
        released_at=utcnow(), recipient=check_recipient(recipient),
        withheld_count=len(withholdings_of(session, review)),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf)
    session.add(row)
    session.flush()
    return row


@dataclass
class ReleaseView:
    release: ReadingRelease
    released_by: User
    withheld: list[tuple[Withholding, JournalEntry]]


def release_of(session: Session, release_id) -> ReadingRelease | None:
    ident = parse_id(release_id)
    return get_by_id(session, ReadingRelease, ident) if ident is not None else None


def describe(session: Session, row: ReadingRelease) -> ReleaseView:
    """The release with who released it and what was withheld (the stored review)."""
    review = session.get(ReadingReview, row.review_id)
    withheld = [(w, session.get(JournalEntry, w.entry_id))
                for w in withholdings_of(session, review)]
    return ReleaseView(row, session.get(User, row.released_by), withheld)


def releases_of(session: Session, client: Client) -> list[ReleaseView]:
    """Every copy released from the client's file, newest first."""
    rows = session.exec(select(ReadingRelease).options(defer(ReadingRelease.pdf)).where(
        ReadingRelease.client_id == client.id).order_by(ReadingRelease.id.desc()))
    return [describe(session, row) for row in rows]
