"""The domain, one package per room. Importing it loads every table and access rule.

Layers (checked by import-linter, pyproject.toml): core ← access ← catalogue ← tally ←
journal | notes ← manage | admin | records ← demo. A room registers its access rules and inbox
threads with `access` when imported; `access` knows no room.
"""

from models import (  # noqa: F401
    access,
    admin,
    catalogue,
    journal,
    manage,
    notes,
    records,
    tally,
)
from models.access import idp, inbox, sessions  # noqa: F401
from models.journal import entries, people, plans, shift, tables  # noqa: F401
from models.manage import aggregate, day_feed, follow_ups, open_data, report  # noqa: F401
from models.records import right_to_read  # noqa: F401
