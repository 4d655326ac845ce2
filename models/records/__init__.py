"""Records management (issue 14): retention and destruction, archive packages."""

from models.records import archive, retention, rules_retention  # noqa: F401
