"""Unit ids cannot be probed (issue 12): a unit's settings pages answer the same 404 for
a unit that exists and one that does not, to anyone who may not manage it."""

from __future__ import annotations

import pytest

MISSING = 987654

ROUTES = [
    ("GET", "/units/{unit}/phrases", {}),
    ("POST", "/units/{unit}/phrases", {"text": "Ringde"}),
    ("GET", "/units/{unit}/tally-options", {}),
    ("POST", "/notes/settings/{unit}", {"idle_days": "90", "grace_days": "14"}),
]
NOTES_SETTINGS = ROUTES[-1]  # an admin may set every unit's idle limit (no content)


@pytest.fixture
def units(people):
    return people.unit("Hemtjänst Norr"), people.unit("Fältgruppen")


def _answers(client, method, path, data, unit_id) -> int:
    return client.open(path.format(unit=unit_id), method=method, data=data).status_code


@pytest.mark.parametrize(("role", "method", "path", "data"), [
    (role, *route) for role in ("staff", "manager", "admin") for route in ROUTES
    if not (role == "admin" and route == NOTES_SETTINGS)])
def test_an_existing_unit_looks_like_a_missing_one_to_those_who_may_not_manage_it(
        people, units, role, method, path, data):
    north, field = units
    someone = people.user(f"{role}x", role, units=[] if role == "admin" else [field])
    client = people.login(someone)
    existing = _answers(client, method, path, data, north.id)
    missing = _answers(client, method, path, data, MISSING)
    assert (existing, missing) == (404, 404)


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_the_units_manager_still_reaches_its_pages(people, units, method, path, data):
    north, _field = units
    client = people.login(people.user("maja", "manager", units=[north]))
    assert _answers(client, method, path, data, north.id) < 400
