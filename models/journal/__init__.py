"""The social journal (seeds 002–004): clients, assignments, staff concerned, consent,
plans, entries, shift start, quick phrases.

Modules: tables (tables and vocabularies), people (clients, assignments, staff concerned,
consent), entries, plans (implementation plans, follow-up, closing), shift (shift start,
read receipts, phrases, the log review).
"""

from models.journal import rules  # noqa: F401  (registers the room's access rules)
