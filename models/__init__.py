"""The domain. Importing the package loads every table and every access rule."""

from models import (  # noqa: F401
    access,
    admin,
    catalogue,
    demo,
    inbox,
    journal,
    journal_demo,
    journal_entries,
    journal_people,
    journal_plan,
    journal_shift,
    notes,
    sessions,
    stats,
    stats_day,
    stats_demo,
    stats_followup,
    stats_report,
    tally,
)
