"""Manager view: unit A's day feed and review belong to manager_a; statistics and
follow-ups are each manager's own (their own units), so both managers may open them.
Everyone else is told the pages do not exist (404)."""

from __future__ import annotations

from models.core.clock import local_today
from tests.access_cases import Case

MANAGER_A = frozenset({"manager_a"})
MANAGERS = frozenset({"manager_a", "manager_b"})


def build(world):
    """Nothing beyond the units: the feed of an empty day is a page too."""


def _day(world) -> str:
    return f"/manage/units/{world.units['A'].id}/day"


def _review(world) -> str:
    return f"/manage/units/{world.units['A'].id}/day/review"


CASES = {
    "manage.day": Case(_day, MANAGER_A),
    "manage.review": Case(_review, MANAGER_A, method="POST",
                          data=lambda world: {"day": local_today().isoformat(), "comment": ""}),
    "manage.follow_ups": Case("/manage/follow-ups", MANAGERS),
    "manage.yesterday": Case("/manage/yesterday", MANAGERS),
    "manage.stats": Case("/manage/stats", MANAGERS),
    "manage.export": Case("/manage/stats/export?table=series&format=csv", MANAGERS),
}
