"""Route × role cases. Each room adds a module here with `build(world)` and `CASES`.

A case says which roles may use an endpoint; every other signed-in role must get
`denied` (404 where existence must stay hidden, else 403) and an anonymous visitor is
sent to login. An endpoint without a case fails tests/test_access_routes.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("staff_a", "staff_a2", "staff_b", "manager_a", "manager_b", "admin", "records")
SIGNED_IN = frozenset(ROLES)


@dataclass
class World:
    """Two units (A, B) with people in each role, plus each room's objects."""

    users: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    path: str | Callable[[World], str]
    allowed: frozenset = SIGNED_IN
    method: str = "GET"
    data: dict | Callable[[World], dict] | None = None
    denied: int = 404
    public: bool = False  # reachable without signing in

    def url(self, world: World) -> str:
        return self.path(world) if callable(self.path) else self.path

    def form(self, world: World) -> dict:
        return (self.data(world) if callable(self.data) else self.data) or {}


def all_modules():
    for info in pkgutil.iter_modules(__path__):
        yield importlib.import_module(f"{__name__}.{info.name}")


def all_cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for module in all_modules():
        for endpoint, case in module.CASES.items():
            assert endpoint not in cases, f"two cases for {endpoint}"
            cases[endpoint] = case
    return cases
