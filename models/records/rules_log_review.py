"""Who may review the access log (loggkontroll): managers, for their own units' clients."""

from __future__ import annotations

from sqlmodel import Session

from models.access import Role, User, rule


@rule("records.log_review", hide=True)
def _records_log_review(session: Session, user: User, _obj) -> bool:
    """Filter the log, draw samples, list one's reviews: managers (own units); others
    are told the pages do not exist."""
    return user.role == Role.manager


@rule("records.log_review_open", hide=True)
def _records_log_review_open(session: Session, user: User, review) -> bool:
    """A review is its reviewer's: they walk, sign and annotate it; others see nothing."""
    return review is not None and user.role == Role.manager and review.reviewer_id == user.id
