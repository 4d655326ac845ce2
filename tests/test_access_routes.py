"""Every route × every role: allowed roles get through, others get 403/404, anonymous
visitors are sent to login. A route without a declared case fails here."""

from __future__ import annotations

import pytest

from tests.access_cases import ROLES, World, all_cases, all_modules
from tests.conftest import PASSWORD

CASES = all_cases()


def build_world(people) -> World:
    world = World()
    world.units["A"] = people.unit("Enhet A")
    world.units["B"] = people.unit("Enhet B")
    spec = {
        "staff_a": ("staff", "A"), "staff_a2": ("staff", "A"), "staff_b": ("staff", "B"),
        "manager_a": ("manager", "A"), "manager_b": ("manager", "B"), "admin": ("admin", None),
        "records": ("records", None),  # the records officer (arkivansvarig): every unit
    }
    for name, (role, unit) in spec.items():
        units = [world.units[unit]] if unit else []
        world.users[name] = people.user(name.replace("_", ""), role, units)
    for module in all_modules():
        module.build(world)
    people.db.commit()
    return world


def test_every_route_has_an_access_case(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert endpoints - set(CASES) == set(), "routes without a case in tests/access_cases/"
    assert set(CASES) - endpoints == set(), "cases for routes that do not exist"


def test_every_view_declares_its_access(app):
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        assert getattr(view, "nara_access", None), f"{endpoint} has no @public/@signed_in"


def _request(client, case, world):
    url = case.url(world)
    if case.method == "GET":
        return client.get(url)
    return client.open(url, method=case.method, data=case.form(world))


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_route_answers_each_role_as_declared(endpoint, app, people, db):
    case = CASES[endpoint]
    world = build_world(people)
    anonymous = app.test_client()
    response = _request(anonymous, case, world)
    if case.public:
        assert response.status_code < 400, f"anonymous {endpoint}: {response.status_code}"
    else:
        assert response.status_code in (302, 401), f"anonymous got {response.status_code}"
    for role in ROLES:
        client = app.test_client()
        user = world.users[role]
        login = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert login.status_code == 302
        response = _request(client, case, world)
        if case.public or role in case.allowed:
            assert response.status_code < 400, f"{role} {endpoint}: {response.status_code}"
        else:
            assert response.status_code == case.denied, (
                f"{role} {endpoint}: expected {case.denied}, got {response.status_code}"
            )
