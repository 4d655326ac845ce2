"""Records management: retention, archive packages, the right to read, log review."""

from models.records import log_review, rules_log_review  # noqa: F401
