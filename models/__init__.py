"""The domain. Importing the package loads every table and every access rule."""

from models import access, admin, demo, inbox  # noqa: F401
