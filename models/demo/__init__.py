"""Demo data for local use, one module per room, seeded in this order.

Every seeder is idempotent: running `flask demo-seed` twice changes nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from models.demo import (
    journal,
    manage,
    notes,
    people,
    quality,
    records,
    records_log_review,
    records_retention,
    tally,
)
from models.demo.people import DEMO_PASSWORD, USERS, unit_named, user_named  # noqa: F401

SEEDERS = (
    people.seed_people,
    journal.seed_journal,
    tally.seed_catalogue_and_tallies,
    notes.seed_working_contact,
    manage.seed_statistics,
    manage.seed_follow_ups,
    records.seed_right_to_read,
    records_log_review.seed_log_review,
    quality.seed_quality,
    records_retention.seed_retention,
)


def seed_demo(session: Session) -> list[tuple[str, str, str]]:
    """Run every seeder; return (username, password, role) for printing."""
    for seeder in SEEDERS:
        seeder(session)
    session.commit()
    return [(u, DEMO_PASSWORD, str(r)) for u, _d, r, _units in USERS]
