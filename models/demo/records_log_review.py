"""Demo log review: a month of reads in Hemtjänst Norr's access log, and Maja's review of a
sample of five, two rows marked, not signed yet — something to walk through and sign.

Idempotent: nothing is added once Maja has a review.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from models.access import AccessLog
from models.core.db import utcnow
from models.demo.people import unit_named, user_named
from models.journal.tables import Client
from models.records import log_review as lr

READS = ("thread.read", "plan.read", "consent.read", "client.read")


def seed_log_review(session: Session) -> None:
    maja, unit = user_named(session, "maja"), unit_named(session, "Hemtjänst Norr")
    if maja is None or unit is None or session.exec(
            select(lr.LogReview).where(lr.LogReview.reviewer_id == maja.id)).first():
        return
    clients = session.exec(select(Client).where(Client.unit_id == unit.id)
                           .order_by(Client.id)).all()
    staff = [user_named(session, name) for name in ("hanna", "hugo")]
    if not clients or None in staff:
        return
    now = utcnow()
    for n in range(24):  # a read every day or so, by both, of every client
        session.execute(insert(AccessLog), {
            "at": now - timedelta(days=n + 1, hours=n % 7), "user_id": staff[n % 2].id,
            "subject_type": "client", "subject_id": clients[n % len(clients)].id,
            "action": READS[n % len(READS)], "outcome": "granted", "request_id": None})
    session.commit()
    review = lr.draw_sample(session, maja, lr.default_filter(), 5, seed="demo-2026")
    for log_id in lr.sample_ids(session, review)[:2]:
        lr.mark_row(session, maja, review, log_id, "justified", "")
