"""The domain. Importing the package loads every table and every access rule."""

from models import access, admin, catalogue, demo, inbox, tally  # noqa: F401
