"""Records management (issue 14): retention and destruction, archive packages, the right to
read with a secrecy review, log review, deviations and self-checks.

Modules: right_to_read (the person's copy of the file, the secrecy review and the release).
"""

from models.records import rules_right_to_read  # noqa: F401  (registers the access rules)
