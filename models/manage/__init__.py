"""The manager's room: periods and aggregation, reports with small-cell suppression,
charts, the day feed and the journal follow-ups.
"""

from models.manage import rules  # noqa: F401  (registers the room's access rules)
