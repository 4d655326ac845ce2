"""The domain. Importing the package loads every table and every access rule."""

from models import access, demo, inbox  # noqa: F401
