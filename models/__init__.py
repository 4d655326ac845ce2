"""The domain. Importing the package loads every table and every access rule."""

from models import access, admin, catalogue, demo, inbox, notes, tally  # noqa: F401
from models import journal, journal_demo, journal_entries, journal_people, journal_plan, journal_shift  # noqa: E501,F401,E402
