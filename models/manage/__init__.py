"""The manager's room: periods and aggregation, reports protected by the cell-key method,
charts, the day feed and the journal follow-ups.
"""

from models.manage import rules  # noqa: F401  (registers the room's access rules)
