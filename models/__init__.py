"""The domain. Importing the package loads every table and every access rule."""

from models import access, admin, catalogue, demo, inbox, tally  # noqa: F401
from models import journal, journal_demo, journal_entries, journal_people, journal_plan, journal_shift  # noqa: E501,F401,E402
from models import notes  # noqa: E402,F401  (working notes build on catalogue and tally)
